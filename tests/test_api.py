"""dtypes, shapes, layouts, in place, overlap, and errors raised before any write."""

from __future__ import annotations

import warnings

import mpmath
import numba
import numpy as np
import pytest

import elu_numba as en
from elu_numba import _cpu

from .conftest import ACTS, UFUNC_FLOATS, random_values

LAYOUTS = {
    "C": lambda a: a.reshape(6, -1),
    "F": lambda a: np.asfortranarray(a.reshape(6, -1)),
    "transposed": lambda a: a.reshape(6, -1).T,
    "strided": lambda a: a[::3],
    "reversed": lambda a: a[::-1],
    "negative-2d": lambda a: a.reshape(6, -1)[::-2, ::-3],
    "byteswapped": lambda a: a.astype(a.dtype.newbyteorder()),
}


def _reference(act, x, alpha=1.0):
    """The function on a native contiguous copy: what any layout must reproduce."""
    return act.call(np.ascontiguousarray(x, dtype=x.dtype.newbyteorder("=")), alpha)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_layouts_out_of_place(act, dtype, layout):
    x = LAYOUTS[layout](random_values(dtype, 600))
    got = act.call(x, 1.5)
    assert got.shape == x.shape and got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, _reference(act, x, 1.5))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_layouts_in_place_touch_only_the_view(act, dtype, layout):
    base = random_values(dtype, 600)
    if layout == "byteswapped":
        base = base.astype(base.dtype.newbyteorder())
        view = base[::2]
    else:
        view = LAYOUTS[layout](base)
    before = base.copy()
    expect = _reference(act, view, 0.7)
    res = act.call(view, 0.7, out=view)
    assert res is view
    np.testing.assert_array_equal(view, expect)
    mask = np.ones(base.shape, bool)
    mask_view = LAYOUTS[layout](mask) if layout != "byteswapped" else mask[::2]
    if layout != "byteswapped":
        mask_view[...] = False
    else:
        mask[::2] = False
    np.testing.assert_array_equal(base[mask], before[mask])  # the rest is untouched


@pytest.mark.parametrize("g_order", ["C", "F"])
@pytest.mark.parametrize("v_order", ["C", "F"])
@pytest.mark.parametrize("out_order", [None, "C", "F", "grad"])
def test_gradient_layouts_mixed_or_alike(act, dtype, g_order, v_order, out_order):
    """Gradients of 2-D operands in C or Fortran order, alike or mixed, into a new array, an
    ``out`` of either order or ``grad`` itself: the values of contiguous copies, the layout
    of ``out`` kept.  (All alike in one order take the fast path, in memory order; a mix
    goes the general way.)"""
    x = random_values(dtype, 600).reshape(20, 30)
    g = random_values(dtype, 600, seed=3).reshape(20, 30)
    y = act.call(x)
    want_x, want_y = act.call_grad(g, x=x), act.call_grad(g, y=y)
    g2, x2, y2 = (np.array(a, order=g_order if a is g else v_order) for a in (g, x, y))
    for v, kw, want in ((x2, "x", want_x), (y2, "y", want_y)):
        if out_order is None:
            got = act.call_grad(g2, **{kw: v})
        elif out_order == "grad":
            gi = g2.copy(order="K")
            got = act.call_grad(gi, **{kw: v}, out=gi)
            assert got is gi and gi.flags.f_contiguous == (g_order == "F")
        else:
            out = np.zeros(x.shape, dtype, order=out_order)
            got = act.call_grad(g2, **{kw: v}, out=out)
            assert got is out and out.flags.f_contiguous == (out_order == "F")
        np.testing.assert_array_equal(got, want)


def test_gradient_in_place_into_grad_and_into_y(act, dtype):
    x = random_values(dtype, 5000)
    y = act.call(x)
    g = random_values(dtype, 5000, seed=4)
    expect = act.call_grad(g, y=y)
    g2 = g.copy()
    assert act.call_grad(g2, y=y, out=g2) is g2
    np.testing.assert_array_equal(g2, expect)
    y2 = y.copy()
    assert act.call_grad(g, y=y2, out=y2) is y2
    np.testing.assert_array_equal(y2, expect)


def test_partial_overlap_behaves_like_a_copy(act):
    for n in (50, 100_000):  # serial and parallel kernels
        buf = random_values(np.float64, n + 1)
        x = buf[:-1]
        out = buf[1:]
        expect = act.call(x.copy())
        act.call(x, out=out)
        np.testing.assert_array_equal(out, expect)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradient_inputs_that_overlap_each_other(act, dtype, monkeypatch):
    """grad and x/y may share memory: out of place the loop only reads them (the fast path
    takes them, without copies); in place (``out=grad`` or ``out=y``) the result is as if
    both had been read first, as in NumPy, whether they are one array or two views an
    element apart."""
    from elu_numba import _api

    general = _api._run
    for n in (50, 100_000):  # serial and parallel kernels
        pristine = random_values(dtype, n + 1)
        for go, vo in ((0, 1), (1, 0), (0, 0)):  # where grad and x/y start in the buffer
            for which in ("x", "y"):
                g, v = pristine[go : go + n], pristine[vo : vo + n]
                expect = act.call_grad(g.copy(), **{which: v.copy()})
                monkeypatch.setattr(_api, "_run", None)  # out of place: the fast path only
                np.testing.assert_array_equal(act.call_grad(g, **{which: v}), expect)
                monkeypatch.setattr(_api, "_run", general)
                for into in (0, 1):  # out=grad, out=x/y
                    buf = pristine.copy()
                    g, v = buf[go : go + n], buf[vo : vo + n]
                    out = (g, v)[into]
                    assert act.call_grad(g, **{which: v}, out=out) is out
                    np.testing.assert_array_equal(out, expect)


@pytest.mark.parametrize("n", [0, 1, 7, 33, 1 << 15, (1 << 16) + 3])
def test_sizes_serial_and_parallel(act, dtype, n):
    x = random_values(dtype, n)
    ref = np.array([act.call(v) for v in x[:5]]) if n else np.empty(0)
    got = act.call(x)
    np.testing.assert_array_equal(got[:5], ref)
    assert got.shape == (n,)


def test_dtypes():
    assert en.elu(np.ones(3, np.float16)).dtype == np.float16
    assert en.elu(np.ones(3, np.float32)).dtype == np.float32
    assert en.elu(np.arange(3)).dtype == np.float64
    assert en.elu(np.array([True, False])).dtype == np.float64
    assert en.elu(np.arange(3, dtype=np.uint8)).dtype == np.float64
    assert en.elu_grad(np.ones(2, np.float32), x=np.ones(2, np.float32)).dtype == np.float32
    assert en.elu_grad(np.ones(2, np.float32), x=np.ones(2)).dtype == np.float64
    # alpha is cast to the array's dtype: a float32 input never becomes float64
    assert en.elu(np.float32(-1.0), np.float64(1.1)).dtype == np.float32


def test_float16_is_computed_in_float32():
    x = np.linspace(-5, 5, 101).astype(np.float16)
    expect = en.celu(x.astype(np.float32), 0.3).astype(np.float16)
    np.testing.assert_array_equal(en.celu(x, 0.3), expect)
    out64 = np.empty(101)
    en.celu(x, 0.3, out=out64)
    np.testing.assert_array_equal(out64, en.celu(x.astype(np.float32), 0.3))


def _same_f16(a, b):
    """Equal float16 bits, or NaN in both (NumPy's casts and the CPU's keep different NaN
    payloads)."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype == np.float16
    same = (a.view(np.uint16) == b.view(np.uint16)) | (np.isnan(a) & np.isnan(b))
    assert same.all(), (a[~same][:5], b[~same][:5])


EVERY_F16 = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16)


@pytest.mark.parametrize(
    ("fn", "alpha"),
    [("elu", 1.0), ("elu", 1.7), ("elu", -0.3), ("selu", None), ("celu", 0.3), ("relu", None)],
)
def test_float16_every_value_is_the_float32_result_rounded(fn, alpha):
    """All 2^16 float16 values (NaN, +-inf, -0.0, subnormals), in place and out of place,
    serial (a slice) and parallel (2^16 >= PARALLEL_THRESHOLD): the float32 result rounded
    to float16 (to nearest, ties to even, as NumPy's cast) -- what the float16 kernels, which
    convert in registers (``_cpu.HALF_IN_REGISTERS``), and the float32 copies elsewhere give."""
    f = getattr(en, fn)
    args = () if alpha is None else (alpha,)
    with np.errstate(over="ignore"):  # selu(65504) is above float16's range in both
        want = f(EVERY_F16.astype(np.float32), *args).astype(np.float16)
    _same_f16(f(EVERY_F16, *args), want)
    x = EVERY_F16.copy()
    assert f(x, *args, out=x) is x
    _same_f16(x, want)
    _same_f16(f(EVERY_F16[1000:1100], *args), want[1000:1100])


@pytest.mark.parametrize("which", ["x", "y"])
@pytest.mark.parametrize(
    ("fn", "alpha"), [("elu", 1.0), ("elu", 1.7), ("selu", None), ("celu", 0.6)]
)
def test_float16_gradients_are_the_float32_results_rounded(fn, which, alpha):
    """float16 gradients: the float32 result rounded to float16, into grad, into x / y and
    into a new array, serial and parallel -- block by block the same float32 loop, the
    float32-only variant for blocks in range (``_math.FAST_GRAD``) included: the first block
    holds an infinite grad and x below every variant's range, the others do not."""
    rng = np.random.default_rng(5)
    n = 3 * _cpu.PARALLEL_THRESHOLD // 2 + 7
    g = rng.normal(0, 2, n).astype(np.float16)
    g[:4] = [np.inf, -0.0, np.nan, 65504]
    v = rng.normal(-1, 3, n).astype(np.float16)
    v[4:8] = [-np.inf, -0.0, np.nan, -200.0]
    if which == "y":
        v = getattr(en, fn)(v, *(() if alpha is None else (alpha,)))
    kw = {} if alpha is None else {"alpha": alpha}
    grad = getattr(en, f"{fn}_grad")
    with np.errstate(over="ignore"):
        want = grad(g.astype(np.float32), **kw, **{which: v.astype(np.float32)}).astype(np.float16)
    _same_f16(grad(g, **kw, **{which: v}), want)
    _same_f16(grad(g[:100], **kw, **{which: v[:100]}), want[:100])
    gc = g.copy()
    assert grad(gc, **kw, **{which: v}, out=gc) is gc
    _same_f16(gc, want)
    vc = v.copy()
    assert grad(g, **kw, **{which: vc}, out=vc) is vc
    _same_f16(vc, want)


def test_float16_gradient_blocks_take_the_float32_variant(monkeypatch):
    """The float16 gradients from x decide per block as float32 does (``_cpu._fast_block``
    on the converted values): a block of float16 values in range runs the variant."""
    from elu_numba import _math

    seen = []
    real = _cpu._on_half

    def spy(fn, arity, name):
        seen.append((fn, name))
        return real(fn, arity, name)

    monkeypatch.setattr(_cpu, "_on_half", spy)
    _cpu.loops.cache_clear()
    try:
        _cpu.loops("elu_grad_x", False, "out", True)
    finally:
        _cpu.loops.cache_clear()
    assert sorted(seen, key=lambda s: s[1]) == [
        (_math.elu_grad_x, "elu_grad_x"),
        (_math.FAST_GRAD["elu_grad_x"][0], "elu_grad_x_fast"),
    ]
    # one wrapper per name: the variants of ELU, SELU and CELU are all named "fn"
    wrappers = {_cpu._on_half(_math.FAST_GRAD[n][0], 2, f"{n}_fast") for n in _math.FAST_GRAD}
    assert len(wrappers) == len(_math.FAST_GRAD) == 3
    lo_half = _cpu._lo_half(_math.FAST_GRAD["elu_grad_x"][1], "elu_grad_x")

    @numba.njit
    def in_range(g, x):
        return _cpu._fast_block(g, x, lo_half(None, x))

    x = np.linspace(-10, 0, 256).astype(np.float16)
    g = np.full(256, 60000, np.float16)
    assert in_range(g.view(np.uint16), x.view(np.uint16))
    for arr, at, bad in [(x, 7, -np.inf), (x, 200, -61.0), (x, 9, np.nan), (g, 3, np.inf)]:
        b = arr.copy()
        b[at] = bad
        args = (b, x) if arr is g else (g, b)
        assert not in_range(*(a.view(np.uint16) for a in args)), (at, bad)


def test_float16_layouts_and_mixed_dtypes():
    """Strided and Fortran-ordered float16 arrays give the contiguous results; float16 with
    float32 (or float64) gives float32 (float64) as before."""
    rng = np.random.default_rng(6)
    x = rng.normal(0, 3, (64, 300)).astype(np.float16)
    want = en.elu(x.reshape(-1), 1.3).reshape(x.shape)
    _same_f16(en.elu(x[:, ::3], 1.3), want[:, ::3])
    _same_f16(en.elu(np.asfortranarray(x), 1.3), want)
    out = np.zeros((64, 100), np.float16)[:, ::-1]
    _same_f16(en.elu(x[:, :100], 1.3, out=out), want[:, :100])
    g = rng.normal(0, 1, x.shape).astype(np.float16)
    want_g = en.elu_grad(g.reshape(-1), x=x.reshape(-1)).reshape(x.shape)
    _same_f16(en.elu_grad(g.T, x=x.T), want_g.T)
    mixed = en.elu_grad(g, x=x.astype(np.float32))
    assert mixed.dtype == np.float32
    np.testing.assert_array_equal(mixed, en.elu_grad(g.astype(np.float32), x=x.astype(np.float32)))
    big = x.astype(">f2")  # non-native byte order: through float32 copies
    _same_f16(en.elu(big, 1.3), want)


def test_float16_runs_its_own_kernels(monkeypatch):
    """Native float16 arrays run the float16 kernels (no float32 copies) where the CPU
    converts in registers, in every mode and through the strided path's float16 copies;
    elsewhere the float32 ones."""
    calls = []
    real = _cpu.loops
    monkeypatch.setattr(_cpu, "loops", lambda *a: calls.append(a) or real(*a))
    x = np.linspace(-3, 3, 40).astype(np.float16)
    g = x[::-1].copy()
    en.elu(x, 0.5)
    en.elu(x.copy(), out=np.empty_like(x))
    en.elu_grad(g.copy(), y=en.elu(x), out=g.copy())
    en.selu(x[::2])
    assert calls and all((c[-1] is True) == _cpu.HALF_IN_REGISTERS for c in calls), calls
    calls.clear()
    en.elu(x.astype(np.float32))
    assert calls == [("elu", False, "out")]


def test_target_has_reads_the_features_numba_compiles_for(monkeypatch):
    """``_options.target_has``: NUMBA_CPU_FEATURES's list where it is set, else the host's
    features as LLVM reads them, AVX off under NUMBA_ENABLE_AVX=0, also where
    NUMBA_CPU_NAME names another CPU (Numba's own rules: the list overrides the name)."""
    from llvmlite import binding as llvm
    from numba.core import config

    from elu_numba._options import target_has

    monkeypatch.setattr(config, "CPU_NAME", None)
    monkeypatch.setattr(config, "CPU_FEATURES", None)
    monkeypatch.setattr(config, "ENABLE_AVX", True)  # whatever NUMBA_ENABLE_AVX says here
    host = llvm.get_host_cpu_features()
    for f in ("sse2", "avx", "avx2", "fma", "f16c", "avx512f", "neon"):
        assert target_has(f) is bool(host.get(f, False)), f
    monkeypatch.setattr(config, "ENABLE_AVX", False)
    assert not (target_has("avx") or target_has("avx2") or target_has("avx512f"))
    monkeypatch.setattr(config, "ENABLE_AVX", True)
    monkeypatch.setattr(config, "CPU_NAME", "haswell")
    for f in ("avx2", "avx512f", "f16c"):  # Numba passes the host's list with the name
        assert target_has(f) is bool(host.get(f, False)), f
    monkeypatch.setattr(config, "CPU_FEATURES", "+avx2,-avx512f,+f16c")
    assert target_has("avx2") and target_has("f16c")
    assert not target_has("avx512f") and not target_has("avx") and not target_has("avx51")


def test_float16_in_registers_needs_f16c_or_arm(monkeypatch):
    from numba.core import config

    monkeypatch.setattr(config, "CPU_NAME", None)
    for machine, want in [("aarch64", True), ("arm64", True), ("ppc64le", False)]:
        monkeypatch.setattr(_cpu.platform, "machine", lambda m=machine: m)
        assert _cpu._host_has_f16c() is want, machine
    monkeypatch.setattr(_cpu.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(config, "CPU_NAME", "generic")  # NUMBA_CPU_NAME: its features only
    monkeypatch.setattr(config, "CPU_FEATURES", "")
    assert _cpu._host_has_f16c() is False
    monkeypatch.setattr(config, "CPU_FEATURES", "+avx,-f16c")
    assert _cpu._host_has_f16c() is False
    monkeypatch.setattr(config, "CPU_FEATURES", "+avx,+f16c")
    assert _cpu._host_has_f16c() is True


def test_array_likes_and_scalars():
    np.testing.assert_allclose(en.elu([-1.0, 2.0]), [np.expm1(-1), 2.0])
    s = en.elu(-1.0)
    assert isinstance(s, np.float64) and s == np.expm1(-1.0)
    z = en.selu(np.array(2.0))
    assert np.ndim(z) == 0
    # the correctly rounded e**-1 (mpmath): NumPy 1.26's float64 exp (SIMD, AVX-512) gives
    # 0.3678794411714424 here, 1 ULP above it; elu_grad is exact, so still compared exactly
    assert en.elu_grad(2.0, x=-1.0) == 2 * float(mpmath.exp(-1))


def test_out_of_place_keeps_fortran_order():
    x = np.asfortranarray(random_values(np.float32, 600).reshape(20, 30))
    assert en.elu(x).flags.f_contiguous


def test_out_dtype_cast_like_numpy():
    x = random_values(np.float64, 100)
    out = np.empty(100, np.float32)
    en.elu(x, out=out)
    np.testing.assert_array_equal(out, en.elu(x).astype(np.float32))


def test_gradient_broadcasts():
    g = np.ones((3, 1))
    x = np.array([-1.0, 0.5])
    np.testing.assert_allclose(en.elu_grad(g, x=x), np.broadcast_to([np.exp(-1), 1], (3, 2)))


BAD_CALLS = [
    (TypeError, "dtype complex", lambda x, o: en.elu(x.astype(complex))),
    (TypeError, "dtype object", lambda x, o: en.elu(x.astype(object))),
    (TypeError, "out has dtype int64", lambda x, o: en.elu(x, out=np.zeros(x.shape, int))),
    (ValueError, "out has shape", lambda x, o: en.elu(x, out=o[:-1])),
    (ValueError, "read-only", lambda x, o: en.elu(x, out=_readonly(o))),
    (ValueError, "alpha must be > 0", lambda x, o: en.celu(x, 0.0, out=o)),
    (ValueError, "alpha must be finite", lambda x, o: en.elu(x, np.nan, out=o)),
    (TypeError, "alpha must be a real", lambda x, o: en.elu(x, "1", out=o)),
    (TypeError, "exactly one of x=", lambda x, o: en.elu_grad(x, out=o)),
    (TypeError, "exactly one of x=", lambda x, o: en.elu_grad(x, x=x, y=x, out=o)),
    (ValueError, "alpha >= 0", lambda x, o: en.elu_grad(x, y=x, alpha=-1, out=o)),
    (ValueError, "could not be broadcast", lambda x, o: en.elu_grad(x, x=x[:3], out=o)),
    (TypeError, "cannot be written in place", lambda x, o: en.elu(x, out=[0.0] * x.size)),
]


def _readonly(a):
    a.flags.writeable = False
    return a


@pytest.mark.parametrize("exc, msg, call", BAD_CALLS, ids=[m for _, m, _ in BAD_CALLS])
def test_errors_are_raised_before_any_write(exc, msg, call):
    x = random_values(np.float64, 10)
    o = np.full(10, 7.0)
    before = x.copy()
    with pytest.raises(exc, match=msg):
        call(x, o)
    np.testing.assert_array_equal(o, 7.0)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_alpha_beyond_float32_is_an_error_before_any_write(dtype):
    """float32 and float16 arrays compute with alpha cast to float32: a finite alpha that
    would become inf there, or a CELU alpha that would become 0, raises ValueError with no
    warning and nothing written (until 2026-12-07 they gave NaN, with NumPy's cast
    warning).  The edges: 2**128 - 2**103 is the first float64 that casts to inf; CELU's
    alpha may be as small as float32's smallest subnormal; ELU's may round to 0."""
    x = random_values(dtype, 300)
    g = np.ones_like(x)
    big = 2.0**128 - 2.0**103
    calls = [
        ("overflows float32", lambda a, o: en.elu(x, a, out=o)),
        ("overflows float32", lambda a, o: en.elu_grad(g, x=x, alpha=a, out=o)),
        ("overflows float32", lambda a, o: en.elu_grad(g, y=x, alpha=abs(a), out=o)),
        ("overflows float32", lambda a, o: en.celu(x, abs(a), out=o)),
        ("overflows float32", lambda a, o: en.celu_grad(g, y=x, alpha=abs(a), out=o)),
    ]
    tiny = [
        ("rounds to 0 in float32", lambda a, o: en.celu(x, a, out=o)),
        ("rounds to 0 in float32", lambda a, o: en.celu_grad(g, x=x, alpha=a, out=o)),
        ("rounds to 0 in float32", lambda a, o: en.celu_grad(g, y=x, alpha=a, out=o)),
    ]
    for msg, call in calls:
        for a in (1e39, -big, big, np.float64(3e300), -np.finfo(np.float64).max):
            o, before = np.full_like(x, 7), x.copy()
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                with pytest.raises(ValueError, match=msg):
                    call(a, o)
                with pytest.raises(ValueError, match=msg):
                    call(a, None)
            np.testing.assert_array_equal(o, 7)
            np.testing.assert_array_equal(x, before)
    for msg, call in tiny:
        for a in (1e-46, 2.0**-150, 1e-300):
            o = np.full_like(x, 7)
            with pytest.raises(ValueError, match=msg):
                call(a, o)
            np.testing.assert_array_equal(o, 7)
    # the largest alphas that stay finite, and the smallest that stay > 0, work (float16
    # results of ELU overflow to -inf there, as the float32 result rounded to float16 does)
    f32 = np.finfo(np.float32)
    for a in (float(np.nextafter(big, 0)), float(f32.max)):
        assert not np.isnan(en.celu(x, a)).any() and not np.isnan(en.elu(x, a)).any()
        y = en.elu(x.astype(np.float32), a)
        assert np.isfinite(y).all() and (y[x < 0] < 0).all()
    smallest = float(f32.smallest_subnormal)
    for a in (smallest, 2.0**-150 * 1.0000001):
        np.testing.assert_array_equal(en.celu(x, a), en.celu(x, smallest))
    np.testing.assert_array_equal(en.elu(x, 1e-46), en.elu(x, 0.0))
    with pytest.raises(ValueError, match="finite"):
        en.elu(x, 10**400)  # an int beyond float64: ValueError, not float()'s OverflowError


def test_float128_is_rejected():
    if np.dtype(np.longdouble).itemsize <= 8:
        pytest.skip("longdouble is float64 here")
    with pytest.raises(TypeError, match="longdouble|float128"):
        en.elu(np.ones(2, np.longdouble))


@pytest.mark.parametrize("act", ACTS, ids=lambda a: a.name)
def test_docstrings_state_formula_and_errors(act):
    assert "x > 0" in act.forward.__doc__ or "SELU_SCALE" in act.forward.__doc__
    assert "alpha" in act.grad.__doc__ and "y" in act.grad.__doc__


def _fast_path_cases(dtype):
    """(call, arrays) pairs: call(*arrays) may write into them; all go through _api._fast."""
    x, g = random_values(dtype, 600), random_values(dtype, 600, seed=3)
    buf = random_values(dtype, 601)
    return {
        "out of place": (lambda x: en.elu(x, 0.5), [x]),
        "2-d": (lambda x: en.celu(x.reshape(20, 30), 2.0), [x]),
        "in place": (lambda x: en.selu(x, out=x), [x]),
        "separate out": (lambda x, o: en.elu(x, out=o), [x, np.empty_like(x)]),
        "grad in place": (lambda g, x: en.elu_grad(g, x=x, out=g), [g, x]),
        "grad into y": (lambda g, y: en.celu_grad(g, y=y, out=y, alpha=0.5), [g, x]),
        "grad is y": (lambda g: en.elu_grad(g, y=g, out=g), [g]),
        "partial overlap": (lambda b: en.elu(b[:-1], out=b[1:]), [buf]),
        "grad overlapping out": (lambda b, x: en.elu_grad(b[:-1], x=x, out=b[1:]), [buf, x]),
    }


@pytest.mark.parametrize("case", list(_fast_path_cases(np.float32)))
def test_fast_path_matches_the_general_path(dtype, case, monkeypatch):
    from elu_numba import _api

    call, arrays = _fast_path_cases(dtype)[case]
    fast_arrays = [a.copy() for a in arrays]
    fast = call(*fast_arrays)
    monkeypatch.setattr(_api, "_fast", lambda *args: None)
    general = call(*arrays)
    np.testing.assert_array_equal(fast, general)
    for a, b in zip(fast_arrays, arrays, strict=True):
        np.testing.assert_array_equal(a, b)


def test_common_calls_skip_the_general_path(monkeypatch):
    from elu_numba import _api

    def general(*args):
        raise AssertionError("general path taken")

    monkeypatch.setattr(_api, "_run", general)
    x, g = random_values(np.float32, 300), random_values(np.float32, 300, seed=1)
    assert en.elu(x).dtype == np.float32
    assert en.elu(x, out=x) is x
    assert en.selu_grad(g, y=x, out=g) is g
    with pytest.raises(AssertionError, match="general path"):  # strided: not for the fast path
        en.elu(x[::2])


_LAZY_UFUNCS = """
import pickle, sys, threading
import numpy as np
import elu_numba.ufuncs as u
built = lambda: sorted(n for n in u.__all__ if n in vars(u))
print(built())  # the import builds nothing
got = []
workers = [threading.Thread(target=lambda: got.append(u.elu_grad_y)) for _ in range(4)]
for w in workers: w.start()
for w in workers: w.join()
print(built(), len(got), len({id(g) for g in got}), type(got[0]).__name__)
print(got[0] is u.elu_grad_y, pickle.loads(pickle.dumps(u.elu_grad_y)) is u.elu_grad_y)
print(sorted(set(u.__all__) - set(dir(u))), float(u.elu_grad_y(2.0, -0.25, 1.0)))
try:
    u.elu_gradient
except AttributeError as e:
    print(e)
"""


def test_ufuncs_are_built_on_first_use():
    """Importing elu_numba.ufuncs builds no ufunc (the first build compiles for seconds); the
    first use builds that one, once, whichever threads ask at once, and it pickles by name."""
    import subprocess
    import sys

    res = subprocess.run(
        [sys.executable, "-c", _LAZY_UFUNCS], capture_output=True, text=True, check=False
    )
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "[]"
    assert lines[1] == "['elu_grad_y'] 4 1 ufunc"
    assert lines[2] == "True True"
    assert lines[3] == "[] 1.5"  # every ufunc is listed; g * (y + alpha) = 2 * 0.75
    assert lines[4] == "module 'elu_numba.ufuncs' has no attribute 'elu_gradient'"


_UFUNC_SIZES = """
import json, numba
from elu_numba import _cpu
from elu_numba._options import CONCURRENT_SAFE_LAYERS
seen = []
real = _cpu.dispatch_loop
def spy(nin, parallel_from, itemsize):
    seen.append([nin, parallel_from, itemsize])
    return real(nin, parallel_from, itemsize)
_cpu.dispatch_loop = spy
from elu_numba.ufuncs import elu, relu, selu_grad_x, elu_grad_y
numba.get_num_threads()
print(json.dumps([numba.threading_layer() in CONCURRENT_SAFE_LAYERS, seen]))
"""


def test_ufuncs_run_in_parallel_from_each_kernels_own_size():
    """Each ufunc's loop for a dtype runs in chunks on all threads from the size the API
    uses for that kernel and precision (``_cpu.parallel_from``; float16 takes float32's):
    the float64 ELU from 2^14 elements per inner-loop call, ReLU's from 2^15.  (Until
    2026-12-06 every ufunc took PARALLEL_THRESHOLD.)"""
    import json
    import subprocess
    import sys

    res = subprocess.run(
        [sys.executable, "-c", _UFUNC_SIZES], capture_output=True, text=True, check=False
    )
    assert res.returncode == 0, res.stderr
    parallel, seen = json.loads(res.stdout)
    if not parallel:
        pytest.skip("the ufuncs stay serial on this threading layer")
    sizes = [2, 4, 8] if _cpu.HALF_IN_REGISTERS else [4, 8]
    want = [
        [nin, _cpu.parallel_from(name, size), size]
        for name, nin in [("elu", 2), ("relu", 1), ("selu_grad_x", 2), ("elu_grad_y", 3)]
        for size in sizes
    ]
    assert seen == want
    assert want[len(sizes) - 1] == [2, 1 << 14, 8]  # float64 elu
    assert want[len(sizes)][1] == _cpu.PARALLEL_THRESHOLD  # relu


@pytest.mark.parametrize("size", [2, 4, 8])
@pytest.mark.parametrize("step", [1, -1])
def test_ufunc_chunks_only_where_the_output_overlaps_no_input(size, step):
    """The parallel ufunc path (``_cpu._independent``) runs chunks in any order unless the
    output overlaps an input other than itself: arrays that end where the next begins (as
    malloc places them) are apart, one shared item is an overlap, in either direction and
    with either stride sign.  Until 2026-12-07 every span was padded by 64 bytes, and an
    output right before its input ran the whole call serially."""
    n, base = 1 << 15, 1 << 40
    s = step * size

    def first(start):  # the address of item 0 of an operand over [start, start + n*size)
        return start if step > 0 else start + (n - 1) * size

    out = first(base)
    for gap, apart in ((0, True), (16, True), (-size, False), (-n // 2 * size, False)):
        x = first(base + n * size + gap)  # after the output
        y = first(base - n * size - gap)  # before it
        for other in (x, y):
            bases, steps = (other, out, 0, 0), (s, s, 0, 0)
            assert _cpu._independent(n, bases, steps, 2, size) is apart, (gap, other == x)
    # in place (the same base and step) is independent; a reduce (output step 0) is not
    assert _cpu._independent(n, (out, out, 0, 0), (s, s, 0, 0), 2, size)
    assert not _cpu._independent(n, (out + size, out, 0, 0), (s, 0, 0, 0), 2, size)


@pytest.mark.parametrize("name", ["elu", "celu", "selu_grad_x"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ufunc_accumulate_and_reduce_run_in_order(name, dtype):
    """accumulate and reduce feed each output into the next element: the chunked parallel
    loop must not run them (out[i] = f(out[i-1], x[i]) needs out[i-1] first), nor may a
    gradient's block loop choose its loop from a block of outputs not yet written (the
    float32 ``selu_grad_x`` did, from the zeros in ``out``: NaN where the running product
    reached inf)."""
    from elu_numba import ufuncs

    u = getattr(ufuncs, name)
    x = np.random.default_rng(5).uniform(0.2, 1.0, 2 * _cpu.PARALLEL_THRESHOLD + 7)
    x[::3] *= -4.0  # negative values: both branches are taken
    if name == "celu":  # x is also alpha, which CELU needs > 0 (NaN otherwise): from a
        x = np.abs(x)  # negative start every element takes the exponential branch
        x[0] = -4.0
    x = x.astype(dtype)
    if name == "selu_grad_x":  # the product grows past the largest float: inf
        x[0], x[1:64] = np.finfo(dtype).max / 4, 1.0
    want = np.empty_like(x)
    want[0] = x[0]
    with np.errstate(over="ignore"):
        for i in range(1, x.size):
            want[i] = u(want[i - 1], x[i])
        got = u.accumulate(x, out=np.zeros_like(x))
        np.testing.assert_array_equal(got, want)
        assert u.reduce(x) == want[-1]
    if name == "selu_grad_x":
        assert np.isinf(want[-1])


UFUNC_CALLS = {  # name: (inputs besides x or (grad, v), the matching elu_numba call)
    "elu": (lambda a: (a,), lambda x, alpha: en.elu(x, alpha)),
    "selu": (lambda a: (), lambda x, alpha: en.selu(x)),
    "celu": (lambda a: (a,), lambda x, alpha: en.celu(x, alpha)),
    "relu": (lambda a: (), lambda x, alpha: en.relu(x)),
    "elu_grad_x": (lambda a: (a,), lambda g, v, alpha: en.elu_grad(g, x=v, alpha=alpha)),
    "elu_grad_y": (lambda a: (a,), lambda g, v, alpha: en.elu_grad(g, y=v, alpha=alpha)),
    "selu_grad_x": (lambda a: (), lambda g, v, alpha: en.selu_grad(g, x=v)),
    "celu_grad_y": (lambda a: (a,), lambda g, v, alpha: en.celu_grad(g, y=v, alpha=alpha)),
    "celu_grad_x": (lambda a: (a,), lambda g, v, alpha: en.celu_grad(g, x=v, alpha=alpha)),
}


@pytest.mark.parametrize("dtype", UFUNC_FLOATS)
@pytest.mark.parametrize("name", sorted(UFUNC_CALLS))
@pytest.mark.parametrize("layout", ["contiguous", "in place", "strided", "reversed"])
@pytest.mark.parametrize("alpha_as", ["scalar", "array"])
@pytest.mark.parametrize("size", ["serial", "parallel"])
def test_ufunc_loops_agree_with_the_functions(name, dtype, layout, alpha_as, size):
    """Each ufunc inner loop (contiguous, alpha broadcast or an array, in place, strided)
    gives the functions' results bit for bit, NaN, infinities and signed zeros included --
    run whole, or in chunks on all threads from PARALLEL_THRESHOLD elements on (the last
    chunk a partial one, special values at a chunk boundary).  float16 keeps its dtype and
    gives the float16 kernels' bits (alpha is a float16 operand: the functions get its
    value)."""
    from elu_numba import ufuncs

    u = getattr(ufuncs, name)
    extra, ref = UFUNC_CALLS[name]
    n = 1000 if size == "serial" else 2 * _cpu.PARALLEL_THRESHOLD + 7
    x = random_values(dtype, n)
    special = [np.nan, np.inf, -np.inf, -0.0, 0.0, -1e-30]
    x[:6] = special
    if size == "parallel":
        x[_cpu.UFUNC_CHUNK - 3 : _cpu.UFUNC_CHUNK + 3] = special
    alpha = float(dtype(0.7))  # the ufunc casts alpha to dtype, the functions to float32
    arrays = [x] if u.nin - len(extra(0)) == 1 else [np.linspace(-2, 2, n).astype(dtype), x]
    want = ref(*arrays, alpha)
    a = extra(dtype(alpha) if alpha_as == "scalar" else np.full(n, alpha, dtype))
    if layout == "strided":
        arrays = [np.repeat(v, 2)[::2] for v in arrays]
        a = tuple(np.repeat(v, 2)[::2] if np.ndim(v) else v for v in a)
    elif layout == "reversed":
        arrays = [v[::-1].copy()[::-1] for v in arrays]
        a = tuple(v[::-1].copy()[::-1] if np.ndim(v) else v for v in a)
    # no FP flag (NaN inputs raised "invalid" in the vector compares until 2026-12-05)
    with np.errstate(all="raise", under="ignore"):
        if layout == "in place":
            arrays = [v.copy() for v in arrays]
            got = u(*arrays, *a, out=arrays[0])
            assert got is arrays[0]
        else:
            got = u(*arrays, *a)
    assert got.dtype == dtype
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    general = layout in ("strided", "reversed") or alpha_as == "array"
    if general and dtype != np.float64 and name.endswith("_grad_x"):
        # the strided and array-alpha loops run the general function on every element, where
        # the functions run float32 blocks in range (_math.FAST_GRAD): a float step apart at
        # most (README, The ufuncs), and often for CELU's (its blocks in range round twice in
        # float32, its general function once in float64)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        ok = ~np.isnan(want)
        ints = np.int16 if dtype == np.float16 else np.int32
        steps = np.abs(got[ok].view(ints).astype(np.int64) - want[ok].view(ints))
        assert steps.max() <= 1
    else:
        np.testing.assert_array_equal(got, want)


@pytest.mark.skipif(not _cpu.HALF_IN_REGISTERS, reason="no float16 ufunc loops (no F16C)")
def test_ufuncs_keep_float16_as_numpy_does():
    """Every ufunc has a float16 loop, first, so NumPy's type resolution treats them as
    ``np.exp``: float16 stays float16, and so do bool, int8 and uint8 (which cast to
    float16 safely); int16 gives float32, wider integers float64 (NumPy's rules: with a
    Python float alpha, integers give float64, as ``np.add(int8, 1.0)``).  On all 2^16
    float16 values each activation gives elu_numba's float16 bits, and an infinite result
    from a finite input warns "overflow", as NumPy's float16 arithmetic does.  Until
    2026-12-06 the ufuncs had float32 and float64 loops only: float16 came back float32."""
    from elu_numba import ufuncs

    us = [getattr(ufuncs, name) for name in ufuncs.__all__]
    assert len(us) == 12 and all(isinstance(u, np.ufunc) for u in us)
    for u in us:
        assert u.types[0] == "e" * u.nin + "->e"
    for dt in (np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.int32, np.int64):
        ints = np.ones(3, dt)
        assert ufuncs.selu(ints).dtype == np.exp(ints).dtype
        assert ufuncs.elu_grad_x(ints, ints, ints).dtype == np.exp(ints).dtype
        assert ufuncs.elu(ints, 1.0).dtype == np.add(ints, 1.0).dtype
    x = np.arange(2**16, dtype=np.uint16).view(np.float16)
    cases = [
        (ufuncs.elu, (1.0,), lambda x: en.elu(x)),
        (ufuncs.elu, (1.5,), lambda x: en.elu(x, 1.5)),
        (ufuncs.celu, (0.25,), lambda x: en.celu(x, 0.25)),
        (ufuncs.selu, (), en.selu),
        (ufuncs.relu, (), en.relu),
    ]
    for u, alpha, f in cases:
        with np.errstate(over="ignore"):  # selu(max) overflows (below)
            got = u(x, *map(np.float16, alpha))
        assert got.dtype == np.float16
        np.testing.assert_array_equal(got.view(np.uint16), f(x).view(np.uint16))
    big = np.array([np.finfo(np.float16).max], np.float16)
    with np.errstate(over="raise"):
        with pytest.raises(FloatingPointError, match="overflow"):
            ufuncs.selu(big)  # 1.05 * 65504: inf in float16
        assert ufuncs.elu(big, np.float16(1.0))[0] == big[0]


def test_fp_flag_masks_are_this_platforms():
    """The C library's FE_INVALID and FE_OVERFLOW | FE_DIVBYZERO that the ufunc loops watch
    (``_cpu.FE_INVALID``, ``FE_RANGE``) are the bits this CPU raises: inf - inf, 1e308 * 10
    and 1 / 0 computed in Numba, then read back."""
    if _cpu.FE_INVALID == 0:
        pytest.skip("FP flags not watched on this platform")

    @numba.njit(error_model="numpy")
    def flags_after(a, b, op):
        _cpu._feclearexcept(np.int32(-1))  # every flag
        r = a - b if op == 0 else (a * b if op == 1 else a / b)
        return _cpu.fp_flags(), r

    assert flags_after(np.inf, np.inf, 0)[0] == _cpu.FE_INVALID
    assert flags_after(1e308, 10.0, 1)[0] & _cpu.FE_RANGE
    assert flags_after(1.0, 0.0, 2)[0] & _cpu.FE_RANGE
    assert flags_after(1.0, 3.0, 2)[0] == 0  # inexact is not watched


@pytest.mark.parametrize("dtype", UFUNC_FLOATS)
@pytest.mark.parametrize("size", ["serial", "parallel"])
@pytest.mark.parametrize("layout", ["contiguous", "strided", "array alpha"])
@pytest.mark.parametrize("at", [0, 3000, -3])
def test_ufunc_flags_follow_the_results(dtype, size, layout, at):
    """A ufunc leaves NumPy the FP flags its results explain and no others: "invalid" for a
    NaN from no NaN input (inf * 0), "overflow" for an inf from finite inputs; none for NaN
    inputs or from the side of the branch a select discards (a huge grad where x > 0, a zero
    grad at y = +inf).  The element in question is at ``at``, among benign ones: the first,
    one past the scan's first run (``_cpu._SCAN``) in the first chunk, or the third from
    last, which in parallel is another thread's chunk (its flags reach the calling thread,
    which NumPy reads).  A NaN alpha broadcast to every element explains every NaN
    result."""
    from elu_numba import ufuncs

    f = np.finfo(dtype)
    n = 5000 if size == "serial" else 2 * _cpu.PARALLEL_THRESHOLD + 7
    assert _cpu._SCAN < at < _cpu.UFUNC_CHUNK or at <= 0

    def call(u, g0, v0, alpha):
        g, v = np.full(n, 0.5, dtype), np.full(n, -1.0, dtype)
        g[at], v[at] = g0, v0
        a = dtype(alpha)
        if layout == "strided":
            g, v = np.repeat(g, 2)[::2], np.repeat(v, 2)[::2]
        elif layout == "array alpha":
            a = np.full(n, alpha, dtype)
        return u(g, v, a)

    raises = {  # (ufunc, g, x or y, alpha): the flag the result explains
        (ufuncs.elu_grad_x, np.inf, -np.inf, 1.0): "invalid",  # inf * exp(-inf)
        (ufuncs.elu_grad_y, np.inf, -1.0, 1.0): "invalid",  # inf * (y + alpha) = inf * 0
        (ufuncs.elu_grad_x, f.max, -0.0, 1.7): "overflow",  # max * 1.7
        (ufuncs.celu_grad_y, 1.0, -f.max, 0.5): "overflow",  # y / alpha
    }
    for (u, g0, v0, alpha), flag in raises.items():
        with np.errstate(all="ignore", **{{"overflow": "over"}.get(flag, flag): "raise"}):
            with pytest.raises(FloatingPointError, match=flag):
                call(u, g0, v0, alpha)
    quiet = [  # the result is finite, or NaN from a NaN input
        (ufuncs.elu_grad_x, f.max, 1.0, 20.0),  # g where x > 0; max * 20 discarded
        (ufuncs.elu_grad_x, f.max, np.inf, 1.7),
        (ufuncs.elu_grad_y, 0.0, np.inf, 1.0),  # g where y > 0; 0 * inf discarded
        (ufuncs.celu_grad_x, 1.0, -np.inf, 0.5),  # exp(-inf / 0.5) = 0
        (ufuncs.celu_grad_x, 1.0, -f.max, 0.5),
        (ufuncs.elu_grad_x, 1.0, np.nan, 1.0),
        (ufuncs.elu_grad_y, np.nan, -0.5, 1.0),
        # a NaN x raises "invalid"; the NaN results of the other elements, whose only NaN
        # input is the broadcast alpha, do not keep it
        (ufuncs.elu_grad_x, 1.0, np.nan, np.nan),
    ]
    for u, g0, v0, alpha in quiet:
        with np.errstate(all="raise", under="ignore"):
            got = call(u, g0, v0, alpha)
        assert np.isfinite(got[at]) or np.isnan([g0, v0, alpha]).any()


def test_ufunc_flag_scan_on_nan_inputs_is_vectorized():
    """NaN inputs raise "invalid" in the loops' compares, so each chunk with one is scanned
    (``_cpu._settle_flags``).  The scan must stay vectorized: its loop over contiguous
    operands has packed compares, and no gather (indices LLVM cannot prove >= 0 made it
    gather every element, 6x slower)."""
    import re

    from elu_numba._options import _LOOP_SIG, FASTMATH

    # as ``_options.ufunc_loop_cfunc`` compiles the loops, without the disk cache (a loop
    # loaded from it has no assembly)
    @numba.cfunc(_LOOP_SIG, fastmath=set(FASTMATH), cache=False, error_model="numpy")
    def probe(args, dims, steps, data):
        _cpu._settle_flags(np.int32(0), args, steps, dims[0], 2, np.float32)

    asm = probe._library.get_asm_str()
    assert re.search(r"vpcmp\w*d\s.*%[yz]mm", asm)
    assert "gather" not in asm


@pytest.mark.parametrize("name", ["elu", "celu", "selu"])
@pytest.mark.parametrize("target", ["out", "into grad", "into x"])
@pytest.mark.parametrize("size", ["serial", "parallel"])
def test_gradient_ufuncs_run_the_kernels_blocks(name, dtype, target, size):
    """On contiguous arrays with a broadcast alpha, the gradient ufuncs from x run the
    kernels' blocks: float32 blocks whose x are all in range take the fast loop, and alpha
    = 1 runs the kernel for alpha = None (ELU and CELU: ``_math.UNIT_ALPHA``), so they give
    ``elu_numba.<name>_grad``'s bits into any target; a strided call runs the general loop,
    one step from those in places (float32: the check tells the loops apart)."""
    from elu_numba import ufuncs

    u, f = getattr(ufuncs, f"{name}_grad_x"), getattr(en, f"{name}_grad")
    n = 8 * _cpu.BLOCK + 37 if size == "serial" else 2 * _cpu.PARALLEL_THRESHOLD + 37
    rng = np.random.default_rng(2)
    x = rng.uniform(-30.0, 3.0, n).astype(dtype)
    x[3], x[5 * _cpu.BLOCK + 7] = np.nan, -100.0  # two blocks that take the general loop
    # grads down to 2^-140: results near the smallest normal, where the loops differ
    g = (rng.uniform(-2.0, 2.0, n) * 2.0 ** rng.integers(-140, 20, n)).astype(dtype)
    bits = np.int32 if dtype == np.float32 else np.int64
    for alpha in (1.0, 1.7) if name != "selu" else (1.0,):
        kw, a = ({}, ()) if name == "selu" else ({"alpha": alpha}, (dtype(alpha),))
        want = f(g, x=x, **kw)
        gs, xs = g.copy(), x.copy()
        out = {"out": None, "into grad": gs, "into x": xs}[target]
        with np.errstate(all="raise", under="ignore"):  # no flag, NaN input included
            got = u(gs, xs, *a, out=out)
            general = u(np.repeat(g, 2)[::2], np.repeat(x, 2)[::2], *a)
        assert out is None or got is out
        np.testing.assert_array_equal(got.view(bits), want.view(bits))
        steps = np.abs(general.view(bits).astype(np.int64) - want.view(bits))
        assert steps.max() <= 1
        if dtype == np.float32 and (name, alpha) != ("celu", 1.7):  # CELU's fast loop: at 1
            assert steps.max() == 1


@pytest.mark.parametrize("name", ["elu", "celu"])
@pytest.mark.parametrize("layout", ["contiguous", "in place", "strided"])
@pytest.mark.parametrize("size", ["serial", "parallel"])
def test_ufuncs_at_alpha_one_run_the_alpha_one_kernel(name, dtype, layout, size):
    """A scalar alpha of 1 runs the kernel of ``elu_numba.elu(x)`` (``_math.UNIT_ALPHA``):
    its bits, in every layout; an array of ones runs the general kernel, one step away at
    some values (so the first check tells the kernels apart)."""
    from elu_numba import ufuncs

    u, f = getattr(ufuncs, name), getattr(en, name)
    n = 1000 if size == "serial" else 2 * _cpu.PARALLEL_THRESHOLD + 7
    x = np.concatenate([[np.nan, np.inf, -np.inf, -0.0, 0.0, -1e-30], random_values(dtype, n)])
    x = x.astype(dtype)
    bits = np.int32 if dtype == np.float32 else np.int64
    want = f(x)
    with np.errstate(all="raise", under="ignore"):  # no flag, NaN input included
        if layout == "in place":
            got = x.copy()
            assert u(got, 1.0, out=got) is got
        elif layout == "strided":
            got = u(np.repeat(x, 2)[::2], dtype(1.0))
        else:
            got = u(x, 1)
        general = u(x, np.ones(x.size, dtype))
    np.testing.assert_array_equal(got.view(bits), want.view(bits))
    steps = np.abs(general.view(bits).astype(np.int64) - want.view(bits))
    assert steps.max() <= 1
    if size == "parallel":
        assert steps.max() == 1
