"""tools/loop_ops.py finds the innermost loop and its elements per pass, also when the loop
spans several basic blocks (the parallel kernels unroll a whole block into the loop over
blocks) -- it used to report the scalar remainder loop there."""

from __future__ import annotations

import ast
import importlib.util
import os
import platform
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

_env = os.environ.get("NUMBA_CACHE_DIR")
_spec = importlib.util.spec_from_file_location(
    "loop_ops", Path(__file__).parents[1] / "tools" / "loop_ops.py"
)
loop_ops = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(loop_ops)  # sets NUMBA_CACHE_DIR for its own runs: undo it here
if _env is None:
    os.environ.pop("NUMBA_CACHE_DIR", None)
else:
    os.environ["NUMBA_CACHE_DIR"] = _env

# an outer loop (.LBB0_1) holding an inner one (.LBB0_2), then a loop over two basic blocks
# (.LBB0_4, .LBB0_5) with a forward branch inside, as LLVM lays them out
ASM = """\
f:
\tmovq\t%rdi, %rax
.LBB0_1:
\tleaq\t(%rax), %rcx
.LBB0_2:
\tvmovups\t(%rsi,%rcx,4), %ymm1
\tvaddps\t%ymm0, %ymm1, %ymm1
\tvmovups\t%ymm1, (%rsi,%rcx,4)
\taddq\t$8, %rcx
\tjne\t.LBB0_2
\tdecq\t%rax
\tjne\t.LBB0_1
.LBB0_4:
\tvmovups\t(%rsi,%rdx,4), %zmm1
\tjs\t.LBB0_6
.LBB0_5:
\tvfmadd213ps\t%zmm2, %zmm3, %zmm1
\tvmovups\t%zmm1, (%rsi,%rdx,4)
\tvmovups\t%zmm1, 64(%rsi,%rdx,4)
\tcmpq\t$1, %rdx
\tja\t.LBB0_4
\tretq
.LBB0_6:
\txorl\t%edx, %edx
\tjmp\t.LBB0_5
"""


def test_loop_blocks_innermost_spanning_blocks():
    loops = dict(loop_ops.loop_blocks(ASM))
    # .LBB0_1 holds .LBB0_2's jump back: not innermost; the jump from .LBB0_6 back to
    # .LBB0_5 spans .LBB0_4's jump back: no loop either
    assert sorted(loops) == [".LBB0_2", ".LBB0_4"]
    assert loops[".LBB0_2"][-1] == "jne\t.LBB0_2" and len(loops[".LBB0_2"]) == 5
    assert loops[".LBB0_4"][0].startswith("vmovups") and loops[".LBB0_4"][-1] == "ja\t.LBB0_4"
    assert len(loops[".LBB0_4"]) == 7
    body, vbytes = loop_ops.hot_loop(ASM)
    assert body == loops[".LBB0_4"] and vbytes == 64


def test_timed_gradients_keep_their_inputs():
    """``--time`` repeats each call thousands of times: a gradient in place would multiply
    grad down into subnormals (3.0 instead of 0.74 ns per element), so its inputs must stay
    as they are over the calls."""
    f, inputs = loop_ops.timed_call("elu_grad_y", "float32")
    before = [a.copy() for a in inputs]
    for _ in range(3000):
        f()
    for a, b in zip(inputs, before, strict=True):
        np.testing.assert_array_equal(a, b)
    tiny = np.finfo(np.float32).tiny
    assert not (np.abs(inputs[0]) < tiny).any()


def test_the_tool_removes_its_cache(tmp_path):
    """Each run of the tool compiles into a fresh Numba cache in the temporary directory and
    removes it at exit (it used to leave one per run)."""
    tool = Path(__file__).parents[1] / "tools" / "loop_ops.py"
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    probe = "import tempfile; print(tempfile.gettempdir())"
    assert subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    ).stdout.strip() == str(tmp_path)
    run = subprocess.run(
        [sys.executable, str(tool), "--help"], env=env, capture_output=True, text=True
    )
    assert run.returncode == 0 and "usage" in run.stdout
    assert not list(tmp_path.glob("elu_numba_asm_*"))


def test_elements_per_pass_leave_out_spills():
    """A pass's elements are those its stores to the array write: packed stores by their
    width, scalar ones one each, and stores to the stack (spilled registers) not at all."""
    body = [
        "vmovups\t(%r11,%rbx,8), %ymm1",
        "vmovups\t%ymm1, 416(%rsp)",  # a spill
        "vfmadd231pd\t%ymm1, %ymm2, %ymm3",
        "vmovupd\t%ymm3, -32(%r11,%rbx,8)",
        "vmovupd\t%ymm3, (%r11,%rbx,8)",
        "vmovsd\t%xmm4, 8(%r11,%rbx,8)",
        "vmovdqu\t%ymm0, 448(%rsp)",  # another
    ]
    assert loop_ops.elements_per_pass(body, 8) == 4 + 4 + 1
    assert loop_ops.elements_per_pass(body, 4) == 8 + 8 + 1
    assert loop_ops.elements_per_pass(["addq\t$8, %rbx"], 8) == 1


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="x86 asm")
def test_float32_gradient_loops_from_x_select_nothing():
    """The float32 gradient loops from x without an alpha factor (ELU's at alpha = 1, CELU's
    at any alpha: ``_math.elu_grad_x_fast32``, ``celu_grad_x_fast32``) compute x > 0 as
    x = 0, which gives grad itself, and or the sign of a zero in: no compare and no select
    in the loop that blocks in range run.  On AVX2 a blend takes a turn of the FMA units
    (``benchmarks/cpu_ports.py``); until 2026-12-07 this loop had two per vector.  Its min
    (x > 0 as 0) and the FMAs are there, so the loop found is the right one."""
    # the tool in its own process: it compiles into a fresh cache (Numba shows no assembly
    # for kernels loaded from its disk cache, where this process may find them)
    tool = Path(__file__).parents[1] / "tools" / "loop_ops.py"
    names = ["elu_grad_x-unit", "celu_grad_x", "elu_grad_x", "selu_grad_x"]
    run = subprocess.run(
        [sys.executable, str(tool), "-v", "--fn", *names], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    ops = {
        tuple(line.split()[:2]): ast.literal_eval(nxt.strip())
        for line, nxt in zip(lines, lines[1:], strict=False)
        if line.split()[:1] and line.split()[0] in names and nxt.strip().startswith("{")
    }
    for name in names:
        o = Counter(ops[(name, "float32")])
        assert sum(n for op, n in o.items() if "fmadd" in op) >= 8, (name, o)
        if name in ("elu_grad_x-unit", "celu_grad_x"):
            assert not [op for op in o if op.startswith(("vblend", "vcmp"))], (name, o)
            assert o["vminps"] >= 1, (name, o)
        else:
            # with an alpha factor (ELU's at alpha != 1, SELU's) the select of x > 0 stays,
            # but a zero grad's sign is or'ed in too: no compare of grad with 0; the or is
            # vorps on AVX2, on AVX-512 merged with the and into a vpternlog
            assert not [op for op in o if op.startswith("vcmpneq")], (name, o)
            assert o["vorps"] + o["vpternlogd"] + o["vpternlogq"] >= 1, (name, o)
