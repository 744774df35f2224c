"""Two source trees of elu_numba side by side in one process: the serial kernels in L1::

    git worktree add /tmp/wt_base REV
    python benchmarks/tree_ab.py /tmp/wt_base/src elu elu_grad_x [--dtype float64]
        [--alpha 1 1.7] [--size 1024] [--reps 20000] [--rounds 21]

Copies the package of the other tree (``BASE/elu_numba``) under another name into a
temporary directory, imports it next to this tree's (the one ``import elu_numba`` finds),
and times each function's serial out-of-place kernel (``_cpu.loops(fn, False, "out")``)
of both trees on the same ``--size`` values (normal, sd 3; gradients: grad normal, sd 1),
``--reps`` calls inside one compiled loop per timing, so that Python's and Numba's call
overhead does not count (about 0.5 us per call from Python on the AMD EPYC Zen 3 VM,
2026-12-08: 0.12 ns per element on 4096 values, a third of the 0.37 that
``tools/loop_ops.py --time`` reads for float32 ELU).  The trees take turns in ``--rounds``
rounds; prints the medians (and minima) in ns per element, new
over base, and whether the two outputs have the same bits.  Alpha 1 means alpha=None (the
``elu(x)`` kernels).  Comparing two processes, one per tree, misled on this noisy VM
(moves of up to 40% between runs of the same code, 2026-12-07).
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import os
import shutil
import sys
import tempfile
import time

os.environ["NUMBA_CACHE_DIR"] = _CACHE = tempfile.mkdtemp(prefix="elu_numba_ab_")
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)

import numpy as np  # noqa: E402
from numba import njit  # noqa: E402


@njit
def _repeat_unary(k, a, o, alpha, n):
    for _ in range(n):
        k(a, o, alpha)


@njit
def _repeat_binary(k, g, x, o, alpha, n):
    for _ in range(n):
        k(g, x, o, alpha)


def import_tree(src: str, name: str = "elu_numba_base"):
    """The package ``src/elu_numba`` imported as ``name`` (its imports are relative).

    The copy's ``_options`` puts its cache locators in front of Numba's list, as every
    copy of the package does on import; the list is put back as it was, so that the copy
    leaves Numba's cache as it found it (its kernels then take Numba's own locators)."""
    pkg = os.path.join(src, "elu_numba")
    if not os.path.isfile(os.path.join(pkg, "_cpu.py")):
        raise SystemExit(f"tree_ab: no elu_numba package in {src!r}")
    root = tempfile.mkdtemp(prefix="elu_numba_tree_")
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    shutil.copytree(pkg, os.path.join(root, name), ignore=shutil.ignore_patterns("__pycache__"))
    sys.path.insert(0, root)
    from numba.core import caching

    impl = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl", None)
    locators = list(getattr(impl, "_locator_classes", []))
    try:
        return importlib.import_module(f"{name}._cpu")
    finally:
        if locators:
            impl._locator_classes[:] = locators


def timer(cpu, fn: str, dtype, alpha, size: int):
    """(run(reps), out): ``reps`` calls of ``fn``'s serial out-of-place kernel."""
    x = np.random.default_rng(0).normal(0.0, 3.0, size).astype(dtype)
    out = np.empty_like(x)
    k = cpu.loops(fn, False, "out")
    a = None if alpha == 1 else dtype.type(alpha)
    if "_grad_" in fn:
        g = np.random.default_rng(1).normal(size=size).astype(dtype)
        return (lambda n: _repeat_binary(k, g, x, out, a, n)), out
    return (lambda n: _repeat_unary(k, x, out, a, n)), out


def compare(base, new, fn: str, dtype, alpha, args) -> dict:
    runs = [timer(cpu, fn, dtype, alpha, args.size) for cpu in (base, new)]
    for run, _ in runs:
        run(1)  # compile
    times = ([], [])
    for _ in range(args.rounds):
        for (run, _), t in zip(runs, times, strict=True):
            t0 = time.perf_counter()
            run(args.reps)
            t.append((time.perf_counter() - t0) / args.reps / args.size * 1e9)
    same = np.array_equal(runs[0][1].view(np.uint8), runs[1][1].view(np.uint8))
    b, n = (float(np.median(t)) for t in times)
    return {
        "base": b,
        "new": n,
        "base_min": min(times[0]),
        "new_min": min(times[1]),
        "ratio": n / b,
        "same_bits": same,
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("base", help="the other tree's src directory (holding elu_numba/)")
    p.add_argument("fn", nargs="+", help="elu celu selu relu elu_grad_x elu_grad_y ...")
    p.add_argument("--dtype", nargs="+", default=["float64"])
    p.add_argument("--alpha", nargs="+", type=float, default=[1.0, 1.7])
    p.add_argument("--size", type=int, default=1024, help="values (default 1024: in L1)")
    p.add_argument("--reps", type=int, default=20000, help="calls per timing")
    p.add_argument("--rounds", type=int, default=21)
    args = p.parse_args(argv)
    base = import_tree(args.base)
    from elu_numba import _cpu as new

    print(f"base: {os.path.dirname(base.__file__)} (copy of {args.base}); new: {new.__file__}")
    for fn in args.fn:
        for dt in args.dtype:
            for alpha in args.alpha:
                r = compare(base, new, fn, np.dtype(dt), alpha, args)
                print(
                    f"{fn:12s} {dt:8s} alpha={alpha:<5g} base {r['base']:.3f} ({r['base_min']:.3f})"
                    f"  new {r['new']:.3f} ({r['new_min']:.3f}) ns/element"
                    f"  new/base {r['ratio']:.3f}  same bits: {r['same_bits']}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
