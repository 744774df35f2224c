"""Which pipes of this CPU the instructions of elu_numba's float32 loops take, and the floor
in cycles that puts under a loop (README, Speed: the PyTorch row)::

    python benchmarks/cpu_ports.py [--iters 20000000]

Writes a small C program with one loop of inline assembly per instruction mix (vector
instructions on registers only: no memory but the gather's one cache line, and no
dependency between instructions within a pass), compiles it with the system's C compiler
(``cc``) and times every loop with the time-stamp counter, best of 5.  A chain of dependent
FMAs (4 cycles each on AMD Zen 3/4 and on Intel since Skylake) converts counter ticks into
core cycles.  With AVX-512F the instructions are 512-bit (the loops' width on such CPUs);
with AVX2 and FMA alone (AMD Zen 3) 256-bit, where the compares write vector registers and
the selects are ``vblendvps``/``vblendvpd`` (AVX2 has no mask registers).  Needs x86-64
Linux with one of the two and a C compiler; elsewhere it says so and exits.

Prints cycles per pass of each loop:

1. Each instruction alone, 8 per pass: cycles per instruction.
2. 8 FMAs plus 4 of the instruction: what the 4 add to the FMAs' 8 cycles (4 on a CPU
   with two FMA pipes).  About 0 where the instruction runs on other pipes than the FMAs,
   about 2 (two FMA pipes) or 4 (one) where it takes their time.
3. Whole mixes: the float32 alpha = 1 ELU loop's instructions per vector (``python
   tools/loop_ops.py --fn elu-unit -v``) and the cheaper-looking alternatives the README
   weighs (AVX-512), or its gradient's from x (AVX2, ``--fn elu_grad_x-unit``), each
   against the floor its FMA-pipe instructions alone set at one per cycle.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from typing import NamedTuple

# one instruction, "{d}" its destination; the sources are registers no instruction writes
FMA = "vfmadd231ps %zmm10, %zmm11, {d}"
OPS = {
    "vmulps": "vmulps %zmm12, %zmm13, {d}",
    "vaddps": "vaddps %zmm12, %zmm13, {d}",
    "vmaxps": "vmaxps %zmm12, %zmm13, {d}",
    "vcmpltps": "vcmpltps %zmm12, %zmm13, {k}",
    "vpminsd": "vpminsd %zmm12, %zmm13, {d}",
    "vpaddd": "vpaddd %zmm12, %zmm13, {d}",
    "vpslld": "vpslld $3, %zmm12, {d}",
    "vpternlogd": "vpternlogd $0x96, %zmm12, %zmm13, {d}",
    "vcvtdq2ps": "vcvtdq2ps %zmm12, {d}",
    "vscalefps": "vscalefps %zmm12, %zmm13, {d}",
    "vpermps": "vpermps %zmm12, %zmm13, {d}",
    "vpermt2ps": "vpermt2ps %zmm12, %zmm13, {d}",
    # a gather merges into its destination and clears its mask: both are set again first
    # (a zeroing idiom and a kxnorw, part of its cost)
    "vgatherdps": "vpxord {d}, {d}, {d}\\n\\tkxnorw %k0, %k0, %k2\\n\\t"
    "vgatherdps (%rsi,%zmm14,4), {d}%{{%k2%}}",
}
# The same for a CPU with AVX2 and FMA but no AVX-512 (256-bit; sources ymm12-13, ymm14 the
# blends' mask, FMAs into ymm0-11, the rest into ymm15): the instructions of the float32
# loops there, among them the selects (vblendvps) and float64's clamp (vpcmpgtq, vblendvpd)
FMA_AVX2 = "vfmadd231ps %ymm12, %ymm13, {d}"
OPS_AVX2 = {
    "vmulps": "vmulps %ymm12, %ymm13, {d}",
    "vaddps": "vaddps %ymm12, %ymm13, {d}",
    "vmaxps": "vmaxps %ymm12, %ymm13, {d}",
    "vminps": "vminps %ymm12, %ymm13, {d}",
    "vcmpltps": "vcmpltps %ymm12, %ymm13, {d}",
    "vblendvps": "vblendvps %ymm14, %ymm12, %ymm13, {d}",
    "vandps": "vandps %ymm12, %ymm13, {d}",
    "vorps": "vorps %ymm12, %ymm13, {d}",
    "vpminsd": "vpminsd %ymm12, %ymm13, {d}",
    "vpaddd": "vpaddd %ymm12, %ymm13, {d}",
    "vpslld": "vpslld $3, %ymm12, {d}",
    "vpcmpgtq": "vpcmpgtq %ymm12, %ymm13, {d}",
    "vblendvpd": "vblendvpd %ymm14, %ymm12, %ymm13, {d}",
    "vpermps": "vpermps %ymm12, %ymm13, {d}",
}


def _mix(fmas: int, fma: str = FMA, ops: dict[str, str] = OPS, **counts: int) -> dict[str, int]:
    """A pass of ``fmas`` FMAs and ``counts`` (name: count) of the instructions in ``ops``."""
    return {fma: fmas, **{ops[name]: n for name, n in counts.items()}}


# the float32 alpha = 1 ELU loop (``_math._expm1_unit``) per 16 values, as compiled, but
# its FMAs (8); each alternative below changes some of it
_ELU_UNIT = dict(vmulps=1, vaddps=2, vmaxps=1, vpminsd=1, vpslld=1)
MIXES = {
    "elu-unit loop now": _mix(8, **_ELU_UNIT),
    # its last FMA, s * e + (s - 1), as ldexp(e, k) + (s - 1): LLVM's ldexp compiles to
    # vscalefps after a conversion of k to float (k from t's bits: one integer subtraction)
    "... last FMA as ldexp": _mix(
        7, **{**_ELU_UNIT, "vaddps": 3}, vpaddd=1, vcvtdq2ps=1, vscalefps=1
    ),
    # the same without the conversion (no way found to have LLVM emit it so)
    "... ldexp, k as float": _mix(7, **{**_ELU_UNIT, "vaddps": 3}, vscalefps=1),
    # a table of 2^(j/32) would save the polynomial 2 FMAs, but a lookup in scalar code
    # compiles to a gather (vpermps needs vector code, which Numba does not write)
    "... table by gather": _mix(6, **{**_ELU_UNIT, "vaddps": 3}, vgatherdps=1),
}


def _mix2(fmas: int, **counts: int) -> dict[str, int]:
    return _mix(fmas, FMA_AVX2, OPS_AVX2, **counts)


# per 8 float32 values (one 256-bit vector): the ELU loop as above, and the gradient loop
# from x at alpha = 1 (``_math.elu_grad_x_fast32``; ``tools/loop_ops.py --fn
# elu_grad_x-unit -v``) before and after 2026-12-07: h of degree 5 and two selects (x > 0,
# and g * 2**k != 0 for the sign of a zero), against h of degree 4, x > 0 as x = 0 (a min)
# and the sign or'ed in
MIXES_AVX2 = {
    "elu-unit loop now": _mix2(8, **_ELU_UNIT),
    "elu_grad_x-unit before": _mix2(10, vmulps=2, vaddps=1, vcmpltps=2, vblendvps=2, vpslld=1),
    "elu_grad_x-unit now": _mix2(9, vmulps=2, vaddps=1, vminps=1, vandps=1, vorps=1, vpslld=1),
}
CALIBRATION_CHAIN = 4  # dependent FMAs per pass of the calibration loop
FMA_LATENCY = 4  # cycles


class Isa(NamedTuple):
    """One instruction set's loops: the FMA, the other instructions and the mixes, where
    each pass writes its results (FMAs: one register each, 8 of them; the rest rotate over
    ``dests``; AVX-512 compares over mask registers), and how to build and run them."""

    name: str
    fma: str
    ops: dict[str, str]
    mixes: dict[str, dict[str, int]]
    lanes: int  # float32 values per vector
    reg: str  # the register prefix
    accumulators: int  # FMAs write registers 0 .. accumulators - 1 in turn
    dests: tuple[int, ...]
    masks: tuple[str, ...]
    clobbers: tuple[int, ...]
    prologue: str  # zeroes the gather's index (AVX-512) or the blends' mask (AVX2)
    cflags: tuple[str, ...]
    fma_pipe: tuple[str, ...]  # the ops besides the FMAs that take the FMA pipes


AVX512 = Isa(
    name="AVX-512",
    fma=FMA,
    ops=OPS,
    mixes=MIXES,
    lanes=16,
    reg="zmm",
    accumulators=8,
    dests=tuple(range(16, 24)),
    masks=("k2", "k3", "k4", "k5"),
    clobbers=(*range(8), 14, *range(16, 24)),
    prologue="vpxord %zmm14, %zmm14, %zmm14",
    cflags=("-mavx512f",),
    fma_pipe=("vmulps",),
)
AVX2 = Isa(
    name="AVX2",
    fma=FMA_AVX2,
    ops=OPS_AVX2,
    mixes=MIXES_AVX2,
    lanes=8,
    reg="ymm",
    accumulators=12,
    dests=(15,),
    masks=(),
    clobbers=(*range(12), 14, 15),
    prologue="vpxor %ymm14, %ymm14, %ymm14",
    cflags=("-mavx2", "-mfma"),
    fma_pipe=("vmulps", "vblendvps", "vblendvpd"),  # the blends: section 2 on Zen 3
)


def host_isa() -> Isa | None:
    """AVX512 where the CPU has AVX-512F, else AVX2 where it has AVX2 and FMA, else None."""
    if platform.machine() not in ("x86_64", "AMD64") or not sys.platform.startswith("linux"):
        return None
    with open("/proc/cpuinfo") as f:
        flags = next((ln.split() for ln in f if ln.startswith("flags")), [])
    if "avx512f" in flags:
        return AVX512
    return AVX2 if {"avx2", "fma"} <= set(flags) else None


def _body(mix: dict[str, int], isa: Isa) -> list[str]:
    """The instructions of one pass: FMAs accumulate into registers 0, 1, ... in turn (one
    chain each: with up to ``isa.accumulators`` FMAs a pass, 4 cycles of latency per
    register against at least as many of throughput), the rest write ``isa.dests`` (and
    AVX-512's compares k2-k5)."""
    acc = isa.accumulators
    out = [isa.fma.format(d=f"%{isa.reg}{i % acc}") for i in range(mix.get(isa.fma, 0))]
    n = 0
    for ins, count in mix.items():
        if ins == isa.fma:
            continue
        for _ in range(count):
            d = f"%{isa.reg}{isa.dests[n % len(isa.dests)]}"
            k = f"%{isa.masks[n % len(isa.masks)]}" if isa.masks else d
            out.append(ins.format(d=d, k=k))
            n += 1
    return out


def loops(isa: Isa = AVX512) -> dict[str, list[str]]:
    """Every loop to time, by name: the calibration chain, then sections 1-3."""
    res = {"calibration": [isa.fma.format(d=f"%{isa.reg}0")] * CALIBRATION_CHAIN}
    res["8 x vfmadd231ps"] = _body({isa.fma: 8}, isa)
    for name, ins in isa.ops.items():
        res[f"8 x {name}"] = _body({ins: 8}, isa)
    for name, ins in isa.ops.items():
        res[f"8 FMAs + 4 x {name}"] = _body({isa.fma: 8, ins: 4}, isa)
    for name, mix in isa.mixes.items():
        res[name] = _body(mix, isa)
    return res


def c_source(named: dict[str, list[str]], isa: Isa = AVX512) -> str:
    lines = [
        "#include <stdio.h>",
        "#include <x86intrin.h>",
        "static float table[64] __attribute__((aligned(64)));",
    ]
    clobbers = ", ".join(f'"{r}"' for r in [*isa.masks, *(f"xmm{i}" for i in isa.clobbers)])
    for i, body in enumerate(named.values()):
        asm = "".join(
            f'"{ins.replace("%", "%%").replace("%%{", "%{").replace("%%}", "%}")}\\n\\t"'
            for ins in body
        )
        prologue = isa.prologue.replace("%", "%%")
        lines.append(
            f"static double loop{i}(long n) {{\n"
            f"  unsigned long long t0 = __rdtsc();\n"
            f'  __asm__ volatile("{prologue}\\n\\t" "1:\\n\\t" {asm}\n'
            f'    "dec %%rcx\\n\\tjnz 1b" : "+c"(n) : "S"(table)\n'
            f'    : "memory", {clobbers});\n'
            f"  return (double)(__rdtsc() - t0);\n}}"
        )
    lines.append("int main(int argc, char **argv) {\n  long n; double best, t;")
    lines.append('  if (argc < 2 || sscanf(argv[1], "%ld", &n) != 1) return 2;')
    for i, name in enumerate(named):
        lines.append(
            f"  loop{i}(n / 10); best = 1e300;\n"
            f"  for (int r = 0; r < 5; r++) {{ t = loop{i}(n); if (t < best) best = t; }}\n"
            f'  printf("%s\\t%.4f\\n", "{name}", best / n);'
        )
    lines.append("  return 0;\n}")
    return "\n".join(lines)


def unsupported() -> str | None:
    """Why this machine cannot run the measurement, or None."""
    if platform.machine() not in ("x86_64", "AMD64") or not sys.platform.startswith("linux"):
        return f"needs x86-64 Linux, this is {platform.machine()} {sys.platform}"
    if host_isa() is None:
        return "needs AVX-512F, or AVX2 and FMA"
    if shutil.which("cc") is None:
        return "needs a C compiler (cc)"
    return None


def measure(iters: int, isa: Isa = AVX512) -> dict[str, float]:
    """Ticks per pass of every loop, by name."""
    named = loops(isa)
    with tempfile.TemporaryDirectory(prefix="elu_numba_ports_") as tmp:
        src, exe = os.path.join(tmp, "ports.c"), os.path.join(tmp, "ports")
        with open(src, "w") as f:
            f.write(c_source(named, isa))
        subprocess.run(["cc", "-O2", *isa.cflags, "-o", exe, src], check=True)
        res = subprocess.run([exe, str(iters)], check=True, capture_output=True, text=True)
    ticks = dict(line.split("\t") for line in res.stdout.splitlines())
    return {name: float(ticks[name]) for name in named}


def fma_pipe_ops(mix: dict[str, int], isa: Isa = AVX512) -> int:
    return mix.get(isa.fma, 0) + sum(mix.get(isa.ops[name], 0) for name in isa.fma_pipe)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--iters", type=int, default=20_000_000, help="passes per timed loop")
    args = p.parse_args(argv)
    why = unsupported()
    if why is not None:
        print(f"cpu_ports: {why}; nothing measured")
        return 0
    isa = host_isa()
    ticks = measure(args.iters, isa)
    per_cycle = ticks["calibration"] / (CALIBRATION_CHAIN * FMA_LATENCY)
    cyc = {name: t / per_cycle for name, t in ticks.items()}
    print(
        f"{isa.name}: {per_cycle:.3f} counter ticks per cycle (a chain of dependent FMAs, "
        f"{FMA_LATENCY} cycles each)"
    )
    print("\n1. cycles per instruction, 8 independent per pass")
    print(f"   {'vfmadd231ps':12s} {cyc['8 x vfmadd231ps'] / 8:5.2f}")
    for name in isa.ops:
        print(f"   {name:12s} {cyc[f'8 x {name}'] / 8:5.2f}")
    base = cyc["8 x vfmadd231ps"]
    print(
        f"\n2. cycles that 4 of each add to 8 FMAs ({base:.2f} cycles alone): ~0 = other "
        f"pipes, ~{base / 2:.0f} = the FMAs' pipes"
    )
    for name in isa.ops:
        print(f"   {name:12s} {cyc[f'8 FMAs + 4 x {name}'] - base:+5.2f}")
    print(
        f"\n3. mixes per {isa.lanes} float32 values: cycles, and the floor their FMA-pipe "
        "operations set (1 cycle each with one such pipe free, half with two)"
    )
    for name, mix in isa.mixes.items():
        print(f"   {name:24s} {cyc[name]:5.2f}   floor {fma_pipe_ops(mix, isa)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
