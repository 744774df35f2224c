"""Count the instructions per element in the hot loop of elu_numba's CPU kernels.

    python tools/loop_ops.py [--fn elu elu-unit selu celu ...] [--parallel] [--time]

``elu-unit`` is ELU's kernel for alpha = 1 (what ``elu_numba.elu(x)`` runs),
``elu_grad_x-unit`` its gradient's (``elu_numba.elu_grad(g, x=x)``).  The gradients from x
of ELU, SELU and CELU have two loops (``_math.FAST_GRAD``): ``elu_grad_x`` is the one that
blocks whose x are all >= ``_math.fast_grad_lo`` run (nearly all data: float32 x >=
``_math.FAST_GRAD_LO``, float64 x >= -692 at alpha = 1; CELU's x / alpha the same),
``elu_grad_x-general`` the other.

Compiles each in-place kernel (float32 and float64), finds its vectorized loop in the
assembly (the innermost loop with the most packed-vector instructions, which may span
several basic blocks) and prints the instructions in it, the vector width and the
instructions per element: the number to predict speed from before measuring it.
``--time`` also times each serial in-place kernel on 4096 values (in L1: the compute cost
alone, no memory traffic), best of 20 runs of 1000 calls, in ns per element, next to an
in-place scale of the same array (the loop overhead and the call).  The gradients are
timed out of place, on inputs that stay as they are: in place, every call multiplies grad
by a factor below 1 where x <= 0, and after a few thousand calls a quarter of grad was
subnormal or zero -- float32 ``elu_grad_y`` then took 3.0 ns per element instead of 0.74
(2026-12-04).
"""

from __future__ import annotations

import argparse
import atexit
import os
import re
import shutil
import sys
import tempfile
import time
from collections import Counter

# a fresh cache: Numba shows no assembly for kernels loaded from its disk cache.  Removed at
# exit (until 2026-12-05 every run left one in the temporary directory)
os.environ["NUMBA_CACHE_DIR"] = _CACHE = tempfile.mkdtemp(prefix="elu_numba_asm_")
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)

import numpy as np  # noqa: E402

from elu_numba import _cpu, _math  # noqa: E402

_LABEL = re.compile(r"^(\.?[\w$.]+):")
_WIDTH = {"x": 16, "y": 32, "z": 64}  # bytes of an xmm, ymm, zmm register


def loop_blocks(asm: str) -> list[tuple[str, list[str]]]:
    """The innermost loops of ``asm``: each a label and the instructions from it to the last
    jump back to it, in layout order, with no other backward jump in between (a jump back
    from code laid out after the loop, e.g. into its second basic block, makes no loop).

    A loop may span several basic blocks: the parallel kernels' inner loop over a block of
    ``_cpu.BLOCK`` elements is unrolled whole into the loop over blocks, with forward
    branches (the slice bounds) inside it.  A loop that contains another loop is not
    innermost: its instructions do not run once per pass."""
    labels, code = {}, []  # label -> index into code; code: the instructions
    for line in asm.splitlines():
        m = _LABEL.match(line)
        if m:
            labels[m.group(1)] = len(code)
        elif line.startswith("\t") and not line.strip().startswith((".", "#")):
            code.append(line.strip())
    back = []  # (start, end) of every backward jump's span
    for end, ins in enumerate(code):
        parts = ins.split()
        if parts[0].startswith("j") and len(parts) == 2 and labels.get(parts[1], end + 1) <= end:
            back.append((labels[parts[1]], end))
    loops = {}
    for start, end in back:
        if not any(start <= e2 < end for _, e2 in back):
            loops[start] = end
    names = {i: n for n, i in labels.items()}
    return [(names[s], code[s : e + 1]) for s, e in sorted(loops.items())]


def hot_loop(asm: str) -> tuple[list[str], int]:
    """The loop with the most instructions on ymm/zmm registers (else on xmm) and its vector
    width in bytes (0 when it is scalar code: ss/sd instructions on xmm)."""

    def wide(body):
        return sum(bool(re.search(r"%[yz]mm", i)) for i in body)

    loops = loop_blocks(asm)
    body = max(loops, key=lambda nb: (wide(nb[1]), len(nb[1])))[1]
    if re.search(r"%zmm", " ".join(body)):
        return body, 64
    if re.search(r"%ymm", " ".join(body)):
        return body, 32
    packed = any(re.match(r"v\w+p[sd]\s.*%xmm", i) for i in body)
    return body, 16 if packed else 0


def elements_per_pass(body: list[str], itemsize: int) -> int:
    """The elements a pass of an in-place loop writes: the in-place kernels store each
    element once, so the elements their stores (moves from a register to memory) write per
    pass: one for a scalar move, the register's width for a packed one.  Stores to the stack
    (``%rsp``: registers spilled where the loop needs more than it has, as on AVX2's 16) are
    not the array's; until 2026-12-07 they were counted, and on the Zen 3 VM the float64
    ELU loop's 92 instructions per 8 values read as 16 values per pass."""
    return (
        sum(
            1 if re.match(r"v?movs[sd]\s", i) else _WIDTH[m.group(1)] // itemsize
            for i in body
            if (m := re.match(r"v?mov\w*\s+%([xyz])mm\d+, .*\(", i)) and "%rsp" not in i
        )
        or 1
    )


def _loop(name: str, parallel: bool, mode: str, dtype):
    """The kernel whose hot loop ``name`` stands for.  A gradient with a fast variant
    (``_math.FAST_GRAD``) has two loops, one per kind of block: a kernel built around the
    fast function alone shows the loop that blocks in range run (``NAME``, ``NAME-unit``),
    one around the general function the other (``NAME-general``)."""
    base = name.removesuffix("-unit").removesuffix("-general")
    if base in _math.FAST_GRAD:
        fn = getattr(_math, base) if name.endswith("-general") else _math.FAST_GRAD[base][0]
        return _cpu._binary(fn, parallel, mode)
    return _cpu.loops(base, parallel, mode)


def _kernel(name: str, parallel: bool, a: np.ndarray):
    """The in-place kernel for ``name`` and its arguments on ``a`` (alpha 1; ``-unit``:
    alpha None)."""
    k = _loop(name, parallel, "inplace", a.dtype)
    alpha = None if name.endswith("-unit") else a.dtype.type(1.0)
    return k, ((a, a.copy(), alpha) if "_grad_" in name else (a, alpha))


def count(name: str, dtype: str, parallel: bool) -> dict:
    """``name`` may end in ``-unit``: the kernel for alpha = 1 (``alpha=None``), the one
    ``elu_numba.elu(x)`` runs."""
    k, args = _kernel(name, parallel, np.linspace(-3, 3, 4096).astype(dtype))
    k(*args)
    asm = k.inspect_asm(k.signatures[-1])
    body, vbytes = hot_loop(asm)
    per_pass = elements_per_pass(body, np.dtype(dtype).itemsize)
    return {
        "fn": name,
        "dtype": dtype,
        "instructions": len(body),
        "vector_bytes": vbytes,
        "elements_per_pass": per_pass,
        "per_element": len(body) / per_pass,
        "ops": Counter(i.split()[0] for i in body),
    }


def timed_call(name: str, dtype: str):
    """``(f, inputs)``: the call that ``--time`` repeats, on 4096 values, and the arrays it
    reads -- in place for the activations, out of place for the gradients, whose inputs
    then stay as they are (see the module doc)."""
    a = np.random.default_rng(0).normal(0.0, 3.0, 4096).astype(dtype)
    k, args = _kernel(name, False, a)
    if "_grad_" not in name:
        return (lambda: k(*args)), args[:1]
    g, v, alpha = args
    k, out = _loop(name, False, "out", a.dtype), np.empty_like(a)
    return (lambda: k(g, v, out, alpha)), (g, v)


def ns_per_element(name: str, dtype: str) -> float:
    """Best time per element of the serial kernel on an L1-resident array."""
    f, inputs = timed_call(name, dtype)
    return _best(f, inputs[0].size)


def _best(f, n: int) -> float:
    f()
    best = float("inf")
    for _ in range(20):
        t = time.perf_counter()
        for _ in range(1000):
            f()
        best = min(best, (time.perf_counter() - t) / 1000 / n)
    return 1e9 * best


def scale_ns(dtype: str) -> float:
    """The same measure for an in-place scale (the floor: loop and call overhead)."""
    import numba

    @numba.njit
    def scale(a):
        for i in range(a.size):
            a[i] = a[i] * a.dtype.type(1.0000001)

    a = np.random.default_rng(0).normal(0.0, 3.0, 4096).astype(dtype)
    return _best(lambda: scale(a), a.size)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = ["elu", "elu-unit", "selu", "celu", "relu", "elu_grad_x", "elu_grad_x-unit"]
    names += ["elu_grad_x-general", "elu_grad_y"]
    p.add_argument("--fn", nargs="+", default=names)
    p.add_argument("--parallel", action="store_true", help="the prange kernel (default: serial)")
    p.add_argument("-v", "--verbose", action="store_true", help="print the instruction mix")
    p.add_argument("--time", action="store_true", help="also ns per element, serial, in L1")
    args = p.parse_args(argv)
    head = ("kernel", "dtype", "instr", "vector", "elem/pass", "per elem")
    print("{:14s} {:8s} {:>6s} {:>6s} {:>9s} {:>9s}".format(*head) + ("   ns/elem" * args.time))
    for fn in args.fn:
        for dt in ("float32", "float64"):
            r = count(fn, dt, args.parallel)
            ns = f" {ns_per_element(fn, dt):9.3f}" if args.time else ""
            print(
                f"{fn:14s} {dt:8s} {r['instructions']:6d} {8 * r['vector_bytes']:6d} "
                f"{r['elements_per_pass']:9d} {r['per_element']:9.2f}{ns}"
            )
            if args.verbose:
                print("   ", dict(r["ops"].most_common()))
    if args.time:
        for dt in ("float32", "float64"):
            print(f"{'in-place scale':14s} {dt:8s} {'':>33s} {scale_ns(dt):9.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
