"""CPU loops: serial and parallel njit kernels per function, built from :mod:`._math`.

The kernels trust their inputs: 1-D contiguous arrays of equal length, float32 or float64.
:mod:`elu_numba._api` validates and reshapes before calling them.  Each loop stores a value
chosen by a select, never a conditional store, so LLVM turns the body into packed AVX2
arithmetic.  In-place calls get their own loops: when an output aliases an input, LLVM's
runtime overlap check would send the out-of-place loop down its scalar fallback.

``loops(name, parallel, mode)`` returns the kernel; ``mode`` says where the result goes:

* ``"out"``: into a separate array -- ``f(x, out, alpha)`` / ``f(g, v, out, alpha)``;
* ``"inplace"``: into the first argument -- ``f(x, alpha)`` / ``f(g, v, alpha)``, out is g;
* ``"inplace_v"`` (gradients only): into the second -- ``f(g, v, alpha)``, out is v.
"""

from __future__ import annotations

from functools import cache

from numba import prange

from . import _math
from ._options import kernel

# From this many elements on, the parallel kernel is used.  Measured with
# ``python benchmarks/bench_crossover.py`` (2 cores, AMD EPYC znver4, omp layer, 2026-11-23):
# the parallel kernel is faster from 2^15 for float32 elu and elu_grad_y (the float32 kernels
# tie at 2^15) and from 2^13-2^14 for float64 elu (parallel 25% faster at 2^14, a few µs).  One
# threshold for all kernels: at the float32 crossover.
PARALLEL_THRESHOLD = 1 << 15


def _unary(fn, parallel, mode):
    # Closure cells are part of Numba's on-disk cache key: ``rng`` keeps the serial and the
    # parallel loop (which share their source lines) apart.
    rng = prange if parallel else range
    if mode == "inplace":

        @kernel(parallel)
        def loop(x, alpha):
            for i in rng(x.size):
                x[i] = fn(x[i], alpha)

    else:

        @kernel(parallel)
        def loop(x, out, alpha):
            for i in rng(x.size):
                out[i] = fn(x[i], alpha)

    return loop


def _binary(fn, parallel, mode):
    rng = prange if parallel else range
    if mode == "inplace":

        @kernel(parallel)
        def loop(g, v, alpha):
            for i in rng(g.size):
                g[i] = fn(g[i], v[i], alpha)

    elif mode == "inplace_v":

        @kernel(parallel)
        def loop(g, v, alpha):
            for i in rng(g.size):
                v[i] = fn(g[i], v[i], alpha)

    else:

        @kernel(parallel)
        def loop(g, v, out, alpha):
            for i in rng(g.size):
                out[i] = fn(g[i], v[i], alpha)

    return loop


@cache
def loops(name: str, parallel: bool, mode: str = "out"):
    """The njit kernel for ``name`` (``"elu"``, ``"elu_grad_x"``, ...), see the module doc."""
    fn = getattr(_math, name)
    make = _binary if "_grad_" in name else _unary
    return make(fn, parallel, mode)
