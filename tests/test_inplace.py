"""In-place operators on traced values: they rebind the name, and refuse where NumPy's
in-place update would be seen through another name or a view (a silent difference)."""

from __future__ import annotations

import numpy as np
import pytest

import autotape as at


def test_inplace_operators_rebind_where_nothing_else_sees_the_array():
    def f(x, p):
        x += 1.0  # a whole argument: the transform's own reference is not an alias
        p["w"] -= 0.5 * x  # a dict entry: the entry is the name being rebound
        total = 0.0
        for row in x:
            total += row * row
        h = np.tanh(x)
        h *= h  # the operand is the target itself
        h /= 2.0
        h **= 1.0
        h @= np.ones(2)
        return total + h + np.sum(x * p["w"])

    x, p = np.array([1.0, 2.0]), {"w": np.array([3.0, 4.0])}
    gx, gp = at.grad(f, argnums=(0, 1))(x, p)

    # The same function on fresh NumPy arrays, by finite differences.
    def plain(x, w):
        x = x + 1.0
        w = w - 0.5 * x
        return np.sum(x * x) + np.sum(np.tanh(x) ** 2 / 2.0) + np.sum(x * w)

    h = 1e-6
    for i in range(2):
        e = np.eye(2)[i] * h
        assert gx[i] == pytest.approx((plain(x + e, p["w"]) - plain(x - e, p["w"])) / (2 * h), rel=1e-6)
        assert gp["w"][i] == pytest.approx((plain(x, p["w"] + e) - plain(x, p["w"] - e)) / (2 * h), rel=1e-6)
    assert x.tolist() == [1.0, 2.0] and p["w"].tolist() == [3.0, 4.0]  # inputs untouched


@pytest.mark.parametrize(
    "body",
    [
        "y = x; y += 1.0; return np.sum(x * y)",  # two names, one array
        "h = x * 1.0; v = h[:2]; v += 10.0; return np.sum(h ** 2)",  # a view
        "h = x * 1.0; r = h.reshape(3, 1); r *= 2.0; return np.sum(h)",  # a reshape is a view
        "h = x * 1.0; keep = [h]; h -= 1.0; return np.sum(keep[0] * h)",  # a list holds it
        "p = {'w': x * 1.0}; w = p['w']; w -= 1.0; return np.sum(p['w'] * w)",  # a dict still holds it
    ],
    ids=["alias", "slice", "reshape", "list", "dict read"],
)
def test_inplace_operators_refuse_where_numpy_would_update_an_alias(body):
    namespace = {"np": np}
    exec(f"def f(x):\n    {body}", namespace)  # noqa: S102
    f = namespace["f"]
    with pytest.raises(TypeError, match=r"NumPy would update that array in place.*Write x = x"):
        at.grad(f)(np.array([1.0, 2.0, 3.0]))


def test_the_list_case_differs_from_numpy_and_is_refused_not_silently_wrong():
    def f(x):
        h = x * 1.0
        keep = [h]
        h -= 1.0
        return np.sum(keep[0] * h)

    x = np.array([1.0, 2.0, 3.0])
    numpy_value = f(x.copy())  # NumPy: keep[0] is h, updated in place: sum((x - 1)^2)
    assert numpy_value == np.sum((x - 1) ** 2)
    with pytest.raises(TypeError, match="another name, list or object"):
        at.grad(f)(x)


def test_copies_can_be_updated_in_place():
    def f(x):
        y = x.copy()
        y += 1.0
        z = np.copy(x)
        z *= 2.0
        return np.sum(y * z)

    x = np.array([1.0, 2.0])
    np.testing.assert_array_equal(at.grad(f)(x), 2 * (2 * x + 1))
