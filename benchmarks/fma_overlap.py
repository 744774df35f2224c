"""How many vector FMAs per cycle this machine retires, and how well arithmetic overlaps
memory traffic (docs/speed-log.md)::

    python benchmarks/fma_overlap.py

1. A serial loop of 12 FMAs per 8 float32 elements (mostly independent) on 2^11 values in
   L1, timed against a chain of dependent float64 adds (3 cycles each on Zen 3) for the
   clock: FMAs per cycle.  Zen 3 can retire two per cycle.
2. Parallel in-place loops over 2^26 float32 values with arithmetic of two shapes -- one
   dependent chain of FMAs per element (latency-bound) or four independent chains
   (throughput-bound) -- against the same loop on 2^17 values (in L2: compute alone), in
   ns per element.  Medians of 7 runs.
"""

from __future__ import annotations

import time

import numpy as np
from numba import njit, prange

from elu_numba._math import _freeze, fma

F = np.float32


@njit
def add_chain(n):
    acc = 0.0
    for _ in range(n):
        acc += 1.0
    return acc


@njit
def twelve_fmas(x, o, reps):
    for _ in range(reps):
        for i in range(x.size):
            v = x[i]
            a, b = fma(v, F(1.1), F(0.1)), fma(v, F(1.2), F(0.2))
            c, d = fma(v, F(1.3), F(0.3)), fma(v, F(1.4), F(0.4))
            e, f = fma(v, F(1.5), F(0.5)), fma(v, F(1.6), F(0.6))
            g, h = fma(v, F(1.7), F(0.7)), fma(v, F(1.8), F(0.8))
            a, d = fma(a, b, c), fma(d, e, f)
            o[i] = fma(d, fma(g, h, a), v)


def chain_loop(nf):
    @njit(parallel=True)
    def k(x, a):
        for i in prange(x.size):
            v = x[i]
            w = v
            for _ in range(nf):
                w = fma(w, a, v)
            x[i] = _freeze(w)

    return k


def wide_loop(nf):
    @njit(parallel=True)
    def k(x, a):
        for i in prange(x.size):
            v = x[i]
            w1, w2, w3, w4 = v, v + a, v - a, v * a
            for _ in range(nf):
                w1, w2 = fma(w1, a, v), fma(w2, a, v)
                w3, w4 = fma(w3, a, v), fma(w4, a, v)
            x[i] = _freeze((w1 + w2) + (w3 + w4))

    return k


def fmas_per_cycle() -> list[float]:
    x = np.random.default_rng(0).random(2048).astype(F)
    o = np.empty_like(x)
    twelve_fmas(x, o, 1)
    add_chain(10)
    out = []
    for _ in range(5):
        t = time.perf_counter_ns()
        add_chain(1_000_000)
        ghz = 3e6 / (time.perf_counter_ns() - t)
        t = time.perf_counter_ns()
        twelve_fmas(x, o, 200)
        cycles = (time.perf_counter_ns() - t) * ghz / 200 / (x.size / 8)
        out.append(12 / cycles)
    return out


def overlap(k, x, xs, a) -> tuple[float, float]:
    k(xs, a)
    k(x, a)
    big, small = [], []
    for _ in range(7):
        t = time.perf_counter()
        k(x, a)
        big.append(time.perf_counter() - t)
        t = time.perf_counter()
        for _ in range(100):
            k(xs, a)
        small.append((time.perf_counter() - t) / 100)
    return np.median(big) / x.size * 1e9, np.median(small) / xs.size * 1e9


def main() -> None:
    print("vector FMAs per cycle:", " ".join(f"{v:.2f}" for v in fmas_per_cycle()))
    x = np.random.default_rng(0).normal(0.0, 1.0, 1 << 26).astype(F)
    xs = x[: 1 << 17].copy()
    a = F(0.5)
    print("loop                      2^26 ns/elem   2^17 (compute) ns/elem")
    shapes = (("chain of", chain_loop, (1, 8, 12, 16)), ("4 x", wide_loop, (2, 3, 4)))
    for label, make, nfs in shapes:
        for nf in nfs:
            big, small = overlap(make(nf), x, xs, a)
            print(f"{label} {nf:2d} FMAs{'':12s} {big:.3f}          {small:.3f}")


if __name__ == "__main__":
    main()
