"""How far ahead the CPU loops should prefetch (``elu_numba._cpu.AHEAD``, in bytes)::

    python benchmarks/prefetch.py [--rounds 7] [--log2n 26] [--ahead none 0 1024 2048 4096]
                                  [--copies 1] [--no-refresh]

Builds the in-place loops of ``_cpu`` (the kernels' own loop shape) for each prefetch
distance -- ``none`` is the same loop without the prefetch -- and times them side by side,
round by round, on float32 (2^log2n values) and float64 (half as many: the same bytes), with
every thread and with one: ELU with alpha = 1 and 1.7, ``elu_grad_y`` (g *= where(y > 0, 1,
y + alpha)), ``elu_grad_x`` at alpha = 1 (g *= where(x > 0, 1, exp(x)): the kernel of
``elu_grad(g, x=x, out=g)``, x the input), and an in-place scale ``x *= 1.0001`` in the
same loop (the memory limit) next to the plain prange scale loop that
``benchmarks/targets.py`` used before prefetching.
Prints the median time per call in ms.  Fresh caches: the loops are compiled in this run.

Each call gets a copy of the input refreshed (written by the main thread) just before it,
as ``targets.py`` refreshes its copies before a round.  ``--copies K`` rotates through K
copies (two, at ``--log2n 20``, are the cache-resident rows of ``targets.py``); with
``--no-refresh`` each loop gets copies of its own and runs on what its previous call left
there, so the data lies where the loop's own threads wrote it (ELU and the scale keep the
values finite and normal over many calls; the gradients, which shrink grad toward
subnormals, are left out); with ``--spread`` each of Numba's threads refreshes the share of
each copy a parallel loop gives it (the input then repeats a tile of
``_harness.SPREAD_TILE`` values), as a parallel producer leaves its output: the placement
of the ``spread`` contrast rows of ``targets.py`` (one copy).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from functools import partial

os.environ.setdefault("NUMBA_CACHE_DIR", tempfile.mkdtemp(prefix="elu_numba_prefetch_"))

import numba  # noqa: E402
import numpy as np  # noqa: E402
from numba import prange  # noqa: E402

import _harness as h  # noqa: E402
from elu_numba import _cpu, _math  # noqa: E402
from elu_numba._options import jitable, kernel  # noqa: E402


@jitable
def _scale(x, alpha):
    return x * alpha


@kernel(True)
def _plain_scale(x):
    for i in prange(x.size):
        x[i] *= x.dtype.type(1.0001)


LOOPS = ("elu a=1", "elu a=1.7", "elu_grad_y", "elu_grad_x", "scale")


def build(a, parallel):
    """{name: (kernel, kind of call)} for one prefetch distance ``a`` (None: no prefetch),
    the names of ``LOOPS``."""
    return {
        "elu a=1": (_cpu._unary(_math.elu, parallel, "inplace", a), "unit"),
        "elu a=1.7": (_cpu._unary(_math.elu, parallel, "inplace", a), "alpha"),
        "elu_grad_y": (_cpu._binary(_math.elu_grad_y, parallel, "inplace", a), "grad"),
        "elu_grad_x": (
            _cpu._binary(
                _math.elu_grad_x, parallel, "inplace", a, fast=_math.FAST_GRAD["elu_grad_x"]
            ),
            "grad_x",
        ),
        "scale": (_cpu._unary(_scale, parallel, "inplace", a), "scale"),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--log2n", type=int, default=26)
    ap.add_argument("--ahead", nargs="+", default=["none", "0", "1024", "2048", "4096"])
    ap.add_argument("--copies", type=int, default=1, help="copies rotated through")
    how = ap.add_mutually_exclusive_group()
    how.add_argument("--no-refresh", action="store_true", help="no refresh before a call")
    how.add_argument("--spread", action="store_true", help="refresh from Numba's threads")
    args = ap.parse_args(argv)
    aheads = [None if a == "none" else int(a) for a in args.ahead]
    names = [n for n in LOOPS if not (args.no_refresh and "_grad_" in n)]
    rng = np.random.default_rng(0)
    threads = numba.get_num_threads()
    print(f"{args.rounds} rounds, median ms per call; {numba.config.THREADING_LAYER} layer")
    for dtype, log2n in ((np.float32, args.log2n), (np.float64, args.log2n - 1)):
        src = rng.standard_normal(1 << log2n).astype(dtype)
        tile = None
        if args.spread:  # a tile repeated, which each thread refreshes its share from
            tile = src[: h.SPREAD_TILE].copy()
            src = np.resize(tile, src.size)
        refresh = partial(_refresh, tile, src)
        y = _math_elu_ref(src)
        shared = None if args.no_refresh else _copies(src, args.copies)
        for nt in sorted({threads, 1}, reverse=True):
            numba.set_num_threads(nt)
            kernels = {a: build(a, True) for a in aheads}
            calls = {}  # {(loop, ahead): [(copy, call on it)]}
            for a, ks in kernels.items():
                for name in names:
                    k, kind = ks[name]
                    calls[(name, a)] = [
                        (x, _caller(k, kind, x, y, src, dtype))
                        for x in (shared or _copies(src, args.copies))
                    ]
            calls[("plain scale", None)] = [
                (x, partial(_plain_scale, x)) for x in (shared or _copies(src, args.copies))
            ]
            times = {key: [] for key in calls}
            for xfs in calls.values():  # compile and warm up
                for x, f in xfs:
                    refresh(x)
                    f()
            for _ in range(args.rounds):
                for key, xfs in calls.items():
                    for x, f in xfs:
                        if not args.no_refresh:
                            refresh(x)
                        t = time.perf_counter()
                        f()
                        times[key].append(time.perf_counter() - t)
            print(f"\n{np.dtype(dtype).name} 2^{log2n} in place, {nt} thread(s)")
            print("ahead".ljust(8) + "".join(n.rjust(12) for n in names))
            for a in aheads:
                label = "none" if a is None else f"{a}"
                row = "".join(f"{np.median(times[(n, a)]) * 1e3:12.4g}" for n in names)
                print(label.ljust(8) + row)
            print(f"plain prange scale: {np.median(times[('plain scale', None)]) * 1e3:.4g} ms")
    numba.set_num_threads(threads)
    return 0


def _refresh(tile, src, x):
    """Put src back into x: from the main thread, or (given the tile src repeats) from
    Numba's threads, each its share of x (``_harness._spread_fill``)."""
    if tile is None:
        np.copyto(x, src)
    else:
        h._spread_fill(x, tile)


def _copies(src, k):
    """k copies of src: each loop's own under --no-refresh (else the loops share one set)."""
    return [src.copy() for _ in range(k)]


def _math_elu_ref(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


def _caller(k, kind, x, y, src, dtype):
    one, alpha = dtype(1.0), dtype(1.7)
    if kind == "grad_x":  # grad x (refreshed), the input src: elu_grad(x, x=src, out=x)
        return lambda: k(x, src, None)
    if kind == "scale":
        return lambda: k(x, dtype(1.0001))
    if kind == "unit":
        return lambda: k(x, None)
    if kind == "alpha":
        return lambda: k(x, alpha)
    return lambda: k(x, y, one)


if __name__ == "__main__":
    sys.exit(main())
