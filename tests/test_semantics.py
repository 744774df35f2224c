"""Every row of the semantics table in the README, for every function and both dtypes."""

from __future__ import annotations

from fractions import Fraction

import numba
import numpy as np
import pytest

import elu_numba as en
from elu_numba import SELU_ALPHA, SELU_SCALE, SELU_SCALE_ALPHA

from .conftest import ACTS, UFUNC_FLOATS, edge_values, ulp_error


def test_selu_constants():
    # the values from Klambauer et al. 2017 (arXiv:1706.02515), as in the reference articles
    assert SELU_ALPHA == 1.6732632423543772848170429916717
    assert SELU_SCALE == 1.0507009873554804934193349852946
    # their product, rounded once (the product of the two float64 values is one step below)
    exact = Fraction("1.6732632423543772848170429916717") * Fraction(
        "1.0507009873554804934193349852946"
    )
    below, above = np.nextafter(SELU_SCALE_ALPHA, 0.0), np.nextafter(SELU_SCALE_ALPHA, 2.0)
    assert abs(Fraction(SELU_SCALE_ALPHA) - exact) <= min(
        exact - Fraction(float(below)), Fraction(float(above)) - exact
    )
    assert SELU_SCALE * SELU_ALPHA == below


@pytest.mark.parametrize("alpha", [1.0, 0.5, 2.5])
def test_elu_special_values(dtype, alpha):
    x = np.array([np.nan, -np.inf, np.inf, -0.0, 0.0, 1e30, -1e30], dtype=dtype)
    y = en.elu(x, alpha)
    assert y.dtype == dtype
    assert np.isnan(y[0])
    assert y[1] == -dtype(alpha)
    assert y[2] == np.inf
    assert y[3] == 0 and np.signbit(y[3])  # -0.0 stays -0.0
    assert y[4] == 0 and not np.signbit(y[4])
    assert y[5] == dtype(1e30)
    assert y[6] == -dtype(alpha)


def test_nan_propagates_everywhere(act, dtype):
    x = np.array([np.nan, 1.0, -1.0], dtype=dtype)
    assert np.isnan(act.call(x)[0])
    g = np.ones(3, dtype=dtype)
    assert np.isnan(act.call_grad(g, x=x)[0])
    assert np.isnan(act.call_grad(g, y=x)[0])
    gn = np.full(3, np.nan, dtype=dtype)
    # a NaN grad stays NaN, except where ReLU's derivative is exactly 0 (PyTorch's masking)
    expect = [True, True, act.name != "relu"]
    np.testing.assert_array_equal(np.isnan(act.call_grad(gn, x=x)), expect)
    np.testing.assert_array_equal(np.isnan(act.call_grad(gn, y=x)), expect)


def test_no_overflow_for_large_inputs(act, dtype):
    big = np.array([np.finfo(dtype).max, 1e4, 800.0, 100.0, np.inf], dtype=dtype)
    with np.errstate(all="raise"):  # no FloatingPointError from the kernels
        y = act.call(big)
        gx = act.call_grad(np.ones_like(big), x=big)
        gy = act.call_grad(np.ones_like(big), y=y)
    assert not np.isnan(y).any() and not np.isnan(gx).any() and not np.isnan(gy).any()
    assert np.isinf(y[-1]) and y[-1] > 0


@pytest.mark.parametrize(
    "name, at_zero",
    [("elu", 2.0), ("selu", SELU_SCALE_ALPHA), ("celu", 1.0), ("relu", 0.0)],
)
def test_gradient_at_zero_takes_the_exponential_branch(name, at_zero, dtype):
    act = next(a for a in ACTS if a.name == name)
    g = np.array([1.0, 1.0], dtype=dtype)
    z = np.array([0.0, -0.0], dtype=dtype)
    expect = dtype(at_zero)
    np.testing.assert_array_equal(act.call_grad(g, alpha=2.0, x=z), [expect, expect])
    np.testing.assert_array_equal(act.call_grad(g, alpha=2.0, y=z), [expect, expect])


def test_expm1_not_exp_minus_one(dtype):
    # exp(x) - 1 is 100% wrong here in float32; expm1 keeps full relative accuracy
    x = np.array([-1e-8, -1e-12, -1e-20, -3e-38], dtype=dtype)
    ref = np.expm1(x.astype(np.longdouble)).astype(dtype)
    np.testing.assert_array_equal(en.elu(x), ref)
    np.testing.assert_array_equal(en.celu(x), ref)
    assert (np.exp(x) - 1 != ref).any()  # the naive formula really fails here


def test_grad_from_y_saturates_but_from_x_keeps_it(dtype):
    x = np.array([-20.0, -30.0], dtype=dtype) if dtype == np.float32 else np.array([-40.0])
    y = en.elu(x)
    assert (y == -1).all()  # saturated to -alpha
    g = np.ones_like(x)
    assert (en.elu_grad(g, y=y) == 0).all()  # documented loss
    gx = en.elu_grad(g, x=x)
    np.testing.assert_allclose(gx, np.exp(x.astype(np.float64)), rtol=4 * np.finfo(dtype).eps)


def test_gradient_deep_negative_is_subnormal_not_clamped():
    x = np.array([-710.0, -720.0, -744.0, -746.0, -1e5])
    g = en.elu_grad(np.ones_like(x), x=x)
    ref = np.exp(x.astype(np.longdouble))
    # subnormal results: within 1 unit of the smallest subnormal
    assert np.all(np.abs(g - ref.astype(np.float64)) <= np.finfo(np.float64).smallest_subnormal)
    assert g[-1] == 0.0


@pytest.mark.parametrize("fn", [en.elu_grad, en.celu_grad])
def test_grad_from_y_needs_nonnegative_alpha(fn):
    g = np.ones(3)
    with pytest.raises(ValueError, match="alpha"):
        fn(g, y=np.zeros(3), alpha=-1.0)


def test_elu_negative_alpha_from_x_is_allowed():
    x = np.array([-1.0, 1.0])
    np.testing.assert_allclose(en.elu(x, -2.0), [-2.0 * np.expm1(-1.0), 1.0])
    np.testing.assert_allclose(en.elu_grad(np.ones(2), x=x, alpha=-2.0), [-2 * np.exp(-1), 1])


@pytest.mark.parametrize("alpha", [0.0, -1.0])
def test_celu_alpha_must_be_positive(alpha):
    with pytest.raises(ValueError, match="alpha must be > 0"):
        en.celu(np.ones(3), alpha)


def test_relu_semantics(dtype):
    x = np.array([np.nan, -1.0, -0.0, 0.0, 2.0, -np.inf, np.inf], dtype=dtype)
    y = en.relu(x)
    assert np.isnan(y[0])
    np.testing.assert_array_equal(y[1:], [0, -0.0, 0, 2, 0, np.inf])
    g = en.relu_grad(np.full(7, 3.0, dtype=dtype), x=x)
    assert np.isnan(g[0])
    np.testing.assert_array_equal(g[1:], [0, 0, 0, 3, 0, 3])


@pytest.mark.parametrize("dtype", UFUNC_FLOATS)
@pytest.mark.parametrize("name", ["elu", "celu"])
@pytest.mark.parametrize("alpha_as", ["scalar", "array"])
def test_ufuncs_raise_no_overflow_for_extreme_inputs(name, dtype, alpha_as):
    """Both sides of the branch are computed; the discarded one must not overflow either:
    NumPy reports the FP flags of a ufunc loop (celu divides x by alpha: 1.7e38 / 0.5).
    A broadcast alpha and an array of alphas run different (vectorized) loops."""
    from elu_numba import ufuncs

    f = np.finfo(dtype)
    x = np.array(
        [f.max, -f.max, f.max / 2, -f.max / 2, np.inf, -np.inf, -1.0, 2.0] * 4, dtype=dtype
    )
    for alpha in (float(dtype(0.05)), 0.5, 20.0):  # alpha as the ufunc has it
        a = dtype(alpha) if alpha_as == "scalar" else np.full_like(x, alpha)
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            got = getattr(ufuncs, name)(x, a)
        want = getattr(en, name)(x, alpha)
        np.testing.assert_array_equal(got, want)
        assert got[0] == f.max and got[1] == -dtype(alpha)


@pytest.mark.parametrize("dtype", UFUNC_FLOATS)
@pytest.mark.parametrize("name", ["elu", "celu", "elu_grad_x", "elu_grad_y"])
@pytest.mark.parametrize("alpha_as", ["scalar", "array"])
def test_ufuncs_of_an_infinite_alpha_give_no_finite_value(name, dtype, alpha_as):
    """An infinite alpha (which the functions reject) is outside what the ufunc loops
    compute, as the README says: where x < 0 (or y) the result of these four, whose
    formulas are infinite or NaN there, is NaN or an infinity, never a finite number; x > 0
    gives x (or grad) all the same.  (CELU's gradients are left out: their formulas are
    finite there, g * exp(x / inf) = g, which celu_grad_x does not give, and from y
    g * (y / inf + 1) = g, which celu_grad_y does.)"""
    from elu_numba import ufuncs

    u = getattr(ufuncs, name)
    v = np.array([-np.inf, -30.0, -2.0, -1e-3, 0.5, 3.0], dtype=dtype)
    g = np.full_like(v, 1.5)
    for alpha in (np.inf, -np.inf):
        a = dtype(alpha) if alpha_as == "scalar" else np.full_like(v, alpha)
        with np.errstate(all="ignore"):
            got = u(v, a) if u.nin == 2 else u(g, v, a)
        assert not np.isfinite(got[:4]).any(), (alpha, got)
        np.testing.assert_array_equal(got[4:], v[4:] if u.nin == 2 else g[4:])
    if name == "elu":  # the README's example: NaN, with NumPy's "invalid"
        with pytest.raises(FloatingPointError), np.errstate(invalid="raise"):
            u(dtype(-2.0), dtype(np.inf))


@pytest.mark.parametrize("dtype", UFUNC_FLOATS)
@pytest.mark.parametrize("name", ["elu", "selu", "celu", "relu"])
@pytest.mark.parametrize("alpha_as", ["scalar", "array"])
def test_gradient_ufuncs_raise_no_flags(name, dtype, alpha_as):
    """The gradient ufuncs raise no FP flag from a discarded branch on ordinary inputs (and
    celu_grad_x none on huge positive x, which it divides by alpha).  An array of alphas
    once made LLVM load alpha only in the x <= 0 lanes, zeros elsewhere, and divide by
    them.  Long enough for full blocks (the fast loop) and the remainder loop.  And the
    float32 gradients from x at alpha <= 1 none on grads near the largest float where
    x > 0 (the result is g there): the fast loop's float32 products overflowed there
    (SELU's factor 1.76) until such blocks took the general loop; with alpha 20, or in
    float64, the general loops still raise it there (the discarded g * alpha * exp(0))."""
    from elu_numba import _cpu, ufuncs

    f = np.finfo(dtype)
    ordinary = [-1.0, 2.0, 0.0, -0.0, f.tiny, -30.0, 30.0, 1e4, -1e4]
    for side in ("x", "y"):
        # huge y for celu_grad_y: Numba 0.60's LLVM still drops the clamp (overflow flag).
        # x = -inf and -max: exp(x) is 0 (celu divides them by alpha: until 2026-12-05 the
        # quotient overflowed, or its remainder was inf - inf, in a discarded lane)
        huge = [f.max, f.max / 2] if (name, side) == ("celu", "x") else []
        huge += [-f.max, -np.inf] if side == "x" else []
        v = np.array(ordinary + huge, dtype=dtype)
        v = np.resize(v, 3 * _cpu.BLOCK + 5)
        b1 = slice(_cpu.BLOCK, 2 * _cpu.BLOCK)  # a block whose x are all >= -60 (fast loop)
        v[b1] = np.resize(
            np.array([-1.0, 2.0, 0.0, -0.0, f.tiny, -30.0, 30.0, 1e4], dtype), b1.stop - b1.start
        )
        g = np.linspace(-3.0, 3.0, v.size).astype(dtype)
        big = g.copy()
        big[b1][v[b1] > 0] = f.max / 1.5
        u = getattr(ufuncs, f"{name}_grad_{side}")
        for alpha in (0.5, 20.0):
            a = dtype(alpha) if alpha_as == "scalar" else np.full_like(v, alpha)
            extra = () if u.nin == 2 else (a,)
            gg = big if side == "x" and dtype == np.float32 and alpha < 1 else g
            with np.errstate(over="raise", divide="raise", invalid="raise"):
                got = u(gg, v, *extra)
            kw = {} if name in ("selu", "relu") else {"alpha": alpha}
            want = getattr(en, f"{name}_grad")(gg, **{side: v}, **kw)
            if alpha_as == "array" and side == "x" and dtype == np.float32:
                # an array alpha runs the general function, the function float32 blocks in
                # range (_math.FAST_GRAD): a float step apart at most
                steps = np.abs(got.view(np.int32).astype(np.int64) - want.view(np.int32))
                assert steps.max() <= 1
            else:
                np.testing.assert_array_equal(got, want)


# one function of x and one gradient: the loop code is the same for all (each kernel costs
# seconds to compile, on every Python of `tox p`)
@pytest.mark.parametrize("name", ["elu", "elu_grad_y"])
@pytest.mark.parametrize("mode", ["inplace", "out", "inplace_v"])
def test_blocked_loops_match_elementwise(name, mode, dtype):
    """The loops run over blocks of _cpu.BLOCK elements, then the remainder: at every size
    around a block boundary, serial and parallel, each element is the scalar function of its
    own input, and nothing is written past the output."""
    if mode == "inplace_v" and "grad" not in name:
        pytest.skip("inplace_v is a gradient mode")
    from elu_numba import _cpu, scalar

    b = _cpu.BLOCK
    rng = np.random.default_rng(1)
    f = getattr(scalar, name)
    for n in (1, b - 1, b, b + 1, 3 * b + 17, _cpu.PARALLEL_THRESHOLD + b // 2):
        x = rng.normal(0.0, 3.0, n).astype(dtype)
        g = rng.normal(0.0, 1.0, n).astype(dtype)
        want = None
        if n < 2000:
            a = dtype(1.5)
            pairs = zip(g, x, strict=True)
            want = [f(xi, a) if "grad" not in name else f(gi, xi, a) for gi, xi in pairs]
            want = np.array(want, dtype=dtype)
        got = []
        for parallel in (False, True):
            k = _cpu.loops(name, parallel, mode)
            xs, gs = x.copy(), g.copy()
            args = (xs,) if "grad" not in name else (gs, xs)
            if mode == "out":
                out = np.full(n + 1, 7, dtype)  # one guard element past the end
                k(*args, out[:n], dtype(1.5))
                assert out[n] == 7
                got.append(out[:n])
            else:
                k(*args, dtype(1.5))
                got.append(xs if mode == "inplace_v" else args[0])
        np.testing.assert_array_equal(got[0], got[1])
        if want is not None:
            np.testing.assert_array_equal(got[0], want)


@pytest.mark.parametrize("name", ["elu", "celu"])
@pytest.mark.parametrize("mode", ["inplace", "out"])
def test_elu_alpha_one_kernel(name, mode, dtype):
    """``elu(x)`` and ``celu(x)`` (alpha = 1) run the kernel compiled for ``alpha=None``: a
    leaner expm1 (``_math._expm1_unit``, rounded twice instead of once) and a max instead of
    a compare and a blend.  The special values are the same bits as the general kernel's at
    alpha = 1.0 (NaN payloads and signs, -0.0, +-inf, subnormals); every other value is
    within 1 ULP of the reference and of the general kernel's, serial and parallel; CELU's
    are ELU's bits (expm1(x / 1) is expm1(x))."""
    from numba import types

    from elu_numba import _cpu

    rng = np.random.default_rng(7)
    tiny = np.finfo(dtype).smallest_subnormal
    nan_bits = {np.float32: (0x7FC00001, 0xFFC01234), np.float64: (0x7FF8000000000001,)}
    bits = np.int32 if dtype == np.float32 else np.int64
    payload = np.array(nan_bits[dtype], np.uint64).astype(bits).view(dtype)
    special = [np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, tiny, -tiny, -1e-30, -17.5, -40.0,
               -1e30, 1e30, np.finfo(dtype).max, -np.finfo(dtype).max]  # fmt: skip
    special = np.concatenate([np.array(special, dtype), payload])
    # the whole branch (and both sides of each boundary k ln2 / 2 of the range reduction)
    x = np.concatenate([special, rng.normal(0.0, 6.0, 70_000).astype(dtype),
                        -rng.uniform(0.0, 3.0, 30_000).astype(dtype)])  # fmt: skip
    ns = special.size
    ref = ACTS[0].reference(x[ns:], 1.0)
    lean_by_parallel = []
    for parallel in (False, True):
        k = _cpu.loops(name, parallel, mode)
        got = []
        for alpha in (dtype(1.0), None):
            xs = x.copy()
            if mode == "out":
                out = np.empty_like(xs)
                k(xs, out, alpha)
                got.append(out)
            else:
                k(xs, alpha)
                got.append(xs)
        general, lean = got
        np.testing.assert_array_equal(general[:ns].view(bits), lean[:ns].view(bits))
        assert ulp_error(lean[ns:], ref, dtype).max() <= 1.0
        steps = np.abs(general[ns:].view(bits).astype(np.int64) - lean[ns:].view(bits))
        assert steps.max() <= 1  # the same sign on this branch: adjacent floats
        lean_by_parallel.append(lean)
    np.testing.assert_array_equal(lean_by_parallel[0].view(bits), lean_by_parallel[1].view(bits))
    if name == "celu":
        np.testing.assert_array_equal(en.celu(x).view(bits), en.elu(x).view(bits))
    # and the public function takes that kernel for alpha = 1
    k = _cpu.loops(name, False, "out")
    getattr(en, name)(x[:100], 1.0)
    assert any(isinstance(sig[-1], types.NoneType) for sig in k.signatures)


def test_float64_clamp_forms_agree():
    """The float64 expm1 core clamps its input with an integer min on the bits; until
    2026-12-07 CPUs without AVX-512 took a float form (a compare on the bits and a max),
    which ``benchmarks/poly_ab.py`` still times against it (``K[12]``).  Both give the same
    bits on every lane that the callers keep (x <= 0, -0.0 and -inf included), for the
    alpha = 1 core and the general one."""
    import numba

    from elu_numba import _math

    @numba.njit
    def cores(x, K):
        out = np.empty((x.size, 3))
        for i in range(x.size):
            out[i, 0] = _math._expm1_unit(x[i], K)
            hi, lo = _math._expm1_parts(x[i], K)
            out[i, 1], out[i, 2] = hi, lo
        return out

    rng = np.random.default_rng(3)
    tiny = np.finfo(np.float64).smallest_subnormal
    x = np.concatenate(
        [
            [-0.0, -tiny, -1e-300, -40.0, -40.5, -745.0, -1e308, -np.inf],
            -rng.exponential(4.0, 20_000),
            -rng.uniform(0.0, 0.4, 5_000),
        ]
    )
    K = _math._F64
    assert K[12] is False  # the kernels' form, on every CPU
    got = [cores(x, K[:12] + (flag,) + K[13:]) for flag in (True, False)]
    np.testing.assert_array_equal(got[0].view(np.int64), got[1].view(np.int64))
    assert got[1][0, 0] == 0.0 and got[1][7, 0] == -1.0 and got[1][8:, 0].max() < 0


def _elementwise(fn):
    """fn(g, x, alpha) (a ``_math`` scalar function) over arrays, one element at a time."""

    @numba.njit
    def run(g, x, alpha):
        out = np.empty_like(g)
        for i in range(g.size):
            out[i] = fn(g[i], x[i], alpha)
        return out

    return run


def _run_gradient(k, mode, g, x, alpha):
    """A gradient kernel of ``_cpu.loops`` in ``mode`` on copies of g and x: its result."""
    gs, xs = g.copy(), x.copy()
    if mode == "out":
        out = np.empty_like(gs)
        k(gs, xs, out, alpha)
        return out
    k(gs, xs, alpha)
    return xs if mode == "inplace_v" else gs


@pytest.mark.parametrize("name", ["elu_grad_x", "selu_grad_x", "celu_grad_x"])
@pytest.mark.parametrize("mode", ["inplace", "inplace_v", "out"])
def test_float32_gradient_from_x_fast_blocks(name, mode):
    """The float32 gradients from x run a float32-only loop (``_math.FAST_GRAD``) on each
    block whose x are all >= ``_math.FAST_GRAD_LO`` (with 2^-20 <= |alpha| <= 2^20) and the
    general one (product in float64) on any other block: a block with one x below, a NaN or
    a -inf gives the general function's bits everywhere in it, a block in range the fast
    function's bits (which differ from the general ones somewhere here: results near the
    smallest normal, where g * lo is rounded to the subnormal grid), each within 2 ULP;
    serial and parallel agree.  Out-of-range alphas take the general loop throughout, and so
    does a block with an infinite g (or any |g| >= 2^64).  x = +0.0 takes the exponential
    branch in both loops.
    ``elu_grad(g, x=x)`` (alpha = 1) runs the loop compiled for ``alpha=None``
    (``_math.UNIT_ALPHA``), whose fast blocks are a multiply and an FMA: the same checks hold
    for it.
    float64 gives the general function's bits in every block (see the next test)."""
    from elu_numba import _cpu, _math

    b = _cpu.BLOCK
    rng = np.random.default_rng(11)
    nb = 8
    n = nb * b + 37  # and a remainder (general)
    x = rng.uniform(_math.FAST_GRAD_LO, 3.0, n).astype(np.float32)
    g = (np.float32(2.0) ** rng.integers(-140, 20, n)).astype(np.float32)
    g *= rng.uniform(-2, 2, n).astype(np.float32)
    x[1 * b + 5] = -80.0  # block 1: one x below the range (g large: the result is not 0)
    g[1 * b + 5] = 1e30
    x[3 * b + 200] = np.nan  # block 3
    x[5 * b] = -np.inf  # block 5
    x[6 * b + 9] = _math.FAST_GRAD_LO  # block 6: the bound itself is in range
    x[0 * b + 10], x[0 * b + 11] = 0.0, -0.0  # block 0: the branch at 0 is exp's, g * alpha
    g[7 * b + 3], g[7 * b + 4] = np.inf, -np.inf  # block 7: an infinite g (inf - inf in fast)
    g[2 * b + 17] = -(2.0**64)  # block 2: a g at the bound (fast products could overflow)
    general_blocks = [1, 2, 3, 5, 7]
    fast_fn, gen_fn = _elementwise(_math.FAST_GRAD[name][0]), _elementwise(getattr(_math, name))
    bits = np.int32
    alphas = (1.0, 1.7, 2.0**-21, 2.0**21) + ((None,) if name == "elu_grad_x" else ())
    if name == "celu_grad_x":  # its range is x / alpha >= FAST_GRAD_LO (float32 alone at
        alphas += (0.3, 2.0**-20, 2.0**20)  # every alpha since 2026-12-07): x scaled by alpha
    x1 = x
    for alpha in alphas:
        a = None if alpha is None else np.float32(alpha)
        x = x1
        if name == "celu_grad_x":
            x = (x1.astype(np.float64) * np.float64(a)).astype(np.float32)
        fast, gen = fast_fn(g, x, a), gen_fn(g, x, a)
        in_range = alpha is None or 2.0**-20 <= alpha <= 2.0**20
        want = gen.copy()
        for k in range(nb):
            if in_range and k not in general_blocks:
                want[k * b : (k + 1) * b] = fast[k * b : (k + 1) * b]
        if in_range:
            assert np.any(want.view(bits) != gen.view(bits))  # the test tells them apart
        for parallel in (False, True) if mode == "inplace" else (False,):
            k = _cpu.loops(name, parallel, mode)
            out = _run_gradient(k, mode, g, x, a)
            np.testing.assert_array_equal(out.view(bits), want.view(bits))
            if mode == "out":  # float64: the general bits throughout
                x64, g64 = x.astype(np.float64), g.astype(np.float64)
                a64 = None if a is None else np.float64(alpha)
                out64 = _run_gradient(k, mode, g64, x64, a64)
                want64 = gen_fn(g64, x64, a64)
                np.testing.assert_array_equal(out64.view(np.int64), want64.view(np.int64))
        if alpha is None:  # the public function's kernel for alpha = 1
            got = en.elu_grad(g, x=x)
            np.testing.assert_array_equal(got.view(bits), want.view(bits))
            assert np.any(got.view(bits) != fast_fn(g, x, np.float32(1.0)).view(bits))
            a = 1.0
        c = {"elu_grad_x": a, "celu_grad_x": 1.0}.get(name, en.SELU_SCALE_ALPHA)
        pos = en.SELU_SCALE if name == "selu_grad_x" else 1.0
        xl = x.astype(np.longdouble)
        if name == "celu_grad_x":
            xl = xl / np.longdouble(a)
        ref = g.astype(np.longdouble) * np.where(xl > 0, pos, np.longdouble(c) * np.exp(xl))
        ok = np.isfinite(x)
        assert ulp_error(want[ok], ref[ok], np.float32).max() <= 2.0
        assert np.isinf(want[7 * b + 3 : 7 * b + 5]).all()


@pytest.mark.parametrize("name", ["elu_grad_x", "selu_grad_x", "celu_grad_x"])
@pytest.mark.parametrize("mode", ["inplace", "inplace_v", "out", "ufunc"])
def test_float64_gradient_from_x_blocks_give_the_general_bits(name, mode):
    """The float64 gradients from x run, where x >= ``_math.fast_grad_lo`` (-692.4 at
    alpha = 1), a variant without ``scaled_exp``'s deep scale, and redo the elements below
    (or NaN) with the general function; blocks into grad and out run the variant on every
    element and patch, the others check the block first.  Every element, in every block,
    at every alpha (also those whose bound is above 0: tiny and subnormal alphas, where
    every element x <= 0 is patched), must have the general function's bits: x in the deep
    range next to ordinary ones, one per block, several in one block, NaN, -inf, +-0.0,
    huge grads; serial and parallel.  CELU at an alpha in [2^-20, 2^20]: the same cases
    for x / alpha, around its bound alpha times -692.4."""
    from elu_numba import _cpu, _math, ufuncs

    b = _cpu.BLOCK
    rng = np.random.default_rng(12)
    n = 9 * b + 37
    x = rng.uniform(-40.0, 3.0, n)
    g = rng.uniform(-2, 2, n) * 2.0 ** rng.integers(-1000, 1000, n)
    x[1 * b + 7] = -700.0  # block 1: one x in the deep range
    x[2 * b : 3 * b : 5] = rng.uniform(-750, -690, len(range(2 * b, 3 * b, 5)))  # block 2
    x[3 * b + 3], x[3 * b + 4] = np.nan, -np.inf  # block 3
    x[4 * b + 1], x[4 * b + 2] = 0.0, -0.0
    g[5 * b + 9], g[5 * b + 10] = 8e307, -1e300  # block 5: huge grads at x near 0
    x[5 * b + 9], x[5 * b + 10] = -1e-4, -0.3
    x[6 * b + 11] = _math.fast_grad_lo(None, x)  # block 6: the bound itself
    x[7 * b + 12] = np.nextafter(x[6 * b + 11], -np.inf)  # block 7: just below it
    x[8 * b + 2] = -745.0  # block 8: a subnormal result unless g is large
    g[8 * b + 2] = 3.0
    x[-5] = -720.0  # the remainder
    gen = _elementwise(getattr(_math, name))
    alphas = (None, 1.0, 1.7, 1e-300, 5e-324, 2.0**900) if name != "selu_grad_x" else (1.0,)
    alphas += (0.3, 2.0**-20, 2.0**20) if name == "celu_grad_x" else ()
    x_unit = x
    for alpha in alphas:
        x = x_unit
        lo = _math.fast_grad_lo_celu(alpha, x) if name == "celu_grad_x" else np.nan
        if name == "celu_grad_x" and alpha in (1.0, 1.7, 0.3, 2.0**-20, 2.0**20):
            assert lo == alpha * _math.fast_grad_lo(None, x), alpha  # the variant runs
        if lo == lo and alpha is not None:
            # CELU's range is x / alpha >= -692.4 (since 2026-12-07, also at alpha != 1):
            # the same cases in x / alpha, at and just below its own bound
            x = x_unit.copy()
            deep = (1 * b + 7, slice(2 * b, 3 * b, 5), 8 * b + 2, -5)
            for at in deep:
                x[at] = x[at] * alpha
            x[6 * b + 11] = lo
            x[7 * b + 12] = np.nextafter(lo, -np.inf)
        want = gen(g, x, alpha)
        if alpha in (None, 1.0):  # finite (the huge grads), subnormal (x = -745) and 0
            assert np.isfinite(want[5 * b + 9 : 5 * b + 11]).all()
            assert 0 < abs(want[8 * b + 2]) < np.finfo(np.float64).tiny
        if mode == "ufunc":
            u = getattr(ufuncs, name)
            with np.errstate(all="ignore"):  # NaN, and huge g * alpha (flags: another test)
                got = u(g, x) if name == "selu_grad_x" else u(g, x, 1.0 if alpha is None else alpha)
            if alpha == 1.0 and name != "selu_grad_x":  # a scalar 1 runs alpha = None's loop
                want = gen(g, x, None)
            np.testing.assert_array_equal(got.view(np.int64), want.view(np.int64))
            continue
        for parallel in (False, True):
            got = _run_gradient(_cpu.loops(name, parallel, mode), mode, g, x, alpha)
            np.testing.assert_array_equal(got.view(np.int64), want.view(np.int64))


def test_float64_gradient_from_x_at_large_alphas_below_the_normal_exp():
    """Where exp(x) < 2^-1000 (x < -693) and alpha is large, g * alpha * exp(x) is a normal
    float64 again: its lanes compute 2**k scaled (``_math.deep_k`` is -1000 at most), in
    every entry point, within the float64 gradient bound (before that bound, a lane with
    k < -1022 and alpha 2^900 built 2**k from bits that cannot hold it: +inf), also where
    |g * alpha| is far above the largest float (those lanes take alpha's exponent out of
    the scale: with alpha * 2**(k+64), g = 1e300 and alpha = 1e300 gave inf)."""
    from elu_numba import scalar, ufuncs

    act = next(a for a in ACTS if a.name == "elu")
    rng = np.random.default_rng(13)
    x = rng.uniform(-745.0, -693.0, 3 * 256 + 5)
    g = rng.uniform(-2, 2, x.size) * 2.0 ** rng.integers(-100, 300, x.size)
    g[::7] *= 2.0**700  # huge grads with huge alphas: the product itself is finite
    for alpha in (2.0**900, -(2.0**500), 1e10, 3.0, 2.0**1023):
        ref = g.astype(np.longdouble) * act.derivative(x, alpha)
        got_s = np.array([scalar.elu_grad_x(gi, xi, alpha) for gi, xi in zip(g, x, strict=True)])
        for got in (en.elu_grad(g, x=x, alpha=alpha), ufuncs.elu_grad_x(g, x, alpha), got_s):
            assert np.isfinite(got).all(), alpha
            assert ulp_error(got, ref, np.float64).max() <= 2.0, alpha


def test_float64_gradient_from_x_of_huge_grads_is_finite():
    """g * alpha * exp(x) in float64 for |g * alpha| up to the largest float: no overflow to
    inf where the result is finite (until 2026-12-05 every lane was computed with 2**(k+64)
    and scaled back last, so |g * alpha| > 2**960 gave inf at x near 0).  Every entry point;
    within the gradient bound of 2 ULP; the ufuncs raise no overflow flag."""
    from elu_numba import scalar, ufuncs

    # x >= -690 (CELU: x / alpha too): below, the lanes computed with 2**(k+64) (deep_k)
    # are off for grads this large (0 instead of g * exp(x) below -753.3: the clamp)
    x = np.array([-1e-4, -0.3, -1.0, -5.0, -0.0, -150.0, -170.0, 0.5])
    for act in ACTS:
        if act.name == "relu":
            continue
        for alpha in (1.0, 1.7, 0.25) if act.has_alpha else (1.0,):
            # the largest g whose products stay finite: |g| * alpha * SELU_SCALE <= max
            top = np.finfo(np.float64).max / (2.0 * max(alpha, 1.0))
            g = np.where(np.arange(x.size) % 2, top, -top)
            ref = g.astype(np.longdouble) * act.derivative(x, alpha)
            kw = {"alpha": alpha} if act.has_alpha else {}
            u = getattr(ufuncs, f"{act.name}_grad_x")
            with np.errstate(over="raise"):
                got_u = u(g, x, alpha) if act.has_alpha else u(g, x)
            s = getattr(scalar, f"{act.name}_grad_x")
            got_s = np.array(
                [
                    s(gi, xi, **({"alpha": alpha} if act.has_alpha else {}))
                    for gi, xi in zip(g, x, strict=True)
                ]
            )
            for got in (
                act.grad(g, x=x, **kw),
                act.grad(g.copy(), x=x, **kw, out=None),
                got_u,
                got_s,
            ):
                assert np.isfinite(got).all(), (act.name, alpha, got)
                assert ulp_error(got, ref, np.float64).max() <= 2.0, (act.name, alpha)


@pytest.mark.parametrize("mode", ["inplace", "inplace_v", "out"])
def test_celu_gradient_from_x_at_alpha_one_is_elus(mode, dtype):
    """``celu_grad(g, x=x)`` (alpha = 1) runs the kernel compiled for ``alpha=None``, which
    is ELU's gradient at alpha = 1 (``_math.UNIT_ALPHA``; float32 blocks in range run
    ``elu_grad_x_fast``): ``elu_grad(g, x=x)``'s bits in every mode, blocks out of range and
    NaN included.  At any other alpha the float64 CELU kernel gives the general function's
    bits throughout (its loop for blocks in range too, since 2026-12-07:
    ``test_float64_gradient_from_x_blocks_give_the_general_bits``; float32's blocks in range
    run float32 alone: ``test_float32_gradient_from_x_fast_blocks``)."""
    from elu_numba import _cpu, _math

    rng = np.random.default_rng(5)
    n = 8 * _cpu.BLOCK + 37
    x = rng.uniform(-30.0, 3.0, n).astype(dtype)
    x[3], x[600] = np.nan, -100.0  # a block with a NaN, one with an x below -60
    g = (rng.uniform(-2, 2, n) * 2.0 ** rng.integers(-30, 10, n)).astype(dtype)
    bits = np.int32 if dtype == np.float32 else np.int64
    elus = en.elu_grad(g, x=x)
    cases = [(None, elus)]
    if dtype == np.float64:
        cases.append((dtype(1.7), _elementwise(_math.celu_grad_x)(g, x, dtype(1.7))))
    for alpha, want in cases:
        for parallel in (False, True) if mode == "inplace" else (False,):
            out = _run_gradient(_cpu.loops("celu_grad_x", parallel, mode), mode, g, x, alpha)
            np.testing.assert_array_equal(out.view(bits), want.view(bits))
    np.testing.assert_array_equal(en.celu_grad(g, x=x).view(bits), elus.view(bits))
    k = _cpu.loops("celu_grad_x", False, "out")
    assert any(isinstance(sig[-1], numba.types.NoneType) for sig in k.signatures)


def _run_entry(entry, act, which, alpha, g, v):
    """One entry point on copies of g and v: ``which`` is "fwd" (v is x), "x" or "y";
    ``entry`` is "out", "inplace" (into x, or into grad), "inplace_v" (into x or y) or
    "ufunc" (the ``elu_numba.ufuncs`` function, out of place)."""
    from elu_numba import ufuncs

    gs, vs = g.copy(), v.copy()
    kw = {"alpha": alpha} if act.has_alpha else {}
    if entry == "ufunc":
        u = getattr(ufuncs, act.name if which == "fwd" else f"{act.name}_grad_{which}")
        args = (vs,) if which == "fwd" else (gs, vs)
        return u(*args, *((v.dtype.type(alpha),) if act.has_alpha else ()))
    if which == "fwd":
        out = {"out": None, "inplace": vs}[entry]
        return act.forward(vs, **kw, out=out)
    out = {"out": None, "inplace": gs, "inplace_v": vs}[entry]
    return act.grad(gs, **{which: vs}, **kw, out=out)


@pytest.mark.parametrize("entry", ["out", "inplace", "inplace_v", "ufunc"])
def test_special_values_inside_full_blocks(act, dtype, entry):
    """The kernels run blocks of ``_cpu.BLOCK`` elements (float32 gradients from x have a
    fast loop for blocks in range) and then a remainder; the ufuncs run vectorized loops.
    Each edge value of x (and each special grad: NaN, +-inf, +-0, huge, subnormal; and a
    whole block of -0.0 grads) sits alone in a full block of ordinary values, at a
    different offset, serial and parallel:
    its result, and every other one, has the bits the same entry point gives on pieces
    shorter than a block (the remainder loop of the same entry point), except that float32
    gradients from x in blocks in range may be one step from them (the fast loop: then NaN,
    +-inf and the sign must be the same; a result below the smallest subnormal may round to
    0 where the general loop gives that subnormal)."""
    from elu_numba import _cpu

    with np.errstate(over="ignore", invalid="ignore"):
        xs = np.concatenate([edge_values(dtype), [-np.inf, np.nan, np.inf, -0.0, 0.0]])
    xs = xs.astype(dtype)
    f = np.finfo(dtype)
    gs = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, f.max, -f.max, f.tiny,
                   f.smallest_subnormal, 1e-30], dtype)  # fmt: skip
    b = _cpu.BLOCK
    rng = np.random.default_rng(23)
    bits = np.int32 if dtype == np.float32 else np.int64
    for n_blocks in (96, 192):  # the serial loop, then the parallel one
        n = n_blocks * b + 11
        assert (n >= _cpu.PARALLEL_THRESHOLD) == (n_blocks > 96)
        x = rng.uniform(-3.0, 3.0, n).astype(dtype)
        g = rng.uniform(-2.0, 2.0, n).astype(dtype)
        for i, v in enumerate(xs):  # block i + 1, offset 37 * i
            x[(i + 1) * b + (37 * i) % b] = v
        for i, v in enumerate(gs):  # in the blocks after
            g[(i + xs.size + 2) * b + (53 * i + 5) % b] = v
        k = xs.size + gs.size + 3  # and a block of -0.0 grads (the fast loops' FMA: +0.0)
        g[k * b : (k + 1) * b] = -0.0
        for alpha in act.alphas[:2]:
            for which in ("fwd", "x", "y"):
                if which == "fwd" and entry == "inplace_v":
                    continue
                v = x if which != "y" else act.call(x, alpha)
                ref = "ufunc" if entry == "ufunc" else "out"
                # SELU of the largest x overflows; inf * 0 is NaN (flags the results explain)
                with np.errstate(invalid="ignore", over="ignore"):
                    got = _run_entry(entry, act, which, alpha, g, v)
                    parts = [
                        _run_entry(ref, act, which, alpha, g[k : k + b - 1], v[k : k + b - 1])
                        for k in range(0, n, b - 1)
                    ]
                want = np.concatenate(parts)
                assert got.dtype == dtype
                fast = dtype == np.float32 and which == "x"
                if not fast:
                    np.testing.assert_array_equal(got.view(bits), want.view(bits))
                    continue
                np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
                ok = ~np.isnan(want)
                np.testing.assert_array_equal(np.signbit(got[ok]), np.signbit(want[ok]))
                np.testing.assert_array_equal(np.isinf(got[ok]), np.isinf(want[ok]))
                steps = np.abs(got[ok].view(bits).astype(np.int64) - want[ok].view(bits))
                assert steps.max() <= 1, (act.name, alpha, steps.max())


def test_gradient_from_x_far_below_the_exponential_range(dtype):
    """Where exp's 2**k is taken as 0 (x <= -708.74 in float32 ELU and SELU, x < -753.10 in
    float64 and float32 CELU, on x / alpha; -inf included), where g * alpha * exp(x) rounds
    to 0 (in float64 for |g * alpha| < 2**8), the gradient from x is g * alpha * 0: a zero
    with the product's sign, and NaN for an infinite grad (inf * 0, as in PyTorch, whose
    exp(x) is 0 there).  Every entry point, in full blocks too, negative alphas and -0.0
    included.  Until 2026-12-05 float64 gave g * alpha * exp(-750) (2e-323 for g = 1000 at
    x = -inf) and every dtype inf for g = inf."""
    from elu_numba import scalar, ufuncs

    gs = np.array([np.inf, -np.inf, 1000.0, -1000.0, 1.0, 0.0, -0.0, 3e38], dtype=dtype)
    xs = np.array([-np.inf, -4000.0, -1e30], dtype=dtype)  # CELU: x / 1.7 too
    g = np.tile(np.repeat(gs, xs.size), 80)  # 1920 values: whole blocks of them
    x = np.tile(xs, gs.size * 80)
    for act in ACTS:
        if act.name == "relu":
            continue
        for alpha in (
            (1.0, 1.7, -2.0, -0.0) if act.name == "elu" else (1.0, 1.7) if act.has_alpha else (1.0,)
        ):
            c = {"elu": alpha, "celu": 1.0, "selu": SELU_SCALE_ALPHA}[act.name]
            with np.errstate(invalid="ignore"):
                want = g * dtype(c * 0.0)
            kw = {"alpha": alpha} if act.has_alpha else {}
            u = getattr(ufuncs, f"{act.name}_grad_x")
            s = getattr(scalar, f"{act.name}_grad_x")
            with np.errstate(invalid="ignore"):
                got_u = u(g, x, dtype(alpha)) if act.has_alpha else u(g, x)
            got_s = np.array([s(a, b, **kw) for a, b in zip(g, x, strict=True)], dtype=dtype)
            for got in (act.grad(g, x=x, **kw), act.grad(g.copy(), x=x, out=None, **kw), got_u,
                        got_s):  # fmt: skip
                np.testing.assert_array_equal(got, want, err_msg=f"{act.name} {alpha}")
                zero = want == 0  # (a NaN's sign bit means nothing)
                np.testing.assert_array_equal(np.signbit(got[zero]), np.signbit(want[zero]))


def _grid(gs, xs, size):
    """Every grad of gs with every x of xs, repeated into whole blocks: serial, or enough for
    the parallel loop."""
    from elu_numba import _cpu

    reps = 80 if size == "serial" else 2 * _cpu.PARALLEL_THRESHOLD // (gs.size * xs.size) + 1
    return np.tile(np.repeat(gs, xs.size), reps), np.tile(xs, gs.size * reps)


def _grad_x_cases():
    """(act, alpha, alpha keyword, ufunc, scalar function) of each gradient from x with an
    exponential branch, at alphas 1 (its own kernels), 1.7 and 0.5."""
    from elu_numba import scalar, ufuncs

    for act in ACTS:
        if act.name == "relu":
            continue
        for alpha in (1.0, 1.7, 0.5) if act.has_alpha else (1.0,):
            kw = {"alpha": alpha} if act.has_alpha else {}
            u = getattr(ufuncs, f"{act.name}_grad_x")
            yield act, alpha, kw, u, getattr(scalar, f"{act.name}_grad_x")


@pytest.mark.parametrize("size", ["serial", "parallel"])
def test_gradient_from_x_zeros_keep_the_products_sign(dtype, size):
    """A gradient from x that is zero where exp(x) is not -- g = +-0.0, or g * alpha * exp(x)
    below half the smallest subnormal -- has the product's sign (g's, for alpha > 0), as
    PyTorch's g * alpha * exp(x) has, and every other result too: every activation and
    entry point, the kernels' blocks in range included.  (The float64 loops without an
    alpha factor compute q = g * 2**k and q + q * p in one FMA, whose sum of two zeros is
    +0.0 for p < 0: ``_math._with_sign_of`` puts q's sign back.)"""
    f = np.finfo(dtype)
    gs = np.array([0.0, -0.0, f.smallest_subnormal, -f.smallest_subnormal, -f.tiny], dtype)
    deep = -700.0 if dtype == np.float64 else -90.0  # below the kernels' blocks in range
    xs = np.array([-0.3, -1.0, -0.0, -30.0, -100.0, deep], dtype)
    g, x = _grid(gs, xs, size)
    for act, alpha, kw, u, s in _grad_x_cases():
        got_u = u(g, x, dtype(alpha)) if act.has_alpha else u(g, x)
        got_s = np.array(
            [s(a, b, **kw) for a, b in zip(g[:120], x[:120], strict=True)], dtype=dtype
        )
        for got in (act.grad(g, x=x, **kw), act.grad(g.copy(), x=x, out=None, **kw), got_u):
            np.testing.assert_array_equal(np.signbit(got), np.signbit(g), f"{act.name} {alpha}")
            assert (got[g == 0] == 0).all()
        np.testing.assert_array_equal(np.signbit(got_s), np.signbit(g[:120]))


@pytest.mark.parametrize("size", ["serial", "parallel"])
def test_gradient_from_x_of_an_infinite_grad_is_infinite(dtype, size):
    """An infinite grad where exp(x) is not 0 (x <= 0 above the exponent's range) gives an
    infinity with the product's sign, as PyTorch's g * alpha * exp(x) does: every
    activation, alpha (alpha = 1 runs kernels of its own) and entry point, at x = +-0 too,
    serial and parallel.  Until 2026-12-07 the float64 loops without an alpha factor (ELU's
    and CELU's at alpha = 1, CELU's float32 and float64 at every alpha) gave NaN where
    expm1 of the reduced argument was <= 0: ``fma(q, p, q)`` with q = inf is inf - inf
    (``_math._times_one_plus``)."""
    gs = np.array([np.inf, -np.inf], dtype)
    deep = -700.0 if dtype == np.float64 else -100.0  # below the kernels' blocks in range
    xs = np.array([-0.0, 0.0, -1e-30, -0.3, -0.35, -1.0, -2.0, -30.0, deep, 1.0], dtype)
    g, x1 = _grid(gs, xs, size)
    for act, alpha, kw, u, s in _grad_x_cases():
        x = x1 * dtype(alpha) if act.name == "celu" else x1  # CELU's exp is of x / alpha
        got_u = u(g, x, dtype(alpha)) if act.has_alpha else u(g, x)
        got_s = np.array([s(a, b, **kw) for a, b in zip(g[:40], x[:40], strict=True)])
        for got in (
            act.grad(g, x=x, **kw),
            act.grad(g.copy(), x=x, out=None, **kw),
            act.grad(gc := g.copy(), x=x, out=gc, **kw),
            act.grad(g, x=(xc := x.copy()), out=xc, **kw),
            got_u,
        ):
            np.testing.assert_array_equal(got, g, f"{act.name} {alpha}")
        np.testing.assert_array_equal(got_s, g[:40], f"{act.name} {alpha}")


def test_gradient_from_y_below_the_output_range(dtype):
    """A y no activation gives (y = -inf, or y so far below -alpha that the CELU quotient
    y / alpha overflows) still gets the formula's value: g * (y + alpha), g * (y / alpha +
    1), +-inf here, NaN for g = 0 at y = -inf (0 * inf) and -0.0 at a finite y (NaN in
    float64 CELU, which forms the quotient, -inf, first), in every entry point and both
    dtypes, as in PyTorch.  Until 2026-12-05 float64 CELU gave NaN there: its quotient's
    correction was inf - inf."""
    from elu_numba import scalar, ufuncs

    f = np.finfo(dtype)
    gs = np.array([1.0, -2.5, 0.0], dtype=dtype)
    for act in ACTS:
        if act.name == "relu":
            continue
        cases = [(1.0, [-np.inf])] + ([(1.7, [-np.inf])] if act.has_alpha else [])
        if act.name == "celu":  # y / alpha beyond the range: g * -inf too
            cases.append((1e-3, [-f.max, -f.max / 4]))
        for alpha, ys in cases:
            y = np.tile(np.array(ys, dtype=dtype), gs.size * 200)  # whole blocks of them
            g = np.tile(np.repeat(gs, len(ys)), 200)
            gl, yl = g.astype(np.longdouble), y.astype(np.longdouble)  # y / alpha in range
            with np.errstate(invalid="ignore", over="ignore"):
                c = {"elu": yl + alpha, "selu": yl + SELU_SCALE_ALPHA, "celu": yl / alpha + 1}
                want = (gl * c[act.name]).astype(dtype)
            assert np.isinf(want[g != 0]).all()
            if act.name == "celu" and dtype == np.float64:
                want[g == 0] = np.nan  # float64 forms the quotient first: 0 * -inf
            kw = {"alpha": alpha} if act.has_alpha else {}
            u = getattr(ufuncs, f"{act.name}_grad_y")
            s = getattr(scalar, f"{act.name}_grad_y")
            with np.errstate(invalid="ignore", over="ignore"):  # inf * 0; the quotient's range
                got_u = u(g, y, dtype(alpha)) if act.has_alpha else u(g, y)
                got_s = np.array([s(a, b, **kw) for a, b in zip(g, y, strict=True)], dtype=dtype)
                into_g, into_y = g.copy(), y.copy()
                act.grad(into_g, y=y, out=into_g, **kw)
                act.grad(g, y=into_y, out=into_y, **kw)
                for got in (act.grad(g, y=y, **kw), into_g, into_y, got_u, got_s):
                    np.testing.assert_array_equal(got, want, err_msg=f"{act.name} {alpha}")


def _formula(x, alpha, g=None):
    """ELU (g None) or its gradient from x, elementwise in float64 as written: ``x if x > 0
    else alpha * expm1(x)`` and ``g if x > 0 else g * alpha * exp(x)``, IEEE signs of zero
    included (``x = +-0`` takes the exponential branch)."""
    with np.errstate(all="ignore"):
        x64 = x.astype(np.float64)
        if g is None:
            return np.where(x64 > 0, x64, alpha * np.expm1(x64))
        g64 = g.astype(np.float64)
        return np.where(x64 > 0, g64, g64 * alpha * np.exp(x64))


def _same_special(got, want, what):
    """Zeros with their signs, infinities and NaN exactly as ``want`` (rounded to got's
    dtype); other values with want's sign and within 1e-3 (accuracy is tested elsewhere)."""
    with np.errstate(over="ignore"):
        want = want.astype(got.dtype)
    special = (want == 0) | ~np.isfinite(want)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), what)
    num = ~np.isnan(want)
    np.testing.assert_array_equal(np.signbit(got[num]), np.signbit(want[num]), what)
    np.testing.assert_array_equal(got[special & num], want[special & num], what)
    np.testing.assert_allclose(got[~special], want[~special], rtol=1e-3, err_msg=what)


@pytest.mark.parametrize("alpha", [0.0, -0.0, -1.5])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_zero_and_negative_alphas_follow_the_formula(dtype, alpha):
    """ELU and its gradient from x at alpha = +-0 and a negative alpha give the formula's
    results, signs of zero included, in every entry point (the API out of place and in
    place at a serial and a parallel size, the ufunc, the scalar function): x = +-0 gives
    alpha * x (x itself only for alpha > 0), x < 0 with alpha = +-0 a zero with the
    product's sign, and g * alpha * exp(x) keeps it too.  Until 2026-12-06 ``elu(x < 0,
    alpha=0.0)`` gave +0.0 where the formula and PyTorch give -0.0, ``elu(+0.0, alpha=-1.5)``
    +0.0 instead of -0.0, and the gradient at alpha = -0.0 +0.0 where exp(r) rounded below 1.
    """
    from elu_numba import _cpu, scalar, ufuncs

    base = np.array([-np.inf, -800.0, -100.0, -30.0, -1.0, -0.3, -1e-30, -0.0, 0.0, 2.0, np.nan])
    gs = np.array([1.0, -1.0, 0.0, -0.0, np.inf, -3.0])
    n = 2 * _cpu.PARALLEL_THRESHOLD // (base.size * gs.size) + 1
    for reps in (1, n):
        x = np.tile(np.repeat(base, gs.size), reps).astype(dtype)
        g = np.tile(np.tile(gs, base.size), reps).astype(dtype)
        want, gwant = _formula(x, alpha), _formula(x, alpha, g)
        a = dtype(alpha)
        with np.errstate(invalid="ignore"):  # g = inf times alpha = 0: NaN, as in NumPy
            ufunc_grad = ufuncs.elu_grad_x(g, x, a)
        for what, got in [
            ("elu", en.elu(x, alpha)),
            ("elu ufunc", ufuncs.elu(x, a)),
            ("elu_grad", en.elu_grad(g, x=x, alpha=alpha)),
            ("elu_grad ufunc", ufunc_grad),
        ]:
            _same_special(got, gwant if "grad" in what else want, f"{what} {reps}")
        xi = x.copy()
        _same_special(en.elu(xi, alpha, out=xi), want, f"elu in place {reps}")
        gi = g.copy()
        _same_special(en.elu_grad(gi, x=x, alpha=alpha, out=gi), gwant, f"grad in place {reps}")
    if dtype != np.float16:  # the scalar functions take float32 and float64
        got = np.array([scalar.elu(v, a) for v in x[:200]], dtype)
        _same_special(got, want[:200], "scalar elu")
        got = np.array(
            [scalar.elu_grad_x(u, v, a) for u, v in zip(g[:200], x[:200], strict=True)], dtype
        )
        _same_special(got, gwant[:200], "scalar elu_grad_x")


@pytest.mark.parametrize("alpha", [-1.0, -0.5, -1e-30, 0.0, -0.0, -np.inf, np.nan])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_celu_outside_its_domain_is_nan(dtype, alpha):
    """CELU divides by alpha and is defined for alpha > 0: the API raises ValueError, and
    the ufuncs and scalar functions (any alpha, per element) give NaN where the result
    depends on alpha (x < 0 forward, x <= 0 or y <= 0 in the gradients), with "invalid"
    for a non-NaN alpha; where it does not (x > 0), the formula's x or grad.  A valid alpha
    next to it in the same array is unaffected.  Until 2026-12-06 a negative alpha gave
    numbers that were neither the formula's nor NaN (``celu(-1, -1)`` gave 1.0 for
    -1.718; the gradient from x 1.0 for e), and the gradient from y at alpha = 0 gave
    ``grad * y`` silently."""
    from elu_numba import _cpu, scalar, ufuncs

    base = np.array([-np.inf, -100.0, -1.0, -1e-3, -0.0, 0.0, 0.5, np.inf, np.nan], dtype)
    n = 2 * _cpu.PARALLEL_THRESHOLD // base.size + 1
    for reps in (1, n):
        x = np.tile(base, reps)
        g = np.full_like(x, 3.0)
        a = dtype(alpha)
        forward = np.where(x < 0, np.nan, x)
        grad = np.where(x > 0, g, np.nan)

        def ctx():  # "invalid" for a non-NaN alpha; NaN inputs warn nothing
            if np.isnan(alpha):
                return np.errstate(invalid="raise")
            return pytest.warns(RuntimeWarning, match="invalid")

        for what, fn, args, want in [
            ("celu", ufuncs.celu, (x, a), forward),
            ("celu_grad_x", ufuncs.celu_grad_x, (g, x, a), grad),
            ("celu_grad_y", ufuncs.celu_grad_y, (g, x, a), grad),
        ]:
            with ctx():
                got = fn(*args)
            np.testing.assert_array_equal(got, want, f"{what} {reps}")
            num = ~np.isnan(want)  # (a NaN's sign is not specified)
            np.testing.assert_array_equal(np.signbit(got[num]), np.signbit(want[num]), what)
            # an array of alphas, valid (1.7) and not in turn: the valid lanes keep their values
            mixed = np.where(np.arange(x.size) % 2 == 0, a, dtype(1.7))
            valid = fn(*args[:-1], np.full_like(x, 1.7))
            with np.errstate(invalid="ignore"):
                got = fn(*args[:-1], mixed)
            keep = mixed == dtype(1.7)
            np.testing.assert_array_equal(got[keep], valid[keep], f"{what} mixed {reps}")
            np.testing.assert_array_equal(got[~keep], want[~keep], f"{what} mixed {reps}")
    for what, fn, args, want in [
        ("celu", scalar.celu, (x[:9], a), forward[:9]),
        ("celu_grad_x", scalar.celu_grad_x, (g[:9], x[:9], a), grad[:9]),
        ("celu_grad_y", scalar.celu_grad_y, (g[:9], x[:9], a), grad[:9]),
    ]:
        got = np.array([fn(*(v[i] for v in args[:-1]), a) for i in range(9)], dtype)
        np.testing.assert_array_equal(got, want, f"scalar {what}")
    with pytest.raises(ValueError, match="alpha"):
        en.celu(x, alpha)
    with pytest.raises(ValueError, match="alpha"):
        en.celu_grad(g, x=x, alpha=alpha)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_celu_of_minus_inf_is_minus_alpha_at_huge_alphas(dtype):
    """CELU clamps x to -18 alpha (float32; -40 alpha in float64) before x / alpha: beyond
    max / 18 that bound is -inf and x = -inf stayed -inf, and the remainder of the quotient
    was inf - inf: celu(-inf, 3e38) was NaN until 2026-12-06 (found by the float32 sweep
    at alpha = 3e38).  Now -alpha, CELU's limit, in a full block of the vector loop, the
    remainder loop, the ufunc (a scalar and an array alpha, with no FP flag) and the scalar
    function; the gradient from that y is 0."""
    from elu_numba import scalar, ufuncs

    f = np.finfo(dtype)
    k = 18 if dtype == np.float32 else 40
    x = np.full(1024 + 3, -1.0, dtype)
    x[::7] = -np.inf
    x[3::7] = -f.max
    for alpha in (f.max, f.max / 2, f.max / (k - 1), 1e-3 * f.max / k):
        alpha = float(dtype(alpha))
        got = en.celu(x, alpha)
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            for g in (ufuncs.celu(x, dtype(alpha)), ufuncs.celu(x, np.full_like(x, alpha))):
                np.testing.assert_array_equal(g, got)
        assert (got[::7] == -dtype(alpha)).all(), alpha
        # elsewhere a number in (-alpha, 0): -max / alpha and -1 / alpha are in range
        assert np.isfinite(got).all() and (got >= -dtype(alpha)).all() and (got < 0).all()
        assert scalar.celu(dtype(-np.inf), alpha) == -dtype(alpha)
        g = en.celu_grad(np.ones_like(x), y=got, alpha=alpha)
        assert (g[::7] == 0).all(), alpha


@pytest.mark.parametrize(
    "evaluator, coeffs",
    [
        ("horner", "_H32_EXP"),
        ("horner", "_H32"),
        ("horner", "_H64"),
        ("poly", "_H32_UNIT"),
        ("poly", "_H64_EXP"),
        ("poly", "_H64"),
        ("parts_poly", "_H32"),
        ("parts_poly", "_H64"),
    ],
)
def test_polynomial_evaluators(evaluator, coeffs):
    """``_math.horner``, ``poly`` and ``parts_poly`` pick their scheme by the number of
    coefficients (Horner's rule, pairs, or pairs with two Horner steps last): each gives
    h(r) = c0 + c1 r + ... within a few units of its precision on the reduced range
    |r| <= ln(2)/2, against the exact sum of the same coefficients (``fractions``), so a
    coefficient left out or taken twice fails."""
    from fractions import Fraction

    import numba

    from elu_numba import _math

    c = getattr(_math, coeffs)
    dtype = np.float32 if coeffs.startswith("_H32") else np.float64
    c = tuple(dtype(v) for v in c)
    fn = getattr(_math, evaluator)

    @numba.njit
    def run(r):
        out = np.empty_like(r)
        for i in range(r.size):
            out[i] = fn(r[i], c) if evaluator == "horner" else fn(r[i], r[i] * r[i], c)
        return out

    r = np.linspace(-0.3466, 0.3466, 257).astype(dtype)
    got = run(r)
    want = np.array(
        [
            float(sum(Fraction(float(v)) * Fraction(float(x)) ** j for j, v in enumerate(c)))
            for x in r
        ]
    )
    err = np.abs(got.astype(np.float64) - want) / np.abs(want)
    assert err.max() < 4 * np.finfo(dtype).eps, (evaluator, coeffs, err.max())
    # each coefficient matters: the top one moves the result at the range's end by more
    top = float(c[-1]) * 0.3466 ** (len(c) - 1) / float(want[-1])
    assert top > 4 * np.finfo(dtype).eps
