"""Variants of the alpha = 1 ELU loop, side by side in one process::

    python benchmarks/poly_ab.py

Builds in-place loops of ``elu(x)`` at alpha = 1 (the formula of ``_math._expm1_unit``,
then the kernel's select) in the kernels' own loop shape (blocks of ``_cpu.BLOCK``, the
prefetch, ``_cpu.VECTOR_BITS``-bit vectors) and times them in 60 interleaved rounds on the
same 64-byte aligned array: serial on 2^13 values (in L1/L2) and parallel on 2^20 (in the
cache).  The variants: h by ``_math.horner`` against Horner's rule in r^2 over pairs of
coefficients (``_math._pairs11`` for float64, and the same scheme written out for float32's
6 coefficients of degree 5), for float32 the kernel's h of degree 4 (``_math._H32_UNIT``)
against degree 5 (``_math._H32``, the general kernels' h), and for float64 the clamp as a
compare on the bits and a float max (the form of CPUs without AVX-512 until 2026-12-07)
against the kernel's own (an integer min on the bits).
Prints the median and the minimum in ns per element.  (Comparing two processes, one per
variant, misled on the noisy VM of 2026-12-03: a 30% float32 "gain" that this side-by-side
run does not show.)
"""

from __future__ import annotations

import time

import numpy as np
from numba import prange
from numba.extending import overload

from elu_numba import _math
from elu_numba._cpu import AHEAD, BLOCK, _fetch_w, _wide_vectors
from elu_numba._math import _freeze, _pairs11, _reduce_parts, fma, horner, work
from elu_numba._options import jitable, kernel


@jitable
def _pairs6(r, r2, c):
    q = fma(r2, fma(c[5], r, c[4]), fma(c[3], r, c[2]))
    return fma(r2, q, fma(c[1], r, c[0]))


def pairs(r, r2, c):
    """h by Horner's rule in r2 over pairs of coefficients (6 or 11 of them)."""


@overload(pairs)
def _pairs_impl(r, r2, c):
    return _pairs6 if len(c) == 6 else _pairs11


@jitable
def _horner(r, r2, c):
    return horner(r, c)


# float64's constants with the float clamp (``_math._reduce_parts``' K[12], AVX2's until 2026-12-07)
_F64_FLOAT_CLAMP = _math._F64[:12] + (True,) + _math._F64[13:]


def _float_clamp(fn):
    """``fn(x, K)`` run with the float64 constants of the float clamp (bits compare, max)."""

    @jitable
    def f(x, K):
        return fn(x, _F64_FLOAT_CLAMP)

    return f


def _unit(evaluate, h_index=13):
    """ELU at alpha = 1 as in ``_math.elu``, with ``evaluate(r, r2, h)`` for h: the alpha = 1
    kernel's h (``K[13]``), or with ``h_index=7`` the general kernels' (float32: degree 5)."""

    @jitable
    def f(x, K):
        h, one = K[h_index], K[8]
        k, r, s = _reduce_parts(x, K)
        r2 = r * r
        p = evaluate(r, r2, h)
        if K[11]:
            e = r + fma(r2, p, -(k * K[4]))
        else:
            e = fma(r2, p, r)
        neg = fma(s, e, s - one)
        return neg if neg > x else x

    return f


def _loop(fn, parallel):
    rng = prange if parallel else range

    @kernel(parallel)
    def loop(a):
        for b in rng(a.size // BLOCK):
            _wide_vectors()
            ab = a[b * BLOCK : (b + 1) * BLOCK]
            # the constants inside the prange body: a tuple of tuples made before it would
            # be an argument of the parallel region, which Numba's gufunc wrapper rejects
            K = work(ab[0])
            _fetch_w(a, b * BLOCK, AHEAD)
            for j in range(BLOCK):
                ab[j] = _freeze(fn(ab[j], K))

    return loop


def _aligned(n, dtype):
    buf = np.empty(n + 64, dtype)
    s = ((-buf.ctypes.data) % 64) // buf.itemsize
    return buf[s : s + n]


def main() -> int:
    rng = np.random.default_rng(0)
    for dt in ("float32", "float64"):
        for parallel, log2n, reps in ((False, 13, 300), (True, 20, 20)):
            n = 1 << log2n
            a = _aligned(n, dt)
            a[:] = np.clip(rng.standard_normal(n) * 3, -20, 0.5)
            if dt == "float32":
                loops = {
                    "horner, h degree 4 (kernel)": _loop(_unit(_horner), parallel),
                    "horner, h degree 5": _loop(_unit(_horner, 7), parallel),
                    "pairs, h degree 5": _loop(_unit(pairs, 7), parallel),
                }
            else:
                loops = {
                    "horner": _loop(_unit(_horner), parallel),
                    "pairs": _loop(_unit(pairs), parallel),
                    "pairs, float clamp": _loop(_float_clamp(_unit(pairs)), parallel),
                }
            for k in loops.values():
                k(a)  # compile
            res = {name: [] for name in loops}
            for _ in range(60):
                for name, k in loops.items():
                    t = time.perf_counter()
                    for _ in range(reps):
                        k(a)
                    res[name].append((time.perf_counter() - t) / reps / n * 1e9)
            cells = "  ".join(
                f"{name}: median {np.median(v):.3f} min {np.min(v):.3f}" for name, v in res.items()
            )
            kind = "parallel" if parallel else "serial"
            print(f"{dt} {kind} 2^{log2n}  {cells}  ns/element", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
