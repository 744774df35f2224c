"""Where the time of ``elu(x, out=x)`` on 2^20 float32 values (the PyTorch row) goes::

    python benchmarks/elu_budget.py [--rounds 400]

1. The clock: a chain of dependent scalar FMAs (4 cycles each on AMD Zen 3/4 and Intel
   since Skylake), ns per FMA and the GHz that implies.
2. The arithmetic alone: the float32 alpha = 1 ELU (``_math.elu(x, None)``) in the kernels'
   block shape (256-element blocks, 512-bit vectors, whole-vector stores), serial, 2000
   in-place passes over 4096 values (in L1): ns per element, cycles per 16 values at that
   clock, and the time 2^20 values would take on the threads Numba has, with nothing else.
3. 2^20 values in place: the parallel kernel called directly, and ``elu_numba.elu(x,
   out=x)``, in alternating rounds (the array refreshed from a copy before each call);
   then, in rounds of its own, the serial kernel on one thread's share of them (2^20 /
   threads values, refreshed the same way): the time the parallel kernel would take with no
   cost of its own.
4. The API's own cost on 64 values: ``elu(x, out=x)``, ``elu(x, 1.7, out=x)`` and
   ``elu_grad(g, y=y, out=g)`` against the serial kernels they run, called directly with
   the alpha they get, medians of alternating calls, with the caches warm and right after a
   4 MiB copy (the refresh of 3.), which evicts the interpreter's data as it does before
   each call there.
5. PyTorch's ``F.elu_`` on the 2^20 values of 3. (when PyTorch is installed), last, and its
   median over each of 3.'s: the PyTorch row of ``benchmarks/targets.py`` and its ceiling.
"""

from __future__ import annotations

import argparse
import sys
import time

import numba
import numpy as np

import elu_numba
from elu_numba import _cpu, _math

BLOCK = _cpu.BLOCK


@numba.njit
def _fma_chain(n, a, b):
    x = 0.5
    for _ in range(n):
        x = _math.fma(x, a, b)
    return x


@numba.njit(error_model="numpy")
def kernel_passes(x, reps):
    """reps in-place passes of the kernels' block loop (float32 ELU, alpha = 1) over x."""
    for _ in range(reps):
        for b in range(x.size // BLOCK):
            _cpu._wide_vectors()
            xb = x[b * BLOCK : (b + 1) * BLOCK]
            for j in range(BLOCK):
                xb[j] = _cpu._frozen(_math.elu(xb[j], None))


def clock() -> tuple[float, float]:
    """ns per dependent FMA (best of 3 chains of 10^8) and the GHz that implies at 4 cycles
    each (AMD Zen 3/4, Intel since Skylake)."""
    n = 10**8
    _fma_chain(10, 0.999, 1e-3)
    ns = min(_timed(lambda: _fma_chain(n, 0.999, 1e-3)) for _ in range(3)) / n * 1e9
    return ns, 4 / ns


def best_passes(runs: dict, x0: np.ndarray, reps: int) -> dict[str, float]:
    """ns per element of each ``f(x, reps)`` in ``runs`` (reps in-place passes over a copy of
    x0 inside one compiled call): best of 5 calls, three rounds alternating between them."""
    best = dict.fromkeys(runs, np.inf)
    for f in runs.values():
        f(x0.copy(), 1)
    for _ in range(3):
        for name, f in runs.items():
            x = x0.copy()
            t = min(_timed(lambda: f(x, reps)) for _ in range(5))  # noqa: B023 (called here)
            best[name] = min(best[name], t / (reps * x0.size) * 1e9)
    return best


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=400)
    args = p.parse_args(argv)

    ns, ghz = clock()
    print(f"clock: {ns:.3f} ns per dependent FMA -> {ghz:.2f} GHz at 4 cycles each")

    rng = np.random.default_rng(0)
    small = rng.normal(0.0, 3.0, 4096).astype(np.float32)
    work = small.copy()
    kernel_passes(work, 1)
    reps = 2000
    best = min(_timed(lambda: kernel_passes(work, reps)) for _ in range(7))
    per = best / (reps * small.size) * 1e9
    threads = numba.get_num_threads()
    print(
        f"arithmetic: {per:.4f} ns per element serial in L1, {per * 16 * ghz:.1f} cycles per "
        f"16 values; 2^20 values on {threads} threads: {per * (1 << 20) / threads / 1e3:.1f} us"
    )

    base = rng.normal(0.0, 3.0, 1 << 20).astype(np.float32)
    a = base.copy()
    serial = _cpu.loops("elu", False, "inplace")
    kern = _cpu.loops("elu", True, "inplace")
    share = a[: a.size // threads]
    calls = {
        "kernel (parallel, direct)": lambda: kern(a, None),
        "elu_numba.elu(x, out=x)": lambda: elu_numba.elu(a, out=a),
    }
    for f in calls.values():
        f()
    times = {name: [] for name in calls}
    for _ in range(args.rounds):
        for name, f in calls.items():
            a[:] = base
            times[name].append(_timed(f))
    # apart: between two parallel calls a serial one lets OpenMP's other threads fall asleep,
    # and waking them made the parallel kernel 10-15% slower (2026-12-06)
    name = f"serial kernel on 2^20/{threads} of them"
    serial(share, None)
    times[name] = []
    for _ in range(args.rounds):
        a[:] = base
        times[name].append(_timed(lambda: serial(share, None)))
    med20 = {}
    for name, t in times.items():
        t = np.array(t) * 1e6
        med20[name], p25 = np.median(t), np.percentile(t, 25)
        print(f"2^20 in place, {name}: median {med20[name]:.1f} us, p25 {p25:.1f}")

    small = base[:64].copy()
    y64 = elu_numba.elu(small)
    serial_g = _cpu.loops("elu_grad_y", False, "inplace")
    a17, one = np.float32(1.7), np.float32(1.0)  # the kernels' float32 alpha
    cases = {  # what the API runs, and the API call
        "elu(x, out=x)": (lambda: serial(small, None), lambda: elu_numba.elu(small, out=small)),
        "elu(x, 1.7, out=x)": (
            lambda: serial(small, a17),
            lambda: elu_numba.elu(small, 1.7, out=small),
        ),
        "elu_grad(g, y=y, out=g)": (
            lambda: serial_g(small, y64, one),
            lambda: elu_numba.elu_grad(small, y=y64, out=small),
        ),
    }
    for evict in (False, True):
        times = {(c, side): [] for c in cases for side in (0, 1)}
        for _ in range(10 * args.rounds):
            for (c, side), t in times.items():
                if evict:
                    a[:] = base  # 4 MiB through the caches, as before every timed call above
                small[:] = base[:64]
                t.append(_timed(cases[c][side]))
        where = "after a 4 MiB copy" if evict else "in the cache"
        med = {key: np.median(t) * 1e6 for key, t in times.items()}
        print(f"64 float32 values in place, {where} (median us): kernel, API, API - kernel")
        for c in cases:
            k, api = med[(c, 0)], med[(c, 1)]
            print(f"   {c:24s} {k:5.2f} {api:5.2f} {api - k:5.2f}")
    _against_torch(base, a, args.rounds, med20)
    return 0


def _against_torch(base, a, rounds, med20) -> None:
    """5. PyTorch's ``F.elu_`` on the same 2^20 values (refreshed the same way), last: its
    OpenMP threads spin for a while after each call and would slow what runs next.  Prints
    its median over each median of 3."""
    try:
        import torch
    except ImportError:
        print("PyTorch: not installed")
        return
    t = torch.from_numpy(a)
    elu_ = torch.nn.functional.elu_
    elu_(t)
    times = []
    for _ in range(rounds):
        a[:] = base
        times.append(_timed(lambda: elu_(t)))
    med = np.median(times) * 1e6
    print(f"2^20 in place, PyTorch F.elu_ ({torch.get_num_threads()} threads): median {med:.1f} us")
    for name, m in med20.items():
        print(f"   PyTorch / {name}: {med / m:.2f}x")


def _timed(f) -> float:
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


if __name__ == "__main__":
    sys.exit(main())
