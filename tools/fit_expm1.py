"""Fit the expm1 polynomial used by elu_numba's kernels (prints the coefficients).

The kernels compute expm1(r) = r + r*r*h(r) on the reduced range |r| <= ln(2)/2, with
h(r) ~= (expm1(r) - r) / r**2 = 1/2 + r/6 + ...  This script fits h with a Chebyshev
(near-minimax) fit in 60-digit arithmetic and reports the relative error of the whole
expm1 approximation.  Run:  python tools/fit_expm1.py DEGREE_OF_H
"""

import sys

import mpmath as mp

mp.mp.dps = 60
HALF_LN2 = mp.log(2) / 2


def h(r):
    return mp.mpf(1) / 2 if r == 0 else (mp.expm1(r) - r) / r**2


def fit(degree):
    lo, hi = -HALF_LN2 * 1.001, HALF_LN2 * 1.001
    coeffs, _ = mp.chebyfit(h, [lo, hi], degree + 1, error=True)
    coeffs = coeffs[::-1]  # lowest power first
    worst = mp.mpf(0)
    for i in range(4001):
        r = lo + (hi - lo) * i / 4000
        if r == 0:
            continue
        hv = mp.polyval(coeffs[::-1], r)
        approx = r + r * r * hv
        worst = max(worst, abs(approx / mp.expm1(r) - 1))
    return coeffs, worst


if __name__ == "__main__":
    deg = int(sys.argv[1])
    coeffs, worst = fit(deg)
    print(
        f"# degree of h: {deg}, max relative error of expm1: {mp.nstr(worst, 5)} "
        f"(2^{mp.nstr(mp.log(worst, 2), 4)})"
    )
    for c in coeffs:
        print(repr(float(c)))
