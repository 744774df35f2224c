"""What a parallel call costs when the worker threads have gone to sleep (docs/speed-log.md)::

    python benchmarks/wakeup.py [--log2n 20] [--calls 60]
    OMP_WAIT_POLICY=active python benchmarks/wakeup.py     # GNU OpenMP threads never sleep

Times single in-place calls on 2^20 float32 values that stay in the cache (two copies),
for elu_numba's ELU, the memory-limit loop of ``_harness`` (an in-place scale in
elu_numba's own loop) and PyTorch's ``F.elu_`` when installed, each after an idle gap of 0,
0.2, 1 and 10 ms (``time.sleep``) and back to back.  Between calls the copy is refreshed
from a pristine array (single-threaded, untimed), as ``targets.py`` does between rounds.
Medians and minima in µs.  After the gap, an OpenMP team's threads have stopped spinning and
sleep in the kernel; waking them is part of the next call's time, and on a virtual machine
that can cost more than the call itself.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import _harness as h

GAPS = (0.0, 0.0002, 0.001, 0.01)


def contenders(case: h.Case):
    """(label, f(a)) for elu_numba, the memory limit and PyTorch (when installed): each
    works in place on the float32 array a, as ``targets.py`` calls them."""
    out = []
    for name in ("elu_numba", "memory-limit", "torch"):
        impl = h.IMPLS_BY_ID[name]
        try:
            built = impl.build(case)
        except h.Unsupported:
            continue
        conv = built.convert or (lambda a: a)
        out.append((impl.label, lambda a, b=built, c=conv: b.call(c(a), *b.extra)))
    return out


def measure(f, x: np.ndarray, gap: float | None, calls: int) -> np.ndarray:
    """Seconds per call: after ``gap`` seconds idle (refresh untimed), or back to back
    (``gap=None``: no refresh, no pause)."""
    copies = [x.copy(), x.copy()]
    f(copies[0])  # compile / warm
    ts = np.empty(calls)
    for i in range(calls):
        a = copies[i % 2]
        if gap is not None:
            np.copyto(a, x)
            if gap:
                time.sleep(gap)
        t = time.perf_counter()
        f(a)
        ts[i] = time.perf_counter() - t
    return ts


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--log2n", type=int, default=20)
    ap.add_argument("--calls", type=int, default=60)
    args = ap.parse_args(argv)
    case = h.Case(h.find_function("elu"), np.dtype(np.float32), args.log2n, True)
    (x,) = h.pristine(case.func, case.dtype, case.log2n)
    print(f"2^{args.log2n} float32 in place, in the cache; µs per call, median (min)")
    gaps = [*GAPS, None]
    head = [("back to back" if g is None else f"gap {g * 1e3:g} ms") for g in gaps]
    print(f"{'':16s}" + "".join(f"{s:>20s}" for s in head))
    for name, f in contenders(case):
        cells = []
        for g in gaps:
            ts = measure(f, x, g, args.calls)
            cells.append(f"{np.median(ts) * 1e6:.0f} ({ts.min() * 1e6:.0f})")
        print(f"{name:16s}" + "".join(f"{c:>20s}" for c in cells), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
