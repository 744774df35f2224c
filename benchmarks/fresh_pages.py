"""What the first writes to a fresh result cost (README, Speed: the full comparison's float64
out-of-place rows at 2^22)::

    python benchmarks/fresh_pages.py [--log2n 22] [--rounds 15]

Times ELU's parallel and serial kernels on 2^log2n float64 values into an existing array
and into a fresh ``np.empty_like`` each call (what an out-of-place call does), and
``np.empty_like(x).fill(1.0)`` as the floor of the fresh case: with NumPy's advice to the
kernel to back large arrays with huge pages (``madvise(MADV_HUGEPAGE)`` from 4 MiB on, its
default on Linux) and without it.  glibc maps an allocation of 32 MiB or more afresh each
time (2^22 float64 values are 32 MiB), so every call then faults its pages in.  Prints the
machine's transparent-huge-page settings and the medians in ms, the two advice settings
alternating round by round.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from elu_numba import _cpu

THP = Path("/sys/kernel/mm/transparent_hugepage")


def _advice_switch():
    """NumPy's (private) switch of its huge-page advice, or None where it has none."""
    for mod in ("_core", "core"):
        ma = getattr(getattr(np, mod, None), "multiarray", None)
        if ma is not None and hasattr(ma, "_set_madvise_hugepage"):
            return ma._set_madvise_hugepage
    return None


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--log2n", type=int, default=22)
    p.add_argument("--rounds", type=int, default=15)
    args = p.parse_args(argv)
    for name in ("enabled", "defrag"):
        f = THP / name
        print(f"transparent_hugepage/{name}: {f.read_text().strip() if f.exists() else '-'}")
    switch = _advice_switch()
    x = np.random.default_rng(0).normal(0.0, 3.0, 1 << args.log2n)
    existing = np.empty_like(x)
    par, ser = _cpu.loops("elu", True, "out"), _cpu.loops("elu", False, "out")
    calls = {
        "parallel kernel, existing array": lambda: par(x, existing, None),
        "parallel kernel, fresh array": lambda: par(x, np.empty_like(x), None),
        "serial kernel, fresh array": lambda: ser(x, np.empty_like(x), None),
        "empty_like(x).fill(1.0)": lambda: np.empty_like(x).fill(1.0),
    }
    advice = (True, False) if switch is not None else (True,)
    times = {(a, name): [] for a in advice for name in calls}
    for f in calls.values():
        f()
    for _ in range(args.rounds):
        for a in advice:
            if switch is not None:
                previous = switch(a)
            try:
                for name, f in calls.items():
                    t = time.perf_counter()
                    f()
                    times[a, name].append(time.perf_counter() - t)
            finally:
                if switch is not None:
                    switch(previous)
    print(f"2^{args.log2n} float64 values ({x.nbytes >> 20} MiB), median ms:")
    for (a, name), t in times.items():
        print(f"  huge-page advice {'on ' if a else 'off'}  {name:32s} {np.median(t) * 1e3:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
