"""Arrays from other libraries: PyTorch CPU tensors, xarray DataArrays, NumPy memmaps.

``out=`` works without a copy on anything whose memory NumPy can view (and raises TypeError
where that would need a copy); the functions return NumPy arrays for other inputs, while the
ufuncs of :mod:`elu_numba.ufuncs` keep xarray's type through ``__array_ufunc__``.
"""

from __future__ import annotations

import array

import numpy as np
import pytest

import elu_numba as en
from elu_numba import ufuncs


def _values(dtype=np.float32, n=1000):
    return np.linspace(-7, 4, n).astype(dtype)


# -- any object whose memory NumPy can view --------------------------------------------------
def test_out_may_be_any_buffer_numpy_can_view():
    buf = array.array("d", _values(np.float64))
    expect = en.elu(np.asarray(buf).copy())
    assert en.elu(buf, out=buf) is buf
    np.testing.assert_array_equal(np.asarray(buf), expect)
    m = memoryview(bytearray(_values(np.float32).tobytes())).cast("f")
    en.relu(m, out=m)
    np.testing.assert_array_equal(np.asarray(m), en.relu(_values(np.float32)))


@pytest.mark.parametrize("out", [[0.0, 0.0], (0.0, 0.0)], ids=["list", "tuple"])
def test_out_that_numpy_would_copy_is_refused(out):
    with pytest.raises(TypeError, match="out must be a numpy.ndarray"):
        en.elu(np.zeros(2), out=out)


def test_read_only_buffer_is_refused():
    m = memoryview(_values(np.float64).tobytes()).cast("d")  # bytes: read-only
    with pytest.raises(ValueError, match="read-only"):
        en.elu(np.zeros(len(m)), out=m)


# -- NumPy memmaps ---------------------------------------------------------------------------
def test_memmap_in_place_changes_the_file(tmp_path):
    path = tmp_path / "x.npy"
    np.save(path, _values())
    mm = np.load(path, mmap_mode="r+")
    assert en.celu(mm, 2.0, out=mm) is mm
    mm.flush()
    del mm
    np.testing.assert_array_equal(np.load(path), en.celu(_values(), 2.0))


def test_memmap_input_gives_an_ndarray_and_read_only_out_is_refused(tmp_path):
    path = tmp_path / "x.npy"
    np.save(path, _values())
    mm = np.load(path, mmap_mode="r")
    y = en.elu(mm)
    assert type(y) is np.ndarray
    np.testing.assert_array_equal(y, en.elu(_values()))
    with pytest.raises(ValueError, match="read-only"):
        en.elu(mm, out=mm)
    grad_path = tmp_path / "g.npy"
    g = np.lib.format.open_memmap(grad_path, mode="w+", dtype=np.float32, shape=mm.shape)
    g[:] = 2.0
    assert en.elu_grad(g, x=mm, out=g) is g  # a writable memmap as out, another as input
    g.flush()
    np.testing.assert_array_equal(np.load(grad_path), en.elu_grad(np.full(1000, 2.0, "f4"), x=mm))


# -- PyTorch CPU tensors ---------------------------------------------------------------------
@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def test_torch_in_place_changes_the_tensor(torch):
    t = torch.from_numpy(_values())
    ptr, expect = t.data_ptr(), en.elu(_values())
    assert en.elu(t, out=t) is t
    assert t.data_ptr() == ptr
    np.testing.assert_array_equal(t.numpy(), expect)


def test_torch_strided_view_in_place(torch):
    base = torch.from_numpy(_values(np.float64, 1200).reshape(30, 40))
    view = base[:, ::3]  # not contiguous
    before = base.numpy().copy()
    en.selu(view, out=view)
    expect = before.copy()
    expect[:, ::3] = en.selu(before[:, ::3])
    np.testing.assert_array_equal(base.numpy(), expect)  # only the view's elements changed


def test_torch_gradient_in_place(torch):
    x = torch.from_numpy(_values())
    g = torch.ones(1000, dtype=torch.float32)
    assert en.celu_grad(g, x=x, alpha=0.5, out=g) is g
    np.testing.assert_array_equal(
        g.numpy(), en.celu_grad(np.ones(1000, "f4"), x=_values(), alpha=0.5)
    )


def test_torch_input_gives_a_numpy_array(torch):
    t = torch.from_numpy(_values())
    y = en.elu(t)
    assert isinstance(y, np.ndarray) and y.dtype == np.float32
    np.testing.assert_array_equal(y, en.elu(_values()))
    back = torch.from_numpy(y)  # zero-copy back to torch
    assert back.data_ptr() == y.ctypes.data


def test_torch_tensors_that_need_a_copy_are_refused(torch):
    t = torch.ones(10, requires_grad=True)
    with pytest.raises(TypeError, match="out must be a numpy.ndarray"):
        en.elu(np.zeros(10, np.float32), out=t)
    with pytest.raises(TypeError, match="out must be a numpy.ndarray"):
        en.elu(np.zeros(10, np.float32), out=torch.ones(10, dtype=torch.bfloat16))
    with pytest.raises(TypeError):  # int tensor: writable, but not a float dtype
        en.elu(np.zeros(10, np.float32), out=torch.zeros(10, dtype=torch.int32))


# -- xarray ----------------------------------------------------------------------------------
@pytest.fixture
def xr():
    return pytest.importorskip("xarray")


def _dataarray(xr):
    return xr.DataArray(
        _values(np.float64, 600).reshape(20, 30),
        dims=("time", "unit"),
        coords={"time": np.arange(20)},
        attrs={"units": "V"},
    )


def test_xarray_in_place_keeps_the_dataarray(xr):
    d = _dataarray(xr)
    data = d.data
    expect = en.elu(d.values.copy(), 0.5)
    assert en.elu(d, 0.5, out=d) is d
    assert d.data is data
    np.testing.assert_array_equal(d.values, expect)
    assert d.dims == ("time", "unit") and d.attrs == {"units": "V"}


def test_xarray_input_gives_a_numpy_array(xr):
    d = _dataarray(xr)
    y = en.elu(d)
    assert type(y) is np.ndarray
    np.testing.assert_array_equal(y, en.elu(d.values))
    labelled = d.copy(data=y)  # how to put the labels back
    assert labelled.dims == d.dims


def test_xarray_keeps_its_type_through_the_ufuncs(xr):
    d = _dataarray(xr)
    y = ufuncs.elu(d, 1.0)
    assert isinstance(y, xr.DataArray)
    assert y.dims == d.dims and (y.time == d.time).all()
    # the same values as the ufunc on the bare array (elu_numba.elu(x) at alpha = 1 runs a
    # kernel of its own, whose values may be one float step away: README, Accuracy)
    np.testing.assert_array_equal(y.values, ufuncs.elu(d.values, 1.0))
    np.testing.assert_allclose(y.values, en.elu(d.values), rtol=4e-16, atol=0)
    g = ufuncs.elu_grad_x(xr.ones_like(d), d, 1.0)
    np.testing.assert_array_equal(g.values, en.elu_grad(np.ones(d.shape), x=d.values))


def test_xarray_apply_ufunc_with_dask(xr):
    pytest.importorskip("dask.array")
    d = _dataarray(xr).chunk({"time": 5})
    y = xr.apply_ufunc(en.selu, d, dask="parallelized", output_dtypes=[d.dtype])
    assert isinstance(y, xr.DataArray) and y.chunks is not None  # still lazy
    np.testing.assert_array_equal(y.values, en.selu(d.values))


def test_xarray_backed_by_dask_is_refused_as_out(xr):
    pytest.importorskip("dask.array")
    d = _dataarray(xr).chunk({"time": 5})
    with pytest.raises(TypeError, match="out must be a numpy.ndarray"):
        en.elu(np.zeros(d.shape), out=d)
