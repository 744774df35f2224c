"""Dask arrays: every public function returns a lazy dask array, computed block by block.

:func:`elu_numba._api._backend` sends a call here as soon as one argument is a dask array.
Each block is an ordinary NumPy array handed to the same validated NumPy path as a direct
call (so the njit kernels of :mod:`elu_numba._cpu` run on it, in parallel for large blocks),
and the result has the dtype of that call: float16/float32/float64 keep their type,
integers and bools give float64.  The block functions are module-level functions with
``functools.partial`` arguments, so a distributed scheduler pickles them by reference and each
worker imports :mod:`elu_numba` (and loads the disk-cached kernels) once.

``out=`` is refused: dask arrays are immutable and lazy; store the result with
``dask.array.store`` or ``to_zarr`` instead.  The ufuncs of :mod:`elu_numba.ufuncs` work on
dask arrays too, through ``__array_ufunc__`` (one thread per block).
"""

from __future__ import annotations

from functools import partial

import dask.array as da
import numpy as np

from . import _api


def _public_name(kernel_name: str) -> str:
    base, grad, _ = kernel_name.partition("_grad_")
    return f"{base}_grad" if grad else base


def _unary_block(block: np.ndarray, *, name: str, alpha: float) -> np.ndarray:
    return np.asarray(_api._unary(name, name, block, alpha, None))


def _grad_block(grad: np.ndarray, v: np.ndarray, *, name: str, which: str, alpha: float):
    x, y = (v, None) if which == "x" else (None, v)
    return np.asarray(_api._grad(name, f"{name}_grad", grad, x, y, alpha, None))


def dispatch(kernel_name: str, inputs: list, alpha: float, out):
    """A lazy dask array of ``kernel_name`` (a :mod:`elu_numba._math` name) over ``inputs``."""
    fn = _public_name(kernel_name)
    if out is not None:
        raise TypeError(
            f"{fn}: out= is not supported with dask arrays (they are immutable and lazy); "
            "use the returned dask array, e.g. store it with dask.array.store"
        )
    base, _, which = kernel_name.partition("_grad_")
    argnames = ["grad", which] if which else ["x"]
    arrays = []
    for a, argname in zip(inputs, argnames, strict=True):
        if type(a).__module__.split(".")[0] == "dask" and not isinstance(a, da.Array):
            raise TypeError(
                f"{fn}: {argname} is a {type(a).__name__}; elu_numba takes dask arrays "
                "(convert with .to_dask_array())"
            )
        arr = da.asarray(a)
        _api._as_input(np.empty(0, dtype=arr.dtype), argname)  # raises for complex, object...
        arrays.append(arr)
    result = _api._result_dtype(*arrays)
    if which:
        func = partial(_grad_block, name=base, which=which, alpha=alpha)
        try:
            arrays = da.broadcast_arrays(*arrays)
        except ValueError:
            shapes = " ".join(str(a.shape) for a in arrays)
            raise ValueError(f"{fn}: operands could not be broadcast together: {shapes}") from None
    else:
        func = partial(_unary_block, name=base, alpha=alpha)
    meta = np.empty((0,) * arrays[0].ndim, dtype=result)
    return da.map_blocks(func, *arrays, dtype=result, meta=meta, token=kernel_name)
