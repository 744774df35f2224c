"""What the block choice of the gradients from x costs, in place over memory::

    python benchmarks/grad_blocks.py [--rounds 5] [--cache]

For ``elu_grad(g, x=x, out=g)`` at alpha = 1 (the kernel compiled for ``alpha=None``),
float32 over 2^26 values and float64 over 2^25 (the sizes of ``benchmarks/targets.py``), the
parallel in-place kernel of ``_cpu.loops`` against the same loop shape built around the fast
variant alone (``_math.FAST_GRAD``: no choice at all, the floor) and around the general
function alone.  float32 checks each block first; float64 runs the variant on every element
and patches the few x below ``_math.fast_grad_lo`` (none here: x ~ N(0, 3)).  The kernels
are timed in alternating rounds after a warm-up call each; prints the median and the best
ms per call.  ``--cache``: the serial kernels out of place on 2^14 values (in L2: the
compute and the blocks' own cost, no memory traffic), best of 9 runs of 500 calls each, in
ns per element.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from elu_numba import _cpu, _math


def kernels(parallel: bool = True, mode: str = "inplace") -> dict:
    fast = _math.FAST_GRAD["elu_grad_x"][0]
    return {
        "the kernel (elu_grad)": _cpu.loops("elu_grad_x", parallel, mode),
        "variant alone": _cpu._binary(fast, parallel, mode),
        "general alone": _cpu._binary(_math.elu_grad_x, parallel, mode),
    }


def in_cache(rounds: int = 9, log2n: int = 14, calls: int = 500) -> None:
    """The serial kernels out of place on 2^log2n values, ns per element (best run)."""
    rng = np.random.default_rng(0)
    ks = kernels(False, "out")
    n = 1 << log2n
    for dtype in (np.float32, np.float64):
        x = rng.normal(0.0, 3.0, n).astype(dtype)
        g = rng.normal(0.0, 1.0, n).astype(dtype)
        out = np.empty_like(g)
        best = {}
        for _ in range(rounds):
            for name, k in ks.items():
                k(g, x, out, None)
                t = time.perf_counter()
                for _ in range(calls):
                    k(g, x, out, None)
                t = (time.perf_counter() - t) / calls / n * 1e9
                best[name] = min(best.get(name, t), t)
        print(f"{np.dtype(dtype).name} 2^{log2n} values out of place, serial, alpha 1: ns/element")
        for name, t in best.items():
            print(f"  {name:24s} {t:6.3f}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--cache", action="store_true", help="serial, 2^14 values, out of place")
    args = p.parse_args(argv)
    if args.cache:
        in_cache()
        return 0
    rng = np.random.default_rng(0)
    ks = kernels()
    for dtype, log2n in ((np.float32, 26), (np.float64, 25)):
        n = 1 << log2n
        x = rng.normal(0.0, 3.0, n).astype(dtype)
        g0 = rng.normal(0.0, 1.0, n).astype(dtype)
        g = g0.copy()

        for k in ks.values():
            _timed(k, g, g0, x)
        times = {name: [] for name in ks}
        for _ in range(args.rounds):
            for name, k in ks.items():
                times[name].append(_timed(k, g, g0, x))
        print(f"{np.dtype(dtype).name} 2^{log2n} values in place, alpha 1: ms per call")
        for name, t in times.items():
            print(f"  {name:24s} median {np.median(t) * 1e3:6.2f}  best {min(t) * 1e3:6.2f}")
    return 0


def _timed(k, g, g0, x) -> float:
    g[:] = g0  # the same grads every call (in place they would decay)
    t = time.perf_counter()
    k(g, x, None)
    return time.perf_counter() - t


if __name__ == "__main__":
    sys.exit(main())
