"""Which pipes of this CPU the instructions of the float32 ELU loop take, and the floor in
cycles that puts under the loop (README, Speed: the PyTorch row)::

    python benchmarks/cpu_ports.py [--iters 20000000]

Writes a small C program with one loop of inline assembly per instruction mix (512-bit
instructions on registers only: no memory but the gather's one cache line, and no
dependency between instructions within a pass), compiles it with the system's C compiler
(``cc``) and times every loop with the time-stamp counter, best of 5.  A chain of dependent
FMAs (4 cycles each on AMD Zen 3/4 and on Intel since Skylake) converts counter ticks into
core cycles.  Needs x86-64 Linux with AVX-512F and a C compiler; elsewhere it says so and
exits.

Prints cycles per pass of each loop:

1. Each instruction alone, 8 per pass: cycles per instruction.
2. 8 FMAs plus 4 of the instruction: what the 4 add to the FMAs' 8 cycles.  About 0 where
   the instruction runs on other pipes than the FMAs, about 4 where it takes their time.
3. Whole mixes: the float32 alpha = 1 ELU loop's instructions per 16 values (``python
   tools/loop_ops.py --fn elu-unit -v``) and the cheaper-looking alternatives the README
   weighs, each against the floor its FMA-pipe instructions alone set.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile

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


def _mix(fmas: int, **ops: int) -> dict[str, int]:
    """A pass of ``fmas`` FMAs and ``ops`` (name: count) of the instructions in OPS."""
    return {FMA: fmas, **{OPS[name]: n for name, n in ops.items()}}


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
CALIBRATION_CHAIN = 4  # dependent FMAs per pass of the calibration loop
FMA_LATENCY = 4  # cycles


def _regs(n: int, first: int) -> list[str]:
    return [f"%zmm{first + i % 8}" for i in range(n)]


def _body(mix: dict[str, int]) -> list[str]:
    """The instructions of one pass: FMAs accumulate into zmm0-7 (one chain each, 4 cycles
    of latency against at least 8 of throughput), the rest write zmm16-23 or k2-k5."""
    out: list[str] = []
    fmas = _regs(mix.get(FMA, 0), 0)
    out += [FMA.format(d=r) for r in fmas]
    n = 0
    for ins, count in mix.items():
        if ins == FMA:
            continue
        for _ in range(count):
            out.append(ins.format(d=f"%zmm{16 + n % 8}", k=f"%k{2 + n % 4}"))
            n += 1
    return out


def loops() -> dict[str, list[str]]:
    """Every loop to time, by name: the calibration chain, then sections 1-3."""
    res = {"calibration": [FMA.format(d="%zmm0")] * CALIBRATION_CHAIN}
    res["8 x vfmadd231ps"] = _body({FMA: 8})
    for name, ins in OPS.items():
        res[f"8 x {name}"] = _body({ins: 8})
    for name, ins in OPS.items():
        res[f"8 FMAs + 4 x {name}"] = _body({FMA: 8, ins: 4})
    for name, mix in MIXES.items():
        res[name] = _body(mix)
    return res


def c_source(named: dict[str, list[str]]) -> str:
    lines = [
        "#include <stdio.h>",
        "#include <x86intrin.h>",
        "static float table[64] __attribute__((aligned(64)));",
    ]
    clobbers = ", ".join(f'"xmm{i}"' for i in [*range(8), 14, *range(16, 24)])
    for i, body in enumerate(named.values()):
        asm = "".join(
            f'"{ins.replace("%", "%%").replace("%%{", "%{").replace("%%}", "%}")}\\n\\t"'
            for ins in body
        )
        lines.append(
            f"static double loop{i}(long n) {{\n"
            f"  unsigned long long t0 = __rdtsc();\n"
            f'  __asm__ volatile("vpxord %%zmm14, %%zmm14, %%zmm14\\n\\t" "1:\\n\\t" {asm}\n'
            f'    "dec %%rcx\\n\\tjnz 1b" : "+c"(n) : "S"(table)\n'
            f'    : "memory", "k2", "k3", "k4", "k5", {clobbers});\n'
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
    with open("/proc/cpuinfo") as f:
        if " avx512f" not in f.read():
            return "needs AVX-512F"
    if shutil.which("cc") is None:
        return "needs a C compiler (cc)"
    return None


def measure(iters: int) -> dict[str, float]:
    """Ticks per pass of every loop, by name."""
    named = loops()
    with tempfile.TemporaryDirectory(prefix="elu_numba_ports_") as tmp:
        src, exe = os.path.join(tmp, "ports.c"), os.path.join(tmp, "ports")
        with open(src, "w") as f:
            f.write(c_source(named))
        subprocess.run(["cc", "-O2", "-mavx512f", "-o", exe, src], check=True)
        res = subprocess.run([exe, str(iters)], check=True, capture_output=True, text=True)
    ticks = dict(line.split("\t") for line in res.stdout.splitlines())
    return {name: float(ticks[name]) for name in named}


def fma_pipe_ops(mix: dict[str, int]) -> int:
    return mix.get(FMA, 0) + mix.get(OPS["vmulps"], 0)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--iters", type=int, default=20_000_000, help="passes per timed loop")
    args = p.parse_args(argv)
    why = unsupported()
    if why is not None:
        print(f"cpu_ports: {why}; nothing measured")
        return 0
    ticks = measure(args.iters)
    per_cycle = ticks["calibration"] / (CALIBRATION_CHAIN * FMA_LATENCY)
    cyc = {name: t / per_cycle for name, t in ticks.items()}
    print(
        f"clock: {per_cycle:.3f} counter ticks per cycle (a chain of dependent FMAs, "
        f"{FMA_LATENCY} cycles each)"
    )
    print("\n1. cycles per instruction, 8 independent per pass")
    print(f"   {'vfmadd231ps':12s} {cyc['8 x vfmadd231ps'] / 8:5.2f}")
    for name in OPS:
        print(f"   {name:12s} {cyc[f'8 x {name}'] / 8:5.2f}")
    base = cyc["8 x vfmadd231ps"]
    print(
        f"\n2. cycles that 4 of each add to 8 FMAs ({base:.2f} cycles alone): ~0 = other "
        "pipes, ~4 = the FMAs' pipes"
    )
    for name in OPS:
        print(f"   {name:12s} {cyc[f'8 FMAs + 4 x {name}'] - base:+5.2f}")
    print(
        "\n3. mixes per 16 float32 values: cycles, and the floor of their FMA-pipe "
        "operations (1 cycle each)"
    )
    for name, mix in MIXES.items():
        print(f"   {name:24s} {cyc[name]:5.2f}   floor {fma_pipe_ops(mix)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
