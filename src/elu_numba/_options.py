"""The one place that sets Numba options for every kernel in elu_numba.

* ``FASTMATH`` is empty: strict IEEE semantics.  Where a fused multiply-add helps, the math
  says so with an explicit ``fma`` (``elu_numba._math.fma``), so every entry point -- the
  njit loops (vectorized or not), the ufuncs, the scalar functions -- gives bit-identical
  results for the same code (the kernels for alpha = 1 and the float32 gradient loops of
  blocks in range run other code, within a step: ``_math.UNIT_ALPHA``, ``FAST_GRAD``).
  Letting LLVM ``contract`` freely made vector and scalar code differ by 1 ULP;
  ``fastmath=True`` would also assume no NaN/inf and break NaN propagation.
* ``cache=True`` everywhere: the second process loads machine code from ``__pycache__``.
* Nothing is compiled at import: dispatchers compile per dtype on first call.
"""

from __future__ import annotations

import hashlib
import os

import numba
import numpy as np
from numba.core import caching
from numba.extending import register_jitable

FASTMATH: frozenset[str] = frozenset()

_HERE = os.path.dirname(os.path.abspath(__file__))


def _stamp() -> str:
    h = hashlib.sha256()
    for name in ("_math.py", "_options.py"):
        with open(os.path.join(_HERE, name), "rb") as f:
            h.update(f.read())
    return h.hexdigest()[:16]


STAMP = _stamp()


def _package_locator(base):
    """Numba's on-disk cache checks only the defining file's mtime; every kernel here also
    depends on _math.py.  This locator, used only for files of this package, adds a hash of
    the math to the stamp, so editing or upgrading the math never loads stale machine code."""

    class Locator(base):
        def get_source_stamp(self):
            return (super().get_source_stamp(), STAMP)

        @classmethod
        def from_function(cls, py_func, py_file):
            if os.path.dirname(os.path.abspath(py_file)) != _HERE:
                return None
            return super().from_function(py_func, py_file)

    return Locator


def _private(*names):
    """The first of these attributes of numba.core.caching (names changed between versions)."""
    return next((getattr(caching, n) for n in names if hasattr(caching, n)), None)


_impl = _private("CacheImpl", "_CacheImpl")
try:  # private Numba API: if it moves, caching still works, only without the extra stamp
    _impl._locator_classes[:0] = [  # numba < 0.61 spells the user locator with a "_"
        _package_locator(_private("UserProvidedCacheLocator", "_UserProvidedCacheLocator")),
        _package_locator(_private("InTreeCacheLocator", "_InTreeCacheLocator")),
    ]
except (AttributeError, TypeError):  # pragma: no cover
    pass

CACHE = True


def target_has(feature: str) -> bool:
    """Whether Numba compiles for a CPU with ``feature`` (LLVM's name: ``"f16c"``,
    ``"avx512f"``), where a choice of code depends on it.  Numba's JIT rule: the features
    ``NUMBA_CPU_FEATURES`` lists when it is set (``""`` for ``NUMBA_CPU_NAME=generic``),
    else the host's (without AVX under ``NUMBA_ENABLE_AVX=0``), whatever CPU
    ``NUMBA_CPU_NAME`` names: LLVM's feature list overrides what the name implies.  The
    choice made is part of what Numba's cache is keyed on (the CPU and its features)."""
    from numba.core import codegen, config

    if config.CPU_FEATURES is not None:
        listed = config.CPU_FEATURES
    else:
        listed = codegen.get_host_cpu_features()  # "" where LLVM cannot read them
    return f"+{feature}" in listed.split(",")


# Threading layers that take parallel launches from several threads at once (workqueue
# aborts): elu_numba serializes its launches on any other layer, and keeps the ufuncs serial.
CONCURRENT_SAFE_LAYERS = ("omp", "tbb")


def jitable(fn):
    """A scalar building block callable from any Numba target (CPU, ``@vectorize``, CUDA).

    Compiled as a function of its own per signature and inlined by LLVM, not in Numba's IR
    (``inline="always"``): IR inlining re-ran Numba's passes on every call site of every
    helper, and with the math's helpers nested several deep one gradient kernel took 15-25 s
    to compile (the kernel and API tests' cold run on one Python in CI: 20 min).  LLVM
    inlines every one of them into the kernels' loops all the same: ``tools/loop_ops.py``
    counts the same packed instructions, or fewer (2026-12-05)."""
    return register_jitable(fastmath=set(FASTMATH))(fn)


def kernel(parallel: bool):
    """Decorator for an array loop: ``parallel=True`` gives a ``prange`` loop on all threads."""

    def wrap(fn):
        return numba.njit(
            parallel=parallel, fastmath=set(FASTMATH), cache=CACHE, nogil=True, error_model="numpy"
        )(fn)

    return wrap


# void loop(char **args, npy_intp const *dimensions, npy_intp const *steps, void *data)
_LOOP_SIG = numba.types.void(
    numba.types.CPointer(numba.types.voidptr),
    numba.types.CPointer(numba.types.intp),
    numba.types.CPointer(numba.types.intp),
    numba.types.voidptr,
)


def ufunc_loop_cfunc(fn):
    """Decorator for a NumPy ufunc inner loop written in Numba (a C callback)."""
    return numba.cfunc(
        _LOOP_SIG, fastmath=set(FASTMATH), cache=CACHE, nopython=True, error_model="numpy"
    )(fn)


def ufunc(nin: int, dtypes=None, unit: bool = False):
    """Decorator: a real ``numpy.ufunc`` of ``nin`` inputs with one loop per dtype, compiled
    (or loaded from the cache) on creation.  ``dtypes`` (in NumPy's order of preference):
    float16, float32 and float64, without float16 on a CPU that cannot convert it in
    registers (``_cpu.HALF_IN_REGISTERS``: NumPy then casts float16 to float32).  ``unit``:
    the function takes ``alpha=None`` for alpha = 1 (``_math.UNIT_ALPHA``), and the loops
    run that kernel where alpha is a scalar 1.

    The loops are :func:`elu_numba._cpu.ufunc_loop` callbacks; the ufunc object is made by
    the constructor Numba's ``@vectorize`` uses (``numba.np.ufunc._internal.fromfunc``).
    """
    from numba.np.ufunc import _internal

    from . import _cpu

    if dtypes is None:
        dtypes = ("float16",) * _cpu.HALF_IN_REGISTERS + ("float32", "float64")

    def wrap(fn):
        # not inlined in Numba's IR (each loop has several call sites, and that made the
        # first import minutes long); LLVM inlines it
        scalar = register_jitable(fastmath=set(FASTMATH))(fn)
        loops = [_cpu.ufunc_loop(scalar, nin, dt, unit) for dt in dtypes]
        # The entry loop calls a parallel kernel.  Loaded from the disk cache, it does not
        # start Numba's threading layer, whose symbols it links to (numba#8578, "Symbol not
        # found: allocate_sched"): start it first.
        numba.get_num_threads()
        if numba.threading_layer() in CONCURRENT_SAFE_LAYERS:
            # NumPy calls the entry loop of the dtype's parallel size (the kernel's) ...
            sizes = [np.dtype(dt).itemsize for dt in dtypes]
            entries = [
                _cpu.dispatch_loop(nin, _cpu.parallel_from(fn.__name__, size), size)
                for size in sizes
            ]
            funcs = [entry.address for entry in entries]
            data = [loop.address for loop in loops]  # ... with the dtype's loop as its data
            keep = [*loops, *entries]
        else:  # workqueue: Dask calls ufuncs from several threads at once, keep them serial
            funcs, data, keep = [loop.address for loop in loops], [None] * len(loops), loops
        return _internal.fromfunc(
            fn.__name__,
            fn.__doc__,
            funcs,
            [[np.dtype(dt).num] * (nin + 1) for dt in dtypes],
            nin,
            1,
            data,
            keep,  # the ufunc keeps them alive: they own the machine code
            _internal.PyUFunc_None,
        )

    return wrap


def scalar_jit(fn):
    """A public scalar function: callable from Python and from a user's ``@njit`` code.

    NumPy's error model, as the kernels: a division by zero gives inf or NaN, not
    ZeroDivisionError (which ``scalar.celu(x, 0.0)`` raised until 2026-12-06)."""
    return numba.njit(fastmath=set(FASTMATH), cache=CACHE, nogil=True, error_model="numpy")(fn)
