"""The float32 sweep of tools/ulp_sweep.py: a strided run always, every bit pattern with -m slow."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "ulp_sweep", Path(__file__).parents[1] / "tools" / "ulp_sweep.py"
)
ulp_sweep = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ulp_sweep)

FNS = ["elu", "celu", "selu", "elu_grad_x", "celu_grad_x", "selu_grad_x"]


@pytest.mark.parametrize("fn", FNS)
def test_strided_sweep(fn):
    # every 4099th negative float32 bit pattern (~520k values), alpha != 1
    worst, steps = ulp_sweep.sweep(fn, 1.7, stride=4099, chunk=1 << 16)
    assert worst <= ulp_sweep.BOUND.get(fn, 2.0)
    assert steps <= (1 if fn in ("elu", "celu") else 2)


@pytest.mark.slow
@pytest.mark.parametrize("fn", ["elu", "celu"])
@pytest.mark.parametrize("alpha", [1.0, 1.7, 0.3])
def test_exhaustive_sweep(fn, alpha):
    worst, steps = ulp_sweep.sweep(fn, alpha)
    assert worst <= 1.0 and steps <= 1
