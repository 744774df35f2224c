"""Exhaustive float32 accuracy sweep: every float32 bit pattern through a function.

    python tools/ulp_sweep.py [--fn elu celu selu elu_grad_x ...] [--alpha 1.7] [--stride 1]

Prints, per function, the max error in ULP of the exact value (|got - exact| / spacing) and
the max number of float32 steps between the result and the correctly rounded value, against
a float64 reference (numpy's expm1/exp in double: its own error, < 1 ULP of float64, is
invisible at float32 resolution).  Negative
inputs are swept in full (the exponential branch); non-negative ones are x itself (value) or
grad (gradient).  ``--stride N`` takes every N-th bit pattern for a quick run.  Exit status
1 when a bound is exceeded (ELU/CELU 1 ULP, SELU and gradients 2 ULP).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

import elu_numba as en

SA, SS = en.SELU_ALPHA, en.SELU_SCALE
BOUND = {"elu": 1.0, "celu": 1.0, "selu": 2.0}


def reference(fn: str, x: np.ndarray, a: float) -> np.ndarray:
    with np.errstate(all="ignore"):  # signalling NaN patterns flag "invalid" in the cast
        d = x.astype(np.float64)
        return {
            "elu": a * np.expm1(d),
            "celu": a * np.expm1(d / a),
            "selu": SS * SA * np.expm1(d),
            "elu_grad_x": a * np.exp(d),
            "celu_grad_x": np.exp(d / a),
            "selu_grad_x": SS * SA * np.exp(d),
        }[fn]


def compute(fn: str, x: np.ndarray, a: float) -> np.ndarray:
    if fn.endswith("_grad_x"):
        grad = getattr(en, fn[: -len("_x")])
        kw = {} if fn.startswith("selu") else {"alpha": a}
        return grad(np.ones_like(x), x=x, **kw)
    f = getattr(en, fn)
    return f(x) if fn == "selu" else f(x, a)


def ulp(got: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """|got - ref| in ULP of float32 at ref."""
    with np.errstate(all="ignore"):
        r32 = ref.astype(np.float32)
        sp = np.spacing(np.abs(r32)).astype(np.float64)
        err = np.abs(got.astype(np.float64) - ref) / sp
    return np.where((got == r32) | (np.isnan(got) & np.isnan(ref)), 0.0, err)


def steps(got: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """How many float32 values lie between got and ref rounded to float32 (0: correctly
    rounded, 1: a neighbour), counted on the ordered integer line of the bit patterns."""

    def ordered(a):
        i = a.view(np.int32).astype(np.int64)
        return np.where(i < 0, -(i & 0x7FFFFFFF), i)

    with np.errstate(all="ignore"):
        r32 = ref.astype(np.float32)
    d = np.abs(ordered(np.ascontiguousarray(got, np.float32)) - ordered(r32))
    return np.where(np.isnan(got) & np.isnan(ref), 0, d)


def sweep(fn: str, alpha: float, stride: int = 1, chunk: int = 1 << 24) -> tuple[float, int]:
    """(max ULP error, max steps from the correctly rounded value) over the negative floats."""
    a = float(np.float32(alpha))  # alpha is cast to the array's dtype
    worst, worst_steps = 0.0, 0
    start = 0x80000000  # -0.0: the sign bit set, all negative floats and -inf, -NaNs
    for lo in range(start, 1 << 32, chunk * stride):
        bits = np.arange(lo, min(lo + chunk * stride, 1 << 32), stride, dtype=np.uint64)
        x = bits.astype(np.uint32).view(np.float32)
        got, ref = compute(fn, x, alpha), reference(fn, x, a)
        worst = max(worst, float(ulp(got, ref).max()))
        worst_steps = max(worst_steps, int(steps(got, ref).max()))
    return worst, worst_steps


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fn", nargs="+", default=["elu", "celu", "selu", "elu_grad_x"])
    p.add_argument("--alpha", type=float, default=1.7)
    p.add_argument("--stride", type=int, default=1)
    args = p.parse_args(argv)
    ok = True
    for fn in args.fn:
        worst, n = sweep(fn, args.alpha, args.stride)
        bound = BOUND.get(fn, 2.0)
        ok &= worst <= bound
        print(
            f"{fn:12s} alpha={args.alpha:<6g} max ULP {worst:.3f} (bound {bound:g}), "
            f"max {n} step(s) from the correctly rounded value"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
