"""The ufuncs against the functions around the serial/parallel switch::

    python benchmarks/ufunc_sizes.py [--sizes 13-16] [--rounds 200] [--alone]

For float64 ``elu`` and ``elu_grad_x`` (parallel from 2^14 elements in the API) and float32
``elu`` (from 2^15), each size: ``ufuncs.elu(x, 1.7, out=o)`` against ``elu_numba.elu(x,
1.7, out=o)`` (the gradients: ``ufuncs.elu_grad_x(g, x, 1.7, out=o)`` against
``elu_numba.elu_grad(g, x=x, alpha=1.7, out=o)``), x ~ N(0, 3), called alternately back to
back; prints both medians in microseconds and the ufunc's over the function's.  Where a
ufunc switches at another size than its function, the ratio leaves 1 between the two.
``--alone``: each side's rounds in a run of their own instead (the ufunc's first), every
call right after the one before.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import elu_numba as en

CASES = (("elu", "float64"), ("elu_grad_x", "float64"), ("elu", "float32"))


def pair(name: str, dtype: str, n: int):
    """(ufunc call, function call) on n values of dtype, into the same output."""
    from elu_numba import ufuncs

    rng = np.random.default_rng(n)
    x = rng.normal(0.0, 3.0, n).astype(dtype)
    g = rng.normal(0.0, 1.0, n).astype(dtype)
    o = np.empty_like(x)
    if name == "elu":
        return (lambda: ufuncs.elu(x, 1.7, out=o)), (lambda: en.elu(x, 1.7, out=o))
    u = ufuncs.elu_grad_x
    return (lambda: u(g, x, 1.7, out=o)), (lambda: en.elu_grad(g, x=x, alpha=1.7, out=o))


def measure(name: str, dtype: str, n: int, rounds: int, alone: bool = False) -> tuple[float, float]:
    """Medians (us) of the ufunc and the function, alternately (``alone``: one after the
    other)."""
    calls = pair(name, dtype, n)
    times: tuple[list, list] = ([], [])
    for f in calls:
        f()
    order = [[0, 1]] * rounds if not alone else [[0]] * rounds + [[1]] * rounds
    for sides in order:
        for side in sides:
            s = time.perf_counter()
            calls[side]()
            times[side].append(time.perf_counter() - s)
    return tuple(float(np.median(t)) * 1e6 for t in times)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="13-16", help="log2 range")
    p.add_argument("--rounds", type=int, default=200)
    p.add_argument("--alone", action="store_true", help="each side's rounds on their own")
    args = p.parse_args(argv)
    lo, _, hi = args.sizes.partition("-")
    for name, dtype in CASES:
        for k in range(int(lo), int(hi or lo) + 1):
            u, f = measure(name, dtype, 1 << k, args.rounds, args.alone)
            print(
                f"{name:10s} {dtype} 2^{k}: ufunc {u:7.1f} us, function {f:7.1f} us, {u / f:.2f}x"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
