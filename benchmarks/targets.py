"""The speed targets of issue #3, measured as ratios side by side in one run (not as tests).

    python benchmarks/targets.py [--quick] [--rounds 21] [--json targets.json] [--md out.md]
                                 [--log2n 20 ...]

Each target compares two implementations on the same case (``report.TARGETS``): both are
checked, warmed up, then timed in alternating rounds (A B A B ...), so that a noisy machine
moves both sides alike; the ratio is of the medians.  Before each timed round a side runs
untimed rounds for ``_harness.SETTLE`` seconds (since 2026-12-08), until the other side's
OpenMP threads have stopped spinning.  The memory limit is the faster of
two loops with the same arithmetic, both timed in those rounds (A B C A B C ...):
elu_numba's own blocked loop with its prefetch (``_harness.LIMIT``) and a plain prange loop
over the elements (``_harness.LIMIT_PLAIN``, since 2026-12-07: on the AMD EPYC Zen 3 VM it
was the faster); the output names both times.  Every call gets data fetched from
memory (the rotation of copies spans 4x the L3 cache), except in the targets marked
``resident`` (the 2^20 rows: "cache-resident" in the issue), which rotate through two
copies without flushing the cache, with 5x the rounds.  Those copies are restored from the
main thread, which leaves the share of the other thread in another core's cache; the two
contrast rows marked ``spread`` time the same calls on copies that each thread restored
for itself, as a parallel producer would have left them.  The peak-RSS target runs each call in
a fresh interpreter: after a warm-up call on a small array, the kernel's peak-RSS mark is
reset (``/proc/self/clear_refs``) and the growth of ``VmHWM`` over one call on the large
array is compared with the array's size.  ``--quick`` uses 2^16 where a target names 2^26 or
2^25 and 2^20 for the RSS check (for smoke runs; its numbers say nothing about the targets).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

import _harness as h
import report

QUICK_LOG2N = 16
RESIDENT_ROUNDS = 5  # a cache-resident target takes this many times the rounds (cheap calls)
RSS_CHECKS = (
    # (what, dtype, log2n, statement run on x (and g, y), goal or None for a contrast row)
    ("elu_numba.elu(x, out=x)", "float32", 26, "en.elu(x, out=x)", 0.01),
    ("elu_numba.elu_grad(g, y=y, out=g)", "float32", 26, "en.elu_grad(g, y=y, out=g)", 0.01),
    (
        "NumPy formula in place (contrast)",
        "float32",
        26,
        "np.copyto(x, np.where(x > 0, x, 1.0 * (np.exp(x) - 1)))",
        None,
    ),
)
RSS_SCRIPT = textwrap.dedent(
    """
    import json
    import numpy as np
    import elu_numba as en
    from elu_numba import _cpu

    def status(key):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024

    def filled(n, sd, seed):
        a = np.empty(n, np.{dtype})
        rng = np.random.default_rng(seed)
        for i in range(0, n, 1 << 20):  # no temporary of the array's size
            a[i : i + (1 << 20)] = rng.normal(0.0, sd, min(1 << 20, n - i))
        return a

    def run(x, g, y):
        {stmt}

    n = 1 << {log2n}
    x, g = filled(n, 2.0, 0), filled(n, 1.0, 1)
    y = en.elu(x[: n // 2].copy())  # an ELU output (half the size: only read)
    y = np.concatenate([y, y])
    small = max(1 << 16, 2 * _cpu.PARALLEL_THRESHOLD)  # same kernel as the big call
    run(x[:small].copy(), g[:small].copy(), y[:small].copy())
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset the peak-RSS mark to the current RSS
        method = "clear_refs"
    except OSError:
        method = "peak so far"
    before = status("VmHWM")
    run(x, g, y)
    after = status("VmHWM")
    print(json.dumps({{"before": before, "after": after, "array_bytes": x.nbytes,
                      "method": method}}))
    """
)


def measure_target(t: report.Target, quick: bool, rounds: int, settings: h.Settings) -> dict:
    log2n = min(t.log2n, QUICK_LOG2N) if quick else t.log2n
    case = h.Case(h.find_function(t.function), np.dtype(t.dtype), log2n, t.mode == "inplace")
    row = {
        "description": t.description,
        "case": t.case(log2n),
        "num": t.num,
        "den": t.den,
        "op": t.op,
        "value": t.value,
        "ratio": None,
        "met": None,
    }
    try:
        if t.resident:  # two copies, no flush: the calls find their data in the cache
            settings = dataclasses.replace(settings, resident=True, spread=t.spread)
            rounds *= RESIDENT_ROUNDS
        benches = [h.Bench(case, h.IMPLS_BY_ID[name], settings) for name in (t.num, t.den)]
    except h.Unsupported as exc:
        row["skipped"] = str(exc)
        return row
    plain = h.LIMIT_PLAIN
    if t.den == h.LIMIT.id and plain.applies(case):
        # the memory limit is the faster of two loops, both timed in the same rounds
        benches.append(h.Bench(case, plain, settings))
    for b in benches:
        b.verify()
    num, *limits = (float(np.median(s)) for s in h.interleaved(benches, rounds, h.SETTLE))
    den = min(limits)
    ratio = num / den
    row.update(num_s=num, den_s=den, rounds=rounds, ratio=ratio, met=t.met(ratio))
    if len(limits) == 2:
        row.update(limit_s=dict(zip((h.LIMIT.id, plain.id), limits, strict=True)))
    return row


def measure_rss(what, dtype, log2n, stmt, goal, quick: bool) -> dict:
    log2n = min(log2n, 20) if quick else log2n
    code = RSS_SCRIPT.format(dtype=dtype, log2n=log2n, stmt=stmt)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"RSS check failed:\n{res.stderr}")
    r = json.loads(res.stdout.strip().splitlines()[-1])
    growth = max(0, r["after"] - r["before"])
    frac = growth / r["array_bytes"]
    return {
        "call": what,
        "case": f"{dtype} 2^{log2n}",
        "array_bytes": r["array_bytes"],
        "growth_bytes": growth,
        "growth_fraction": frac,
        "goal": goal,
        "met": None if goal is None else frac < goal,
        "method": r["method"],
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    ap.add_argument("--rounds", type=int, default=21, help="rounds of each side (default 21)")
    ap.add_argument("--json", help="write the results here (for report.py --targets)")
    ap.add_argument("--md", help="write the markdown table here")
    ap.add_argument(
        "--log2n", type=int, nargs="+", help="only the targets (and RSS checks) of these sizes"
    )
    args = ap.parse_args(argv)
    settings = h.Settings()
    out = {"quick": args.quick, "machine": None, "targets": [], "rss": []}
    for t in report.TARGETS:
        if args.log2n and t.log2n not in args.log2n:
            continue
        out["targets"].append(measure_target(t, args.quick, args.rounds, settings))
        print(_line(out["targets"][-1]), flush=True)
    for check in RSS_CHECKS:
        if args.log2n and check[2] not in args.log2n:
            continue
        out["rss"].append(measure_rss(*check, quick=args.quick))
        r = out["rss"][-1]
        print(f"peak RSS growth of {r['call']}: {100 * r['growth_fraction']:.3f}%", flush=True)
    out["machine"] = {**h.environment(), **h.runtime_info()}
    md = "\n".join(report.render_targets([], out))
    print()
    print(md)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    if args.md:
        Path(args.md).write_text(md)
    return 0


def _line(row: dict) -> str:
    if row["ratio"] is None:
        return f"{row['case']}: {row['num']} / {row['den']} skipped ({row.get('skipped')})"
    times = f"{row['num_s'] * 1e3:.4g} / {row['den_s'] * 1e3:.4g} ms; " if "num_s" in row else ""
    if "limit_s" in row:
        loops = ", ".join(f"{k} {v * 1e3:.4g}" for k, v in row["limit_s"].items())
        times += f"limit loops: {loops} ms; "
    return (
        f"{row['case']}: {row['num']} / {row['den']} = {row['ratio']:.2f} "
        f"({times}goal {row['op']} {row['value']}, {'met' if row['met'] else 'NOT met'})"
    )


if __name__ == "__main__":
    sys.exit(main())
