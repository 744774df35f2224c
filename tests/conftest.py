"""Shared helpers: the edge-case generator, ULP distances and the registry's parametrization."""

from __future__ import annotations

import numpy as np
import pytest

from elu_numba._cpu import HALF_IN_REGISTERS
from elu_numba._registry import ACTIVATIONS

FLOATS = (np.float32, np.float64)
# the ufuncs' loops: float16 too, where the CPU converts it in registers (else NumPy casts
# float16 to float32 for them: _options.ufunc)
UFUNC_FLOATS = (
    pytest.param(
        np.float16,
        id="float16",
        marks=pytest.mark.skipif(
            not HALF_IN_REGISTERS, reason="no float16 ufunc loops on this CPU (no F16C)"
        ),
    ),
    *(pytest.param(d, id=np.dtype(d).name) for d in FLOATS),
)
ACTS = list(ACTIVATIONS.values())


def edge_values(dtype) -> np.ndarray:
    """nan, ±inf, ±0, subnormals, the largest values, the branch region, huge negatives."""
    dt = np.dtype(dtype)
    fi = np.finfo(dt)
    sub = fi.smallest_subnormal
    special = [
        np.nan, np.inf, -np.inf, 0.0, -0.0, sub, -sub, 2 * sub, -3 * sub,
        fi.tiny, -fi.tiny, fi.eps, -fi.eps, fi.max, -fi.max, 1e-30, -1e-30, 1e-8, -1e-8,
        0.5, -0.5, 1.0, -1.0, np.log(2) / 2, -np.log(2) / 2, -0.3465, -0.3467, -1e-4,
        -17.0, -17.33, -20.0, -38.0, -40.0, -87.0, -88.7, -103.0, -104.0, -110.0,
        -700.0, -708.4, -709.0, -740.0, -745.2, -746.0, -1e6, 1e6, 88.0, 89.0, 710.0,
    ]  # fmt: skip
    with np.errstate(over="ignore"):
        vals = np.array(special, dtype=np.float64).astype(dt)
    return vals


def random_values(dtype, n=20_000, seed=0) -> np.ndarray:
    """A realistic mix: half negative, spread over magnitudes from 1e-8 to ~100."""
    rng = np.random.default_rng(seed)
    mag = 10.0 ** rng.uniform(-8, 2, n)
    sign = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    return (sign * mag).astype(dtype)


def test_values(dtype, n=20_000, seed=0) -> np.ndarray:
    return np.concatenate([edge_values(dtype), random_values(dtype, n, seed)])


test_values.__test__ = False  # a helper, not a test


def ulp_error(got, ref, dtype) -> np.ndarray:
    """|got - ref| in units of the spacing of ``dtype`` at ``ref`` (ref in higher precision).

    NaN where exactly one of them is NaN gives inf; both NaN, or equal infinities, give 0.
    """
    dt = np.dtype(dtype)
    got = np.asarray(got).astype(np.longdouble)
    ref = np.asarray(ref).astype(np.longdouble)
    with np.errstate(invalid="ignore", over="ignore"):
        ref_rounded = ref.astype(dt)
        spacing = np.spacing(np.abs(ref_rounded)).astype(np.longdouble)
        err = np.abs(got - ref) / spacing
    both_nan = np.isnan(got) & np.isnan(ref)
    same = (got == ref) | (got == ref_rounded.astype(np.longdouble))  # e.g. overflow to inf
    err = np.where(both_nan | same, 0, err)
    err = np.where(np.isnan(err), np.inf, err)
    return err.astype(np.float64)


@pytest.fixture(params=FLOATS, ids=lambda d: np.dtype(d).name)
def dtype(request):
    return request.param


@pytest.fixture(params=ACTS, ids=lambda a: a.name)
def act(request):
    return request.param


@pytest.fixture
def chosen_loops(monkeypatch):
    """The (name, parallel) of every kernel taken from ``_cpu.loops`` during the test, in
    order: which loop the API chose, serial or parallel."""
    from elu_numba import _cpu

    chosen = []
    real = _cpu.loops

    def spy(name, parallel, mode="out", half=False):
        chosen.append((name, parallel))
        return real(name, parallel, mode, half)

    monkeypatch.setattr(_cpu, "loops", spy)
    return chosen
