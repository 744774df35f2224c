"""CUDA kernels: one grid-stride loop per arity, built from the scalar functions of :mod:`._math`.

The GPU sibling of :mod:`elu_numba._cpu`.  The kernels trust their inputs: 1-D contiguous device
arrays of equal length (any float or integer dtype; each signature compiles on first use).
:mod:`elu_numba.cuda` validates, flattens and picks the stream before calling :func:`launch`.

``kernel(name, inplace)`` returns the ``@cuda.jit`` kernel for the ``_math`` function ``name``:

* unary, ``inplace=False``: ``k(x, out, alpha)``; ``inplace=True``: ``k(x, alpha)``, out is x;
* binary (``*_grad_x`` / ``*_grad_y``): ``k(g, v, out, alpha)``; ``out`` may be ``g`` or ``v``
  itself (each element is read and then written by the same thread).

The math is the CPU's (activations in float32 for float16/float32 inputs, in float64 for
float64; gradients from x in float64); the store rounds to the output's dtype.  Importing this
module does not import numba.cuda.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from functools import cache
from pathlib import Path

from . import _math
from ._options import CACHE, STAMP

THREADS = 256  # threads per block
UNROLL = 4  # elements per thread and grid stride (see _unary)
BLOCKS_PER_SM = 32  # at most this many blocks per SM: larger arrays loop (grid stride)
MIN_BLOCKS = 128  # numba-cuda warns (NumbaPerformanceWarning) below 128 blocks
SIM_THREADS, SIM_BLOCKS = 32, 2  # the CUDA simulator runs one Python thread per CUDA thread


def cuda_module():
    """The module :mod:`elu_numba.cuda`, imported even where ``import elu_numba.cuda`` fails.

    numba-cuda (0.30.4) installs an import hook (``_numba_cuda_redirector``) that recurses until
    RecursionError on every module whose name contains ``"numba.cuda"`` -- ``elu_numba.cuda``
    included.  So the module is loaded from its file without the import hooks and registered
    in ``sys.modules``; after that ``import elu_numba.cuda`` works too.
    """
    name = __package__ + ".cuda"
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("cuda.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
        sys.modules[__package__].cuda = module
    return module


# numba.cuda, set by numba_cuda().  The kernels call it as a module global: the simulator swaps
# globals bound to numba.cuda for its fake per-thread module (closure cells would not be).
cuda = None


@cache
def numba_cuda():
    """``numba.cuda``, imported on first use, with the ``_math`` functions made callable in it."""
    global cuda
    from numba import cuda as module

    if not module.config.ENABLE_CUDASIM:
        _register_for_cuda()
    cuda = module
    return module


def _register_for_cuda() -> None:
    """Register every ``_math`` function once more for the ``"cuda"`` target, not inlined.

    Written when ``_options.jitable`` and the bit-cast helpers used ``inline="always"``
    (Numba-IR inlining), which numba-cuda 0.30 cannot do for ``numba.extending`` overloads:
    the inlined blocks mix ``numba.core.ir`` and ``numba.cuda.core.ir`` nodes and compilation
    fails.  They no longer inline in Numba's IR; the registrations stay, because only a real
    GPU can show that the generic ones compile under numba-cuda (not checked yet).  The CUDA typing
    context prefers templates registered for its own target over the generic ones, so the same
    Python functions (the single definition of the math) compile as ordinary device functions,
    which NVVM inlines.  The CPU never sees these registrations.  An ``@overload`` helper ``f``
    of ``_math`` is recognised by its typing function ``_f_impl`` (the convention there).
    """
    from numba.extending import overload

    functions = {
        name: fn
        for name, fn in vars(_math).items()
        if inspect.isfunction(fn) and fn.__module__ == _math.__name__
    }
    for name, fn in functions.items():
        if name.startswith("_") and name.endswith("_impl"):
            continue  # the typing function of a helper, not math
        impl = functions.get(f"_{name}_impl")
        # an @overload helper (f64_bits, fma, is_single, ...) gets its own typing function
        # again; every other function is a jitable, compiled as it is
        overload(fn, target="cuda")(impl if impl is not None else _typer(fn))


def _typer(fn):
    """An overload typing function with fn's own signature that returns fn as the implementation."""

    def typer(*args, **kwargs):
        return fn

    typer.__signature__ = inspect.signature(fn)
    return typer


def _jit(fn):
    """The one CUDA decorator: strict IEEE math as on the CPU (numba-cuda's ``fastmath=True``
    would flush float32 subnormals and divide approximately), cached on disk like the CPU.

    One difference remains: NVVM contracts a*b+c into FMAs by default (nvcc's ``--fmad=true``)
    and numba-cuda has no option to turn that off, so besides the explicit ``_math.fma`` there
    may be more fused operations than on the CPU: float64 results can differ by an ULP.
    """
    return numba_cuda().jit(fastmath=False, cache=CACHE)(fn)


# Each thread loads four elements (one grid stride apart, so every load is coalesced) before it
# computes and stores them: four loads in flight per thread instead of one.  The loads come
# first in program order, so this is right for in-place calls too.  A one-element loop does
# the rest.
def _unary(fn, inplace: bool):
    # Closure cells are part of numba-cuda's on-disk cache key; ``stamp`` (a hash of _math.py
    # and _options.py) drops the cache when the math changes (_options' locator serves only
    # the CPU cache).
    stamp = STAMP
    if inplace:

        def unary_inplace(x, alpha):
            _ = stamp
            n, s, i = x.size, cuda.gridsize(1), cuda.grid(1)
            while i + 3 * s < n:
                a, b, c, d = x[i], x[i + s], x[i + 2 * s], x[i + 3 * s]
                x[i] = fn(a, alpha)
                x[i + s] = fn(b, alpha)
                x[i + 2 * s] = fn(c, alpha)
                x[i + 3 * s] = fn(d, alpha)
                i += 4 * s
            while i < n:
                x[i] = fn(x[i], alpha)
                i += s

        return _jit(unary_inplace)

    def unary(x, out, alpha):
        _ = stamp
        n, s, i = x.size, cuda.gridsize(1), cuda.grid(1)
        while i + 3 * s < n:
            a, b, c, d = x[i], x[i + s], x[i + 2 * s], x[i + 3 * s]
            out[i] = fn(a, alpha)
            out[i + s] = fn(b, alpha)
            out[i + 2 * s] = fn(c, alpha)
            out[i + 3 * s] = fn(d, alpha)
            i += 4 * s
        while i < n:
            out[i] = fn(x[i], alpha)
            i += s

    return _jit(unary)


def _binary(fn):
    stamp = STAMP

    def binary(g, v, out, alpha):
        _ = stamp
        n, s, i = g.size, cuda.gridsize(1), cuda.grid(1)
        while i + 3 * s < n:
            g0, g1, g2, g3 = g[i], g[i + s], g[i + 2 * s], g[i + 3 * s]
            v0, v1, v2, v3 = v[i], v[i + s], v[i + 2 * s], v[i + 3 * s]
            out[i] = fn(g0, v0, alpha)
            out[i + s] = fn(g1, v1, alpha)
            out[i + 2 * s] = fn(g2, v2, alpha)
            out[i + 3 * s] = fn(g3, v3, alpha)
            i += 4 * s
        while i < n:
            out[i] = fn(g[i], v[i], alpha)
            i += s

    return _jit(binary)


@cache
def kernel(name: str, inplace: bool = False):
    """The kernel for the ``_math`` function ``name`` (``"elu"``, ``"elu_grad_y"``, ...)."""
    fn = getattr(_math, name)
    if "_grad_" in name:
        return _binary(fn)
    return _unary(fn, inplace)


@cache
def _max_blocks(device_id: int) -> int:
    return BLOCKS_PER_SM * numba_cuda().get_current_device().MULTIPROCESSOR_COUNT


def launch_config(n: int) -> tuple[int, int]:
    """(blocks, threads per block) for n elements."""
    if numba_cuda().config.ENABLE_CUDASIM:
        return SIM_BLOCKS, SIM_THREADS
    cap = _max_blocks(cuda.get_current_device().id)
    # At least MIN_BLOCKS (idle blocks cost ~nothing): fewer make numba-cuda warn about occupancy.
    return min(max(-(-n // (THREADS * UNROLL)), MIN_BLOCKS), cap), THREADS


def launch(name: str, inplace: bool, args: tuple, n: int, stream) -> None:
    """Run kernel ``name`` over n elements on ``stream`` (asynchronous, nothing is synced)."""
    if n == 0:
        return
    blocks, threads = launch_config(n)
    kernel(name, inplace)[blocks, threads, stream](*args)
