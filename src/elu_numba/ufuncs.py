"""Every function as a real :class:`numpy.ufunc`, with inner loops compiled by Numba.

They broadcast, take ``out=`` and ``dtype=`` and work through ``__array_ufunc__``, so Dask
and xarray can call them (``where=`` is not supported: the ufunc object Numba builds rejects
it).  Their inner loops (:func:`elu_numba._cpu.ufunc_loop`) are vectorized when the arrays
are contiguous and ``alpha`` is a scalar or an array, in place or not.  Loops exist for
float16, float32 and float64, in that order, so NumPy picks the dtype as for ``np.exp``:
float16 stays float16 (the float16 kernels of :func:`elu_numba.elu`: the float32 result
rounded once), bool and 8-bit integers give float16, 16-bit ones float32, wider ones
float64 (on a CPU without F16C there is no float16 loop: float16 gives float32).
``alpha`` is an ordinary (broadcast) input of the same dtype, unchecked: CELU's functions
give NaN ("invalid") where their result depends on an alpha <= 0, outside CELU's domain (the
API raises ValueError for such an alpha); an infinite alpha, which the API rejects too,
gives NaN or an infinity where the result depends on it, not always the formula's value.
Where it is a scalar 1, ``elu`` and ``celu`` run the loop of ``elu_numba.elu(x)`` (a leaner
expm1 for alpha = 1, the same bits), and ``elu_grad_x`` and ``celu_grad_x`` that of
``elu_numba.elu_grad(g, x=x)``; an array of ones runs the general loop, whose values may be
one step from those. The gradients run the njit kernels' blocks on contiguous operands with
a broadcast alpha (float32 gradients from x: a float32-only loop for blocks in range), so
they give ``elu_numba.elu_grad``'s bits on arrays that are contiguous as a whole (a view
whose rows are apart comes row by row, and the blocks start at each row: one step away in
places):

>>> import numpy as np
>>> from elu_numba import ufuncs
>>> isinstance(ufuncs.elu, np.ufunc)
True
>>> ufuncs.elu(np.array([-1.0, 1.0], dtype=np.float32), 2.0)
array([-1.2642411,  1.       ], dtype=float32)

NumPy warns (``np.errstate``) only where a result explains it, as for the formula in
NumPy: "invalid" for a NaN that comes from no NaN input (``elu_grad_x(inf, -inf, 1)``: inf *
0), "overflow" for an infinite result from finite inputs.  NaN inputs warn nothing, and
neither does the side of the branch the loop computes and discards (each loop reads the C
library's flags before and after, and clears those its results do not explain: Linux and
macOS on x86-64 and arm64; elsewhere NaN inputs may warn "invalid").  In place, a NaN result
counts as coming from a NaN input (the input is gone).  The functions in :mod:`elu_numba`
never warn.

From the size at which :mod:`elu_numba`'s function runs the same kernel in parallel
(``elu_numba._cpu.parallel_from``: 2^14 elements per inner-loop call for the float64
activations and gradients from x, 2^15 for the rest) the loop runs in chunks on all threads
on Numba's omp and tbb threading layers (workqueue aborts on launches from several threads
at once: there they stay serial).  NumPy hands a contiguous or evenly strided operand to
one call; buffered casts arrive in blocks of 8192 and stay serial, and so do ``reduce``
and ``accumulate``, where each element needs the one before.  The FP flags a chunk leaves
in another thread are raised in the calling thread at the end, whose flags NumPy turns
into warnings.
Each ufunc is built when it is first used (read as an attribute of this module, or
imported from it), once, even when several threads ask at once: its loops are loaded from
Numba's disk cache, or the first time compiled (1.3 s for ``relu`` to 12 s for
``elu_grad_x`` on the 2-core Zen 4 VM of the README; ``python benchmarks/bench_startup.py``
times it).  Importing the module compiles nothing; ``from elu_numba.ufuncs import *`` builds
all twelve.
"""

from __future__ import annotations

import threading

import numpy as np

from . import _math
from ._options import ufunc as _build

# name -> (scalar function, number of inputs, takes alpha = None for alpha = 1)
_SPECS: dict = {}


def _ufunc(nin: int, unit: bool = False):
    """Register the scalar function as the ufunc of its name, built on first use."""

    def register(fn):
        _SPECS[fn.__name__] = (fn, nin, unit)
        return fn

    return register


@_ufunc(2, unit=True)
def elu(x, alpha):
    """elu(x, alpha) = x if x > 0 else alpha * expm1(x)."""
    return _math.elu(x, alpha)


@_ufunc(1)
def selu(x):
    """selu(x) = SELU_SCALE * (x if x > 0 else SELU_ALPHA * expm1(x))."""
    return _math.selu(x, 1.0)


@_ufunc(2, unit=True)
def celu(x, alpha):
    """celu(x, alpha) = x if x > 0 else alpha * expm1(x / alpha)."""
    # inlined into the loops whatever its size: with _math.celu inlined into it, LLVM called
    # it from the float64 loop instead, element by element (9.0 instead of 1.1 ns per element
    # in L1, until 2026-12-07; tests/test_compiled.py checks every loop)
    _math.always_inline()
    return _math.celu(x, alpha)


@_ufunc(1)
def relu(x):
    """relu(x) = x if x > 0 else 0 (NaN propagates)."""
    return _math.relu(x, 0.0)


@_ufunc(3, unit=True)
def elu_grad_x(g, x, alpha):
    """elu_grad_x(g, x, alpha) = g if x > 0 else g * alpha * exp(x)."""
    return _math.elu_grad_x(g, x, alpha)


@_ufunc(3)
def elu_grad_y(g, y, alpha):
    """elu_grad_y(g, y, alpha) = g if y > 0 else g * (y + alpha)."""
    return _math.elu_grad_y(g, y, alpha)


@_ufunc(2)
def selu_grad_x(g, x):
    """selu_grad_x(g, x) = g * SELU_SCALE if x > 0 else g * SELU_SCALE_ALPHA * exp(x)."""
    return _math.selu_grad_x(g, x, 1.0)


@_ufunc(2)
def selu_grad_y(g, y):
    """selu_grad_y(g, y) = g * SELU_SCALE if y > 0 else g * (y + SELU_SCALE_ALPHA)."""
    return _math.selu_grad_y(g, y, 1.0)


@_ufunc(3, unit=True)
def celu_grad_x(g, x, alpha):
    """celu_grad_x(g, x, alpha) = g if x > 0 else g * exp(x / alpha)."""
    return _math.celu_grad_x(g, x, alpha)


@_ufunc(3)
def celu_grad_y(g, y, alpha):
    """celu_grad_y(g, y, alpha) = g if y > 0 else g * (y / alpha + 1)."""
    return _math.celu_grad_y(g, y, alpha)


@_ufunc(2)
def relu_grad_x(g, x):
    """relu_grad_x(g, x) = g if x > 0 else 0 (NaN in x gives NaN)."""
    return _math.relu_grad_x(g, x, 0.0)


@_ufunc(2)
def relu_grad_y(g, y):
    """relu_grad_y(g, y) = g if y > 0 else 0 (NaN in y gives NaN)."""
    return _math.relu_grad_y(g, y, 0.0)


__all__ = list(_SPECS)
for _name in __all__:  # the scalar functions: the module's attributes are the ufuncs
    del globals()[_name]
_BUILDING = threading.RLock()
_IN_PROGRESS: set = set()  # (name, thread) of the ufuncs being built


def __getattr__(name: str) -> np.ufunc:
    """Build the ufunc ``name`` on first use (PEP 562: called for a missing attribute)."""
    spec = _SPECS.get(name)
    key = (name, threading.get_ident())
    if spec is None or key in _IN_PROGRESS:
        # asked for while this thread builds it: Numba's cache key pickles the scalar
        # function, and pickle looks its name up here.  Missing until built (as a module's
        # functions are while the module runs), the function is pickled by value, as before;
        # other threads wait for the ufunc
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _BUILDING:  # two threads asking at once build it once
        u = globals().get(name)
        if u is None:
            fn, nin, unit = spec
            _IN_PROGRESS.add(key)
            try:
                u = globals()[name] = _build(nin, unit=unit)(fn)
            finally:
                _IN_PROGRESS.discard(key)
    return u


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
