"""What the ufuncs' FP-flag check costs on data with NaN (missing values)::

    python benchmarks/ufunc_flags.py [--log2n 18] [--rounds 9] [--every 1000]

A NaN input raises "invalid" in the loops' vector compares, so every chunk that holds one
is scanned for a result that explains the flag (``_cpu._settle_flags``); without NaN the
check is two reads of the flags per chunk.  Times ``ufuncs.elu(x, 1.0)`` and
``ufuncs.elu_grad_x(g, x, 1.0)``, out of place into a preallocated array, on x from
N(0, 3) as it is and with one NaN every ``--every`` elements, float32 and float64, in
alternating rounds (best of ``--rounds`` rounds of 20 calls each); prints µs per call and
the ratio with NaN / without.  The default size keeps the four arrays in the L3 cache (in
memory, the float64 calls of 2^20 values moved by 2x from round to round), so that the
check's compute shows.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from elu_numba import ufuncs


def _spread(n: int, dtype, k: int) -> list[np.ndarray]:
    """k uninitialized arrays of n values whose addresses differ by 1 KiB modulo 4 KiB.  With
    plain fresh arrays, the float64 calls of one process took 172 instead of 87 µs
    (``ufuncs.elu``, 2^18 values) after the float32 ones had run, with the output 16 bytes
    from an input modulo 4 KiB; an isolated check of that offset alone later found at
    most 13% (2026-12-05), so the cause is not pinned down.  Spread arrays gave the same
    times in either order."""
    size = n * np.dtype(dtype).itemsize
    arrays = []
    for i in range(k):
        buf = np.empty(size + 8192, np.uint8)
        off = (i * 1024 - buf.ctypes.data) % 4096
        arrays.append(buf[off : off + size].view(dtype))
    return arrays


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--log2n", type=int, default=18)
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--every", type=int, default=1000)
    args = p.parse_args(argv)
    rng = np.random.default_rng(0)
    n = 1 << args.log2n
    print(f"2^{args.log2n} values, one NaN in {args.every}; µs per call, best of {args.rounds}")
    for dtype in (np.float32, np.float64):
        x, xn, g, out = _spread(n, dtype, 4)
        x[:] = rng.normal(0.0, 3.0, n)
        xn[:] = x
        xn[:: args.every] = np.nan
        g[:] = rng.normal(0.0, 1.0, n)
        one = dtype(1.0)
        cases = {
            "ufuncs.elu": lambda v, one=one, out=out: ufuncs.elu(v, one, out=out),
            "ufuncs.elu_grad_x": lambda v, g=g, one=one, out=out: ufuncs.elu_grad_x(
                g, v, one, out=out
            ),
        }
        for name, f in cases.items():
            best = {"clean": np.inf, "nan": np.inf}
            for _ in range(args.rounds):
                for side, v in (("clean", x), ("nan", xn)):
                    f(v)  # warm-up: the same call untimed first
                    t = time.perf_counter()
                    for _ in range(20):
                        f(v)
                    best[side] = min(best[side], (time.perf_counter() - t) / 20 * 1e6)
            ratio = best["nan"] / best["clean"]
            print(
                f"{np.dtype(dtype).name:8} {name:18} without NaN {best['clean']:8.1f}"
                f"  with NaN {best['nan']:8.1f}  ratio {ratio:5.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
