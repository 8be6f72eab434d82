"""Hypothesis profiles, chosen with the HYPOTHESIS_PROFILE environment variable.

- ``dev`` (the default): 25 examples per property, for quick local runs. Property
  tests scale their own example counts from ``max_examples`` (``_examples(n)`` in the
  test files gives ``n`` under ``dev``). Failing examples are saved in the local
  example database (``.hypothesis/``, not committed) and replayed first next time.
- ``ci``: 60 examples (2.4 times ``dev``), no deadline, and no example database, so
  CI never depends on one; a failure prints a ``@reproduce_failure`` line.
- ``thorough``: 1000 examples (40 times ``dev``), for a long run before a release or
  after changing a VJP rule, e.g.
  ``HYPOTHESIS_PROFILE=thorough python -m pytest tests/test_laws.py tests/test_differential.py``.
"""

import importlib
import os
import pkgutil

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=25, deadline=None)
settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("thorough", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# The SciPy ops (the scipy extra) register themselves when autotape.scipy's modules are
# imported, which ``import autotape`` never does: import them all here, when SciPy is
# installed, so that the registry-driven tests (tests/test_ops.py) cover them too.
try:
    import scipy  # noqa: F401
except ImportError:
    pass
else:
    import autotape.scipy

    for _module in pkgutil.iter_modules(autotape.scipy.__path__):
        importlib.import_module(f"autotape.scipy.{_module.name}")
