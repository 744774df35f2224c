"""What the alpha = 1 kernel saves, for ELU and CELU, njit API and ufuncs::

    python benchmarks/unit_alpha.py [--log2n 20 24] [--rounds 21]

``elu(x)`` and ``celu(x)`` run a kernel compiled for alpha = 1 (``_math.UNIT_ALPHA``), and so
do ``ufuncs.elu(x, 1.0)`` and ``ufuncs.celu(x, 1.0)``; an alpha one step above 1 runs the
general kernel, which is what alpha = 1 ran before (the ufuncs until 2026-12-04, CELU
everywhere).  Each call works in place on float32 values from N(0, 3), refreshed from a
pristine copy before every round (untimed); the calls are timed in alternating rounds, so
that a noisy machine moves them alike.  Prints the median ms per call and, per function,
general / alpha = 1.  2^20 values (4 MiB) stay in the L3 cache; 2^24 come from memory.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import elu_numba as en
from elu_numba import ufuncs

ABOVE_ONE = float(np.nextafter(np.float32(1), np.float32(2)))  # the general kernel's alpha


def calls(name: str) -> dict:
    """{label: f(a)} for one function, each in place on the float32 array a."""
    f, u = getattr(en, name), getattr(ufuncs, name)
    return {
        f"{name}(x)": lambda a: f(a, out=a),
        f"{name}(x, 1 + 2^-23)": lambda a: f(a, ABOVE_ONE, out=a),
        f"ufuncs.{name}(x, 1.0)": lambda a: u(a, 1.0, out=a),
        f"ufuncs.{name}(x, 1 + 2^-23)": lambda a: u(a, ABOVE_ONE, out=a),
    }


def measure(log2n: int, rounds: int) -> dict[str, float]:
    """Median seconds per call of every call of ``calls`` on 2^log2n values."""
    pristine = np.random.default_rng(log2n).normal(0.0, 3.0, 1 << log2n).astype(np.float32)
    a = pristine.copy()
    fns = {k: v for name in ("elu", "celu") for k, v in calls(name).items()}
    for f in fns.values():  # compile, fault the pages in
        f(a)
        np.copyto(a, pristine)
    times: dict[str, list[float]] = {k: [] for k in fns}
    with np.errstate(invalid="ignore"):
        for _ in range(rounds):
            for k, f in fns.items():
                np.copyto(a, pristine)
                f(a)  # untimed: the threads are awake, the data where the timed call finds it
                np.copyto(a, pristine)
                t = time.perf_counter()
                f(a)
                times[k].append(time.perf_counter() - t)
    return {k: float(np.median(v)) for k, v in times.items()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--log2n", type=int, nargs="+", default=[20, 24])
    p.add_argument("--rounds", type=int, default=21)
    args = p.parse_args(argv)
    for log2n in args.log2n:
        med = measure(log2n, args.rounds)
        print(f"float32 2^{log2n} in place, ms per call (median of {args.rounds})")
        for k, v in med.items():
            print(f"  {k:30s} {v * 1e3:8.3f}")
        for name in ("elu", "celu"):
            for lead in (name, f"ufuncs.{name}"):
                unit = med[f"{lead}(x)" if lead == name else f"{lead}(x, 1.0)"]
                general = med[f"{lead}(x, 1 + 2^-23)"]
                print(f"  {lead}: general / alpha = 1 = {general / unit:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
