"""elu_numba's ufunc against Numba's ``@vectorize(target="parallel")`` ufunc of the same
math and against ``elu_numba.elu``, under one threading layer; float32 ELU in place, alpha
a broadcast scalar, median of 15 rounds::

    python benchmarks/ufunc_threading.py omp        # or workqueue, tbb

This is why ``elu_numba.ufuncs`` run their own inner loop in chunks on a prange instead of
being a parallel ``@vectorize`` (README, "The ufuncs").
"""

from __future__ import annotations

import sys
import time

import numba
import numpy as np


def median_ms(f, a, b, rounds=15):
    f(a)  # warm-up: compiles, faults the pages in
    times = []
    for _ in range(rounds):
        np.copyto(a, b)
        t = time.perf_counter()
        f(a)
        times.append(time.perf_counter() - t)
    return 1e3 * float(np.median(times))


def main(layer: str) -> int:
    numba.config.THREADING_LAYER = layer
    import elu_numba as en
    from elu_numba import _math, ufuncs

    sigs = ["float32(float32, float32)", "float64(float64, float64)"]
    parallel = numba.vectorize(sigs, target="parallel")(lambda x, a: _math.elu(x, a))
    one = np.float32(1.0)
    impls = {
        "elu_numba.ufuncs.elu": lambda a: ufuncs.elu(a, one, out=a),
        "@vectorize(target='parallel')": lambda a: parallel(a, one, out=a),
        "elu_numba.elu": lambda a: en.elu(a, out=a),
    }
    print(f"threading layer {layer}, {numba.get_num_threads()} threads; ms, median")
    for k in (16, 20, 24):
        b = np.random.default_rng(k).normal(0.0, 3.0, 1 << k).astype(np.float32)
        a = b.copy()
        row = "  ".join(f"{name} {median_ms(f, a, b):8.3f}" for name, f in impls.items())
        print(f"2^{k}  {row}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "omp"))
