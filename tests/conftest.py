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

import os

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


def _register_scipy_ops() -> None:
    """Import every namespace of ``autotape.scipy`` (when SciPy is installed), so that the ops
    they register are in the registry when ``tests/test_ops.py`` generates its tests:
    ``import autotape`` never imports SciPy, so nothing else would register them first."""
    import importlib
    import pkgutil

    try:
        import scipy  # noqa: F401
    except ImportError:
        return
    import autotape.scipy

    for module in pkgutil.iter_modules(autotape.scipy.__path__):
        importlib.import_module(f"autotape.scipy.{module.name}")


_register_scipy_ops()
