"""Fit the expm1 polynomial used by elu_numba's kernels (prints the coefficients).

The kernels compute expm1(r) = r + r*r*h(r) on the reduced range |r| <= ln(2)/2, with
h(r) ~= (expm1(r) - r) / r**2 = 1/2 + r/6 + ...  Two fits, both reporting the relative
error of the whole expm1 approximation (60-digit arithmetic):

    python tools/fit_expm1.py DEGREE_OF_H              # Chebyshev (near-minimax) fit
    python tools/fit_expm1.py DEGREE_OF_H --minimax    # minimax of the relative error

The Chebyshev fit gave the general kernels' coefficients (degree 5 for float32, 10 for
float64).  ``--minimax`` minimizes the largest relative error of r + r*r*h(r) over a grid
of 6000 points (a linear program, solved with scipy's HiGHS for a correction to a weighted
least-squares start, so that the solver works with numbers of order 1); it gave the degree-4
float32 polynomial of the alpha = 1 kernel (``_math._H32_UNIT``): 2^-26.2 where the
Chebyshev fit of degree 4 has 2^-25.3.  It also prints the coefficients rounded to float32
and the error with them (what the kernel evaluates, before its own roundings: those are
measured by ``tools/ulp_sweep.py``).  Needs scipy for ``--minimax``.
"""

import argparse

import mpmath as mp

mp.mp.dps = 60
HALF_LN2 = mp.log(2) / 2
WIDEN = 1.002  # the minimax grid reaches a little beyond ln(2)/2 (float32 r: up to 0.34662)


def h(r):
    return mp.mpf(1) / 2 if r == 0 else (mp.expm1(r) - r) / r**2


def rel_error(coeffs, points, of_exp=False):
    """max |(r + r^2 h(r)) / expm1(r) - 1| over ``points`` (coefficients lowest power first);
    ``of_exp``: max |(1 + r + r^2 h(r)) / exp(r) - 1|, the error of exp(r) = 1 + expm1(r)."""
    worst = mp.mpf(0)
    for r in points:
        if r == 0:
            continue
        approx = r + r * r * mp.polyval(list(coeffs)[::-1], r)
        if of_exp:
            worst = max(worst, abs((1 + approx) / mp.exp(r) - 1))
        else:
            worst = max(worst, abs(approx / mp.expm1(r) - 1))
    return worst


def grid(n, widen=WIDEN):
    return [HALF_LN2 * widen * (2 * mp.mpf(i) / n - 1) for i in range(n + 1)]


def fit(degree):
    lo, hi = -HALF_LN2 * 1.001, HALF_LN2 * 1.001
    coeffs, _ = mp.chebyfit(h, [lo, hi], degree + 1, error=True)
    coeffs = coeffs[::-1]  # lowest power first
    return coeffs, rel_error(coeffs, grid(4000, 1.001))


def fit_minimax(degree, n=6000, of_exp=False):
    """Minimax of the relative error of r + r^2 h(r) on ``grid(n)``: minimize t subject to
    |w(r) (h*(r) - h(r))| <= t, w = r^2 / |expm1(r)|, as a linear program in the coefficients.
    ``of_exp``: of 1 + r + r^2 h(r) against exp(r), w = r^2 / exp(r)."""
    import numpy as np
    from scipy.optimize import linprog

    pts = [r for r in grid(n) if r != 0]
    w = [r * r / (mp.exp(r) if of_exp else abs(mp.expm1(r))) for r in pts]
    target = [h(r) for r in pts]
    V = np.array([[float(r) ** j for j in range(degree + 1)] for r in pts])
    wf = np.array([float(x) for x in w])
    # a least-squares start, then the LP for the correction: the residuals are ~1e-8, so
    # they are scaled up by S (HiGHS's tolerances are absolute, ~1e-7)
    start = np.linalg.lstsq(wf[:, None] * V, wf * np.array([float(x) for x in target]), rcond=None)[
        0
    ]
    resid = np.array(
        [
            float(t - mp.polyval([mp.mpf(float(c)) for c in start[::-1]], r))
            for t, r in zip(target, pts, strict=True)
        ]
    )
    S = 1e9
    # of_exp: residuals ~1e-17, and a correction below float64's resolution of the
    # coefficients: the LP's variables are the correction times S2 (so that its matrix
    # stays of order 1), added to the start in 60-digit arithmetic
    S2 = 1e17 if of_exp else 1.0
    m = degree + 1
    scale = S if not of_exp else 1.0
    A = np.vstack(
        [
            np.hstack([scale * wf[:, None] * V, -np.ones((len(pts), 1))]),
            np.hstack([-scale * wf[:, None] * V, -np.ones((len(pts), 1))]),
        ]
    )
    rhs = (S if not of_exp else S2) * wf * resid
    b = np.concatenate([rhs, -rhs])
    res = linprog(
        np.r_[np.zeros(m), 1.0], A_ub=A, b_ub=b, bounds=[(None, None)] * (m + 1), method="highs"
    )
    if not res.success:
        raise SystemExit(f"linprog failed: {res.message}")
    if of_exp:
        coeffs = [
            mp.mpf(float(c)) + mp.mpf(float(d)) / S2 for c, d in zip(start, res.x[:m], strict=True)
        ]
    else:
        coeffs = [mp.mpf(float(c)) for c in start + res.x[:m]]
    return coeffs, rel_error(coeffs, grid(4000), of_exp)


def _report(label, coeffs, worst):
    log2 = mp.nstr(mp.log(worst, 2), 4)
    print(f"# {label}: max relative error: {mp.nstr(worst, 5)} (2^{log2})")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("degree", type=int, help="degree of h")
    ap.add_argument("--minimax", action="store_true", help="minimax of the relative error")
    ap.add_argument(
        "--exp",
        action="store_true",
        help="with --minimax: of exp(r) = 1 + r + r^2 h(r), rounded to float64 (the float64 "
        "gradient's polynomial)",
    )
    ap.add_argument(
        "--float32",
        action="store_true",
        help="with --minimax --exp: rounded to float32 instead (the float32 gradients')",
    )
    args = ap.parse_args()
    if args.minimax and args.exp:
        coeffs, worst = fit_minimax(args.degree, of_exp=True)
        _report(f"degree of h: {args.degree}, minimax of exp's error", coeffs, worst)
        import numpy as np

        dtype = np.float32 if args.float32 else np.float64
        c64 = [mp.mpf(float(dtype(float(c)))) for c in coeffs]
        _report(f"rounded to {dtype.__name__}", c64, rel_error(c64, grid(4000), True))
        for c in c64:
            print(repr(float(c)))
    elif args.minimax:
        import numpy as np

        coeffs, worst = fit_minimax(args.degree)
        _report(f"degree of h: {args.degree}, minimax", coeffs, worst)
        c32 = [mp.mpf(float(np.float32(float(c)))) for c in coeffs]
        _report("rounded to float32", c32, rel_error(c32, grid(4000)))
        for c in c32:
            print(repr(float(c)))
    else:
        coeffs, worst = fit(args.degree)
        _report(f"degree of h: {args.degree}", coeffs, worst)
        for c in coeffs:
            print(repr(float(c)))
