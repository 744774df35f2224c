"""Does a masked store cost anything here?  An in-place scale of an array, storing every lane
or (as elu_numba's in-place loops compile: the x >= 0 lanes already hold x) only the
negative ones; median of 11 alternating rounds::

    python benchmarks/masked_store.py
"""

from __future__ import annotations

import time

import numpy as np
from numba import njit, prange


@njit(parallel=True)
def scale(a):
    for i in prange(a.size):
        a[i] = a[i] * a.dtype.type(1.0000001)


@njit(parallel=True)
def masked_scale(a):
    for i in prange(a.size):
        v = a[i]
        a[i] = v if v >= 0 else v * a.dtype.type(1.0000001)


def main() -> None:
    for dtype, log2n in ((np.float32, 26), (np.float64, 25)):
        a = np.random.default_rng(0).normal(0.0, 3.0, 1 << log2n).astype(dtype)
        times = {"every lane": [], "masked": []}
        for f in (scale, masked_scale):
            f(a)  # compile, fault the pages in
        asm = masked_scale.inspect_asm(masked_scale.signatures[-1])
        masked = "{%k" in asm or "vmaskmov" in asm
        for _ in range(11):
            for name, f in (("every lane", scale), ("masked", masked_scale)):
                t = time.perf_counter()
                f(a)
                times[name].append(time.perf_counter() - t)
        ms = {k: f"{1e3 * float(np.median(v)):.2f} ms" for k, v in times.items()}
        print(f"{np.dtype(dtype).name} 2^{log2n}: {ms} (masked store in the asm: {masked})")


if __name__ == "__main__":
    main()
