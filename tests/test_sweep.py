"""The sweeps of tools/ulp_sweep.py: float32 strided always and every bit pattern with -m slow
(CI runs them: tox env ``slow``); float64 on 10^7 random and edge inputs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import mpmath
import numpy as np
import pytest

import elu_numba as en
from elu_numba import _math

_spec = importlib.util.spec_from_file_location(
    "ulp_sweep", Path(__file__).parents[1] / "tools" / "ulp_sweep.py"
)
ulp_sweep = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ulp_sweep)

FNS = list(ulp_sweep.FNS32)  # the activations, the gradients from x and from y


@pytest.mark.parametrize(
    "fn, alpha",
    [(fn, 1.7) for fn in FNS] + [("elu", 1.0), ("celu", 1.0), ("elu_grad_x", 1.0)],
    ids=lambda v: str(v),
)
def test_strided_sweep(fn, alpha):
    # every 4099th negative float32 bit pattern (~520k values); alpha != 1, and the alpha = 1
    # of elu, celu and elu_grad_x, which run a kernel of their own (_math.UNIT_ALPHA)
    worst, steps = ulp_sweep.sweep(fn, alpha, stride=4099, chunk=1 << 16)
    assert worst <= ulp_sweep.BOUND.get(fn, 2.0)
    assert steps <= (1 if fn in ("elu", "celu") else 2)


@pytest.mark.parametrize("alpha", [1.7, 0.3, 3e-30])
def test_float32_celu_grad_x_rounds_once_out_of_range(alpha):
    # at alpha != 1 the float32 gradient's blocks with an x / alpha below -60 (and every block
    # at alphas outside [2^-20, 2^20], as 3e-30) compute g * exp(x / alpha) in float64 and
    # round once: about half an ULP, with ln 2's low part in the reduction (0.899 without
    # it, at |k| near 125: _math._reduce, 2026-12-07); random grads reach the subnormals.
    # Every 4099th float32 below -60 alpha (x / alpha down to the clamp and -inf)
    lo = np.float32(-60.0 * np.float32(alpha))
    start = int(np.array([lo], np.float32).view(np.uint32)[0]) + 1
    x = np.arange(start, 0xFF800001, 4099, dtype=np.uint64).astype(np.uint32).view(np.float32)
    assert (x < lo).all() and x.size > 10**5
    for g in (None, ulp_sweep.random_grads(x.size, 0)):
        got = ulp_sweep.compute("celu_grad_x", x, alpha, g)
        worst, _ = ulp_sweep.worst32("celu_grad_x", x, got, float(np.float32(alpha)), g)
        assert worst < 0.51


@pytest.mark.parametrize("alpha", [1.7, 0.3, 2.0**-20, 2.0**20])
def test_float32_celu_grad_x_in_range_is_float32(alpha):
    # blocks whose x / alpha are all >= -60 run in float32 alone (_math.celu_grad_x_fast32):
    # within ELU's alpha = 1 figures, and the quotient's remainder counted (without it: up
    # to 60 * 2^-24 relative, 30 ULP)
    x = -np.arange(0, 1 << 22, dtype=np.float32) * np.float32(60.0 / (1 << 22))
    x = (x * np.float32(alpha)).astype(np.float32)
    for g in (None, ulp_sweep.random_grads(x.size, 1)):
        got = ulp_sweep.compute("celu_grad_x", x, alpha, g)
        worst, steps = ulp_sweep.worst32("celu_grad_x", x, got, float(np.float32(alpha)), g)
        assert worst < (1.0 if g is None else 1.5) and steps <= 1


@pytest.mark.parametrize(
    "fn, alpha",
    [
        ("elu_grad_x", 1.7),
        ("elu_grad_x", 1.0),
        ("selu_grad_x", 1.0),
        ("celu_grad_x", 1.7),
        ("celu_grad_x", 2.0**20),
        ("celu_grad_y", 1.7),
        ("elu_grad_y", 0.3),  # float32 sum and product, two roundings: 1.495 ULP exhaustively
    ],
)
def test_strided_sweep_random_grads(fn, alpha):
    # grads of random sign and magnitude: the results reach the subnormals and the smallest
    # normals, where the float32 loop of the gradients from x (_math.FAST_GRAD) rounds g * lo
    # to the subnormal grid (its largest errors)
    g = ulp_sweep.random_grads(1 << 16, 0)
    assert np.abs(g).min() < 2.0**-120 and np.abs(g).max() > 2.0**10
    worst, steps = ulp_sweep.sweep(fn, alpha, stride=4099, chunk=1 << 16, grads="random")
    # ELU's from y rounds twice, y + alpha (relative u at most: 1 ULP of the result) and the
    # product (half): 1.5 for every alpha and grad (slack: the reference's 2^-53)
    assert worst <= (1.5 + 2.0**-20 if fn == "elu_grad_y" else 2.0) and steps <= 2


@pytest.mark.slow
@pytest.mark.parametrize("fn", ["elu", "celu"])
# 3e-30 and 2.5e30: CELU was 1.056 and 1.014 ULP off there until 2026-12-06 (1.000 at 1.7)
@pytest.mark.parametrize("alpha", [1.0, 1.7, 0.3, 3e-30, 2.5e30])
def test_exhaustive_sweep(fn, alpha):
    worst, steps = ulp_sweep.sweep(fn, alpha)
    assert worst <= 1.0 and steps <= 1


@pytest.mark.slow
@pytest.mark.parametrize("fn", FNS[2:])
def test_exhaustive_sweep_2ulp(fn):
    # SELU and the gradients from x and from y: within 2 ULP for every float32
    worst, steps = ulp_sweep.sweep(fn, 1.7)
    assert worst <= 2.0 and steps <= 2


@pytest.mark.parametrize("fn", ["elu", "celu"])
@pytest.mark.parametrize("alpha", [1.0, 1.7, 0.3])
def test_float64_sweep(fn, alpha):
    # 10^7 inputs: the edges, uniform on [-40, 0], log-uniform magnitudes 2^-1074 .. 2^10
    assert ulp_sweep.sweep64(fn, alpha, n=10**7) <= 1.0


@pytest.mark.parametrize("fn", ["celu", "celu_grad_x"])
@pytest.mark.parametrize("alpha", [3e300, 1e-300])
def test_float64_celu_sweep_at_extreme_alphas(fn, alpha):
    # CELU's inputs are the sweep's values times alpha (its branch is x / alpha): at these
    # alphas too x / alpha spans [-40, 0], subnormal x and the huge clamp -40 alpha included
    bound = ulp_sweep.BOUND.get(fn, 2.0)
    assert ulp_sweep.sweep64(fn, alpha, n=10**6) <= bound


@pytest.mark.parametrize("fn", ["elu_grad_y", "celu_grad_y", "selu_grad_y"])
def test_float64_sweep_grad_from_y(fn):
    # y from the same 10^6 inputs, grads of random sign and magnitude: the sum y + alpha and
    # the product round separately (ELU and SELU up to 1.5 ULP, see the float32 test above;
    # slack: longdouble's ~2^-11; CELU's quotient is corrected in between, 2)
    bound = 2.0 if fn == "celu_grad_y" else 1.5 + 2.0**-9
    assert ulp_sweep.sweep64(fn, 0.3, n=10**6, grads="random") <= bound


def test_float64_sweep_measures_errors():
    """The float64 measure sees a one-ULP step (so a passing sweep means something)."""
    x = ulp_sweep.values64(1000)
    ref = ulp_sweep.reference64("elu", x, 1.0)
    got = ref.astype(np.float64)
    assert ulp_sweep.ulp_error(got, ref).max() <= 0.5
    off = np.nextafter(got, -np.inf)
    finite = np.isfinite(got) & (got != 0)
    assert ulp_sweep.ulp_error(off, ref)[finite].min() >= 0.5


def test_float32_measure_sees_errors():
    """The compiled float32 measure: 0 for the correctly rounded values, at least half an ULP
    and one step for their neighbours, and a failure for a NaN where a number belongs."""
    rng = np.random.default_rng(4)
    x = np.concatenate([-rng.uniform(0, 20, 2000), [-0.0, -1e-30, -np.inf, np.nan]])
    x = x.astype(np.float32)
    for fn in FNS:
        ref = ulp_sweep.reference32(fn, x, 1.7)
        with np.errstate(over="ignore", invalid="ignore"):
            exact = ref.astype(np.float32)
        assert ulp_sweep.worst32(fn, x, exact, 1.7) == (0.0, 0), fn
        finite = np.isfinite(exact) & (exact != 0)
        for i in np.flatnonzero(finite)[:50]:
            off = exact.copy()
            off[i] = np.nextafter(off[i], np.float32(np.inf))
            worst, steps = ulp_sweep.worst32(fn, x, off, 1.7)
            assert 0.5 <= worst <= 1.5 and steps == 1, (fn, x[i])
        off = exact.copy()
        off[np.flatnonzero(finite)[0]] = np.nan
        assert ulp_sweep.worst32(fn, x, off, 1.7)[0] == np.inf, fn
    # a finite result where the exact value rounds to inf in float32
    x, g = np.array([-1e-4], np.float32), np.array([3e38], np.float32)
    big = np.array([np.finfo(np.float32).max], np.float32)
    assert ulp_sweep.worst32("elu_grad_x", x, big, 3.0, g)[0] == np.inf
    assert ulp_sweep.worst32("elu_grad_x", x, np.array([np.inf], np.float32), 3.0, g)[0] == 0


@pytest.mark.parametrize("fn", FNS)
def test_float32_reference_agrees_with_mpmath(fn):
    """The float32 sweep's reference (libm in float64, fused roundings from y) against
    40-digit mpmath: within 2^-40 relative, far below float32's 2^-24 (y = -alpha: exactly
    0)."""
    x = np.array([-1e-30, -3e-8, -0.3, -1.0, -1.7, -2.5, -17.0, -80.0], np.float32)
    g = np.array([1.0, -3.0, 0.5, 7.0, -1.0, 1e-3, 2.0, -5.0], np.float32)
    a = float(np.float32(1.7))
    ref = ulp_sweep.reference32(fn, x, a, g)
    with mpmath.workdps(40):
        sa = mpmath.mpf(_math._SELU_DIGITS[0]) * mpmath.mpf(_math._SELU_DIGITS[1])
        for xi, gi, ri in zip(x, g, ref, strict=True):
            v, w, am = mpmath.mpf(float(xi)), mpmath.mpf(float(gi)), mpmath.mpf(a)
            exact = {
                "elu": am * mpmath.expm1(v),
                "celu": am * mpmath.expm1(v / am),
                "selu": sa * mpmath.expm1(v),
                "elu_grad_x": w * am * mpmath.exp(v),
                "celu_grad_x": w * mpmath.exp(v / am),
                "selu_grad_x": w * sa * mpmath.exp(v),
                "elu_grad_y": w * (v + am),
                "celu_grad_y": w * (v / am + 1),
                # the formula's constant, as the kernels': the float64 SELU_SCALE_ALPHA
                "selu_grad_y": w * (v + mpmath.mpf(ulp_sweep.SELU_SCALE_ALPHA)),
            }[fn]
            assert abs(mpmath.mpf(float(ri)) - exact) <= 2.0**-40 * abs(exact), (fn, xi)


def test_sweep_script_takes_several_alphas_and_random_ones(capsys):
    """``--alpha`` takes several values and ``--random-alphas N`` adds N more (log-uniform
    over the normal float32 range, the same N for the same ``--seed``): one line per
    function and alpha, exit status 0 within the bounds."""
    drawn = ulp_sweep.random_alphas(3, 0)
    assert drawn == ulp_sweep.random_alphas(3, 0) != ulp_sweep.random_alphas(3, 1)
    assert all(2.0**-126 <= a <= 2.0**126 and a == float(np.float32(a)) for a in drawn)
    argv = ["--fn", "elu", "celu", "--alpha", "1", "0.3", "--random-alphas", "1"]
    assert ulp_sweep.main([*argv, "--stride", "1000003"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6 and all("max ULP" in line for line in lines)
    assert "alpha=0.3 " in lines[3] and f"alpha={ulp_sweep.random_alphas(1, 0)[0]:.8g}" in lines[4]


# -- ELU for every alpha: B(x), the error at x that no alpha exceeds (--any-alpha) ---------


def test_elu_alpha_bound_strided(capsys):
    # every 4099th negative float32, and float64's edges and random inputs: below 1 ULP, and
    # the script's lines (exit status 0) report the same maxima, CELU's after ELU's
    bound, at = ulp_sweep.elu_alpha_bound32(stride=4099)
    assert bound < 1.0 and ulp_sweep.elu_alpha_bound(np.array([at], np.float32))[0] == bound
    b64 = ulp_sweep.elu_alpha_bound(ulp_sweep.values64(10**5))
    assert np.nanmax(b64) < 1.0
    cbound, cat = ulp_sweep.celu_alpha_bound32(stride=4099)
    assert ulp_sweep.celu_alpha_bound(np.array([cat], np.float32))[0] == cbound
    assert ulp_sweep.main(["--any-alpha", "--stride", "4099"]) == 0
    assert ulp_sweep.main(["--any-alpha", "--float64", "--n", "100000"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert f"error <= {bound:.4f} ULP" in out[0] and f"x = {at!r}" in out[0]
    assert f"error <= {cbound:.4f} ULP" in out[1] and f"u = x / alpha = {cat!r}" in out[1]
    assert out[2].startswith("celu float32, searched where its bound is largest")
    assert f"error <= {np.nanmax(b64):.4f} ULP" in out[3] and out[4].startswith("celu float64")


def test_celu_alpha_bound_strided():
    """CELU's bound is below 1 ULP, near ELU's (the remainder term adds little), and barely
    depends on how far the quotient may be from x / alpha: 2^10 ULP instead of 4 moves it
    by less than 2^-9 (the term is second-order in that distance)."""
    eb, _ = ulp_sweep.elu_alpha_bound32(stride=4099)
    cb, _ = ulp_sweep.celu_alpha_bound32(stride=4099)
    cb_far, _ = ulp_sweep.celu_alpha_bound32(stride=4099, d_ulps=1024)
    assert eb <= cb < 1.0 and cb - eb < 2.0**-9 and cb_far - cb < 2.0**-9
    u64 = ulp_sweep.values64(10**5)
    c64 = ulp_sweep.celu_alpha_bound(u64)
    assert np.nanmax(c64) < 1.0 and np.nanmax(ulp_sweep.celu_alpha_bound(u64, 1024)) < 1.0
    # defined on normal quotients in [lo (1 + 2^-20), 0) only
    lo = ulp_sweep._CELU_LO[np.float32]
    u = np.array([-1e-39, -0.0, 1.0, lo * 1.001, np.nan, -1e-30, lo], np.float32)
    assert np.isnan(ulp_sweep.celu_alpha_bound(u)[:5]).all()
    assert not np.isnan(ulp_sweep.celu_alpha_bound(u)[5:]).any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_celu_below_lo_alpha_is_minus_alpha(dtype):
    # below lo * alpha the kernel clamps x: the quotient is then within a few ULP of lo,
    # where hi = -1 and every result is -alpha exactly (the exact value within e^lo / u ULP)
    clamp = ulp_sweep.celu_clamp_check(dtype)
    assert clamp < (0.26 if dtype == np.float32 else 0.04)
    rng = np.random.default_rng(5)
    for alpha in [dtype(a) for a in (*np.exp2(rng.uniform(-120, 120, 20)), 1.7, 3e-39)]:
        lo_a = dtype(ulp_sweep._CELU_LO[dtype]) * alpha
        x = np.array([np.nextafter(lo_a, -np.inf), lo_a * 2, -np.inf], dtype)
        with np.errstate(over="ignore"):
            got = en.celu(x, float(alpha))
        assert (got == -alpha).all(), (alpha, got)


def test_celu_search_finds_its_largest_errors_below_its_bound():
    # the search places x / alpha at the quotients where CELU's bound is largest and alpha
    # where the result is just below a power of 2.  Its worst error there is well above a
    # random input's (so it measures), and within the bound of its quotient
    err, x, a = ulp_sweep.celu_search(points=4, tries=256, stride=4099)
    xs, al = np.array([x], np.float32), np.float32(a)
    ref = np.float64(al) * np.expm1(np.float64(xs[0]) / np.float64(al))
    got = en.celu(xs, float(al))[0]
    assert abs(got - ref) / np.spacing(np.float32(abs(ref))) == pytest.approx(err)
    assert 0.8 < err <= _celu_bound_at(xs, al)[0] + 2.0**-20


def _celu_bound_at(x, alpha):
    """CELU's bound where the kernel's quotient may lie: the largest B(u) of x / alpha
    rounded and its two neighbours (``_math.celu``: nearest, or next to it)."""
    u = x / x.dtype.type(alpha)
    with np.errstate(invalid="ignore"):
        nb = [np.nextafter(u, -np.inf), u, np.nextafter(u, 0)]
        return np.max([ulp_sweep.celu_alpha_bound(v) for v in nb], axis=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_celu_alpha_bound_holds_at_random_alphas(dtype):
    """B(u) bounds the library's CELU errors: 45 alphas (subnormal to the largest, and the
    edges of the scaling), on quotients spread over the normal range and over the branch
    (x = alpha u rounded); where x / alpha is below the normal range the result is x
    itself.  Slack: the references' own errors (float64: longdouble's ~2^-11 of an ULP)."""
    rng = np.random.default_rng(12)
    info = np.finfo(dtype)
    if dtype == np.float32:
        bits = rng.integers(0x80800000, 0xC1900000, 2000, dtype=np.uint32)  # to -18
        u = np.concatenate([bits.view(np.float32), -rng.uniform(0, 18, 2000).astype(dtype)])
        slack, big = 2.0**-20, 2.0**59
    else:
        u = np.concatenate([-np.exp2(rng.uniform(-1022, 5.3, 2000)), -rng.uniform(0, 40, 2000)])
        slack, big = 2.0**-9, 2.0**890
    lo, hi = np.log2(float(info.smallest_subnormal)), np.log2(float(info.max))
    alphas = [*np.exp2(rng.uniform(lo, hi, 40)), big, float(np.nextafter(dtype(big), 0)), 1.7]
    alphas += [float(info.smallest_subnormal), float(info.max)]
    for alpha in [dtype(a) for a in alphas]:
        with np.errstate(all="ignore"):
            x = (u * alpha).astype(dtype)
            x = x[np.isfinite(x) & (x < 0)]
            got = en.celu(x, float(alpha))
            err = ulp_sweep.ulp_error(got, ulp_sweep.reference64("celu", x, float(alpha)))
            tiny = np.abs(x / alpha) < info.tiny  # x / alpha below the normal range
            lo_a = dtype(ulp_sweep._CELU_LO[dtype]) * alpha
            bound = _celu_bound_at(x, alpha)
        assert (got[tiny] == x[tiny]).all(), alpha
        rest = ~tiny & (x >= lo_a)
        assert not np.isnan(bound[rest]).any(), alpha
        over = rest & (err > bound + slack)
        assert not over.any(), (alpha, x[over][:3], err[over][:3], bound[over][:3])


def _elu_ulp(x, alpha):
    """The error in ULP of elu_numba.elu(x, alpha) against longdouble (~2^-11 of a float64
    ULP)."""
    return ulp_sweep.ulp_error(en.elu(x, alpha), ulp_sweep.reference64("elu", x, alpha))


def _alphas(dtype, rng):
    """alpha = 1 left out (it runs a kernel of its own): random magnitudes over the whole
    range, subnormal ones included, either sign, and the edges of _math._tiny_scale."""
    info = np.finfo(dtype)
    lo, hi = np.log2(float(info.smallest_subnormal)), np.log2(float(info.max))
    mags = np.exp2(rng.uniform(lo, hi, 40))
    tiny = 2.0**-100 if dtype == np.float32 else 2.0**-900
    edges = [tiny, float(np.nextafter(dtype(tiny), dtype(0))), 1.7, -0.3, float(info.max)]
    return [dtype(a) for a in np.concatenate([mags * rng.choice([-1, 1], 40), edges])]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_elu_alpha_bound_holds_at_random_alphas(dtype):
    """B(x) is an upper bound of the library's real errors: 45 alphas (subnormal to the
    largest, both signs) on inputs spread over the branch and over the bit patterns, and
    where B is largest, 4096 alphas placed where it is reached.  Slack: the references'
    own errors (float64: longdouble's ~2^-11 of an ULP)."""
    rng = np.random.default_rng(11)
    if dtype == np.float32:
        bits = rng.integers(0x80000001, 0xFF800000, 2000, dtype=np.uint32).view(np.float32)
        x = np.concatenate([bits, -rng.uniform(0, 20, 2000).astype(np.float32)])
        slack = 2.0**-20
    else:
        x, slack = ulp_sweep.values64(4000, seed=3)[:-1], 2.0**-9  # no NaN
    bound = ulp_sweep.elu_alpha_bound(x)
    for alpha in _alphas(dtype, rng):
        with np.errstate(all="ignore"):
            err = _elu_ulp(x, alpha)
        over = err > bound + slack
        assert not over.any(), (alpha, x[over][:3], err[over][:3], bound[over][:3])
    worst = x[np.nanargmax(bound)]
    alphas = ulp_sweep.worst_alphas(float(worst), 4096, dtype)
    err = ulp_sweep.elu_error_at(float(worst), alphas)
    assert err.max() <= np.nanmax(bound) + slack


def test_elu_alpha_bound_where_hi_is_a_power_of_two():
    # x < -17.33 in float32: hi = -1 and |lo| small, so every alpha's result is -alpha,
    # within e^x / u < 1/2 ULP (e^x < 2^-25); 1/2 + 1/4 where the result is subnormal (a tiny
    # alpha rounds twice).  The general bound would be 1.0000000099 at x = -17.674215
    x = np.array([-17.674215, -17.4, -30.0, -np.inf], np.float32)
    b = ulp_sweep.elu_alpha_bound(x)
    assert (b < 0.75 + 2.0**-16).all()
    alphas = ulp_sweep.worst_alphas(-17.674215, 64)
    err = ulp_sweep.elu_error_at(-17.674215, alphas)
    assert err.max() <= b[0]


@pytest.mark.slow
def test_elu_alpha_bound_exhaustive():
    bound, at = ulp_sweep.elu_alpha_bound32()
    assert bound < 1.0, at


@pytest.mark.slow
def test_celu_alpha_bound_exhaustive():
    bound, at = ulp_sweep.celu_alpha_bound32()
    assert bound < 1.0, at
