"""The sweeps of tools/ulp_sweep.py: float32 strided always and every bit pattern with -m slow;
float64 on 10^7 random and edge inputs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

_spec = importlib.util.spec_from_file_location(
    "ulp_sweep", Path(__file__).parents[1] / "tools" / "ulp_sweep.py"
)
ulp_sweep = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ulp_sweep)

FNS = ["elu", "celu", "selu", "elu_grad_x", "celu_grad_x", "selu_grad_x"]


@pytest.mark.parametrize(
    "fn, alpha",
    [(fn, 1.7) for fn in FNS] + [("elu", 1.0), ("celu", 1.0), ("elu_grad_x", 1.0)],
    ids=lambda v: str(v),
)
def test_strided_sweep(fn, alpha):
    # every 4099th negative float32 bit pattern (~520k values); alpha != 1, and the alpha = 1
    # of elu, celu and elu_grad_x, which run a kernel of their own (_math.UNIT_ALPHA)
    worst, steps = ulp_sweep.sweep(fn, alpha, stride=4099, chunk=1 << 16)
    assert worst <= ulp_sweep.BOUND.get(fn, 2.0)
    assert steps <= (1 if fn in ("elu", "celu") else 2)


@pytest.mark.parametrize(
    "fn, alpha", [("elu_grad_x", 1.7), ("elu_grad_x", 1.0), ("selu_grad_x", 1.0)]
)
def test_strided_sweep_random_grads(fn, alpha):
    # grads of random sign and magnitude: the results reach the subnormals and the smallest
    # normals, where the float32 loop of the gradients from x (_math.FAST_GRAD) rounds g * lo
    # to the subnormal grid (its largest errors)
    g = ulp_sweep.random_grads(1 << 16, 0)
    assert np.abs(g).min() < 2.0**-120 and np.abs(g).max() > 2.0**10
    worst, steps = ulp_sweep.sweep(fn, alpha, stride=4099, chunk=1 << 16, grads="random")
    assert worst <= 2.0 and steps <= 2


@pytest.mark.slow
@pytest.mark.parametrize("fn", ["elu", "celu"])
@pytest.mark.parametrize("alpha", [1.0, 1.7, 0.3])
def test_exhaustive_sweep(fn, alpha):
    worst, steps = ulp_sweep.sweep(fn, alpha)
    assert worst <= 1.0 and steps <= 1


@pytest.mark.slow
@pytest.mark.parametrize("fn", ["selu", "elu_grad_x", "celu_grad_x", "selu_grad_x"])
def test_exhaustive_sweep_2ulp(fn):
    # SELU and the gradients from x: within 2 ULP of the exact value for every float32
    worst, steps = ulp_sweep.sweep(fn, 1.7)
    assert worst <= 2.0 and steps <= 2


@pytest.mark.parametrize("fn", ["elu", "celu"])
@pytest.mark.parametrize("alpha", [1.0, 1.7, 0.3])
def test_float64_sweep(fn, alpha):
    # 10^7 inputs: the edges, uniform on [-40, 0], log-uniform magnitudes 2^-1074 .. 2^10
    assert ulp_sweep.sweep64(fn, alpha, n=10**7) <= 1.0


def test_float64_sweep_measures_errors():
    """The float64 measure sees a one-ULP step (so a passing sweep means something)."""
    x = ulp_sweep.values64(1000)
    ref = ulp_sweep.reference64("elu", x, 1.0)
    got = ref.astype(np.float64)
    assert ulp_sweep.ulp64(got, ref).max() <= 0.5
    off = np.nextafter(got, -np.inf)
    finite = np.isfinite(got) & (got != 0)
    assert ulp_sweep.ulp64(off, ref)[finite].min() >= 0.5
