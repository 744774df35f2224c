"""What a parallel call costs when the worker threads have gone to sleep (docs/speed-log.md)::

    python benchmarks/wakeup.py [--log2n 20] [--calls 60]
    OMP_WAIT_POLICY=active python benchmarks/wakeup.py     # GNU OpenMP threads never sleep
    python benchmarks/wakeup.py --spin [--calls 20]         # how long they spin after a call

Times single in-place calls on 2^20 float32 values that stay in the cache (two copies),
for elu_numba's ELU, the memory-limit loop of ``_harness`` (an in-place scale in
elu_numba's own loop) and PyTorch's ``F.elu_`` when installed, each after an idle gap of 0,
0.2, 1 and 10 ms (``time.sleep``) and back to back.  Between calls the copy is refreshed
from a pristine array (single-threaded, untimed), as ``targets.py`` does between rounds.
Medians and minima in µs.  After the gap, an OpenMP team's threads have stopped spinning and
sleep in the kernel; waking them is part of the next call's time, and on a virtual machine
that can cost more than the call itself.

``--spin`` measures the other side of it: after each call the main thread stays busy for
``BUSY`` seconds (a loop on the clock, so that no CPU goes idle), and the script prints, per
call, the CPU time of the process's other threads (``/proc/self/task/*/schedstat``, in
ns): their share of the call plus how long they spin before they sleep.  While one
library's threads spin, another's calls share the cores with them: ``targets.py`` keeps
each side's untimed rounds going for ``_harness.SETTLE`` seconds before it times one.
"""

from __future__ import annotations

import argparse
import os
import threading
import time

import numpy as np

import _harness as h

GAPS = (0.0, 0.0002, 0.001, 0.01)
BUSY = 0.05  # --spin: seconds the main thread stays busy after each call


def other_threads_cpu_ns() -> int:
    """CPU time (ns) that this process's threads other than the calling one have used."""
    me = str(threading.get_native_id())
    total = 0
    for tid in os.listdir("/proc/self/task"):
        if tid != me:
            try:
                with open(f"/proc/self/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[0])
            except FileNotFoundError:  # the thread ended meanwhile
                pass
    return total


def spin(f, x: np.ndarray, calls: int) -> tuple[float, float]:
    """(median seconds per call, the other threads' CPU seconds per call) over ``calls``
    calls, each followed by ``BUSY`` seconds of the main thread busy on the clock."""
    a = x.copy()
    f(a)  # compile / warm
    ts = np.empty(calls)
    cpu0 = other_threads_cpu_ns()
    for i in range(calls):
        np.copyto(a, x)
        t = time.perf_counter()
        f(a)
        ts[i] = time.perf_counter() - t
        while time.perf_counter() - t < BUSY:
            pass
    return float(np.median(ts)), (other_threads_cpu_ns() - cpu0) / 1e9 / calls


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
    ap.add_argument("--spin", action="store_true", help="the other threads' CPU time per call")
    args = ap.parse_args(argv)
    case = h.Case(h.find_function("elu"), np.dtype(np.float32), args.log2n, True)
    (x,) = h.pristine(case.func, case.dtype, case.log2n)
    if args.spin:
        print(f"2^{args.log2n} float32 in place; each call followed by {BUSY * 1e3:g} ms busy")
        for name, f in contenders(case):
            call, other = spin(f, x, args.calls)
            print(
                f"{name:16s} call {call * 1e3:.3f} ms (median); "
                f"other threads on the CPU {other * 1e3:.2f} ms per call",
                flush=True,
            )
        return 0
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
