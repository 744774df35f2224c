"""The serial and the parallel kernel after a gap between calls::

    python benchmarks/crossover_gap.py [--gap busy|idle|none] [--sizes 13-16] [--rounds 30]

``bench_crossover.py`` times calls back to back, while OpenMP's second thread still spins
after the previous call.  Here each timed call of ``elu_numba.elu_grad(g, x=x, out=o)``
(float64, x ~ N(0, 3)) follows a gap: ``busy``, the main thread works alone for 5 ms (a
pipeline's other work: the second thread goes to sleep and must be woken), or ``idle``,
the process sleeps for 10 ms (the whole machine may idle: on a VM every call then starts
cold, serial ones too), or ``none``, back to back (as ``bench_crossover.py``, through the
API).  The API's choice is forced by replacing ``_cpu.parallel_from`` and clearing the
API's plans, which keep its value (``_api._plans``; both restored afterwards); serial and
parallel alternate.  Prints the median and the 25th percentile in microseconds.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import elu_numba as en
from elu_numba import _api, _cpu


def _gap(kind: str) -> None:
    if kind == "none":
        return
    if kind == "idle":
        time.sleep(0.01)
        return
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 0.005:
        pass


def measure(log2n: int, gap: str, rounds: int) -> dict[str, list[float]]:
    rng = np.random.default_rng(log2n)
    x, g = rng.normal(0.0, 3.0, 1 << log2n), rng.normal(0.0, 1.0, 1 << log2n)
    out = np.empty_like(g)
    real = _cpu.parallel_from
    forced = {"serial": lambda name, size: 1 << 62, "parallel": lambda name, size: 0}
    times: dict[str, list[float]] = {mode: [] for mode in forced}
    try:
        for _ in range(rounds):
            for mode, choice in forced.items():
                _cpu.parallel_from = choice
                _api._PLANS.clear()  # the API reads it once per kernel (``_api._plans``)
                en.elu_grad(g, x=x, out=out)  # this mode's kernel, compiled and warm
                _gap(gap)
                t = time.perf_counter()
                en.elu_grad(g, x=x, out=out)
                times[mode].append(time.perf_counter() - t)
    finally:
        _cpu.parallel_from = real
        _api._PLANS.clear()
    return times


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gap", choices=("busy", "idle", "none"), default="busy")
    ap.add_argument("--sizes", default="13-16", help="log2 range")
    ap.add_argument("--rounds", type=int, default=30)
    args = ap.parse_args(argv)
    lo, _, hi = args.sizes.partition("-")
    for log2n in range(int(lo), int(hi or lo) + 1):
        times = measure(log2n, args.gap, args.rounds)
        cells = [
            f"{mode} {np.median(t) * 1e6:.0f} us (p25 {np.percentile(t, 25) * 1e6:.0f})"
            for mode, t in times.items()
        ]
        print(f"float64 elu_grad(g, x=x) 2^{log2n} after a {args.gap} gap: " + ", ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
