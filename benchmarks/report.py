"""Turn pytest-benchmark JSON into a markdown table and a PNG chart for the README.

    python benchmarks/report.py results.json [more.json ...] --out-dir docs/
        [--stat median|min|mean] [--panel elu/float32/inplace ...] [--targets targets.json]

writes ``bench_table.md`` and ``bench_chart.png`` into ``--out-dir``.  The throughput of each
result is recomputed from the chosen statistic: bytes moved per call (every input read once,
the result written once, from ``extra_info``) over the time per call, and the ratio to the
memory limit is its time over the time of the memory limit of the same group and run.

Only the standard library is needed for the table; the chart needs matplotlib (Agg backend).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

LIMIT = "memory-limit"
DEFAULT_PANELS = (
    "elu/float32/inplace",
    "elu/float32/out",
    "elu_grad_y/float32/inplace",
    "elu/float64/inplace",
)
MODE_WORDS = {"inplace": "in place", "out": "out of place"}
# fixed colours and legend order across runs; implementations not listed come after these
IMPL_ORDER = (
    "elu_numba",
    "njit-parallel",
    "njit-serial",
    "ufunc",
    "numpy",
    "numpy-expm1",
    "relu-numpy",
    "relu-elu_numba",
    "torch",
    "numexpr",
    "jax",
)


@dataclass(frozen=True)
class Target:
    """One speed target of issue #3: time(num) / time(den) compared with ``value``."""

    description: str
    function: str
    dtype: str
    log2n: int
    mode: str
    num: str
    den: str
    op: str  # "<=" or ">="
    value: float
    # timed on data already in the cache (``_harness.Settings.resident``), not from memory
    resident: bool = False
    # and restored by the threads that read it (``_harness.Settings.spread``)
    spread: bool = False

    def case(self, log2n: int | None = None) -> str:
        """The case in words (at ``log2n`` where a quick run shrinks it)."""
        n = self.log2n if log2n is None else log2n
        where = ", each thread's share in its cache" if self.spread else ""
        return f"{self.function} {self.dtype} 2^{n} {MODE_WORDS[self.mode]}{where}"

    def met(self, ratio: float) -> bool:
        return ratio <= self.value if self.op == "<=" else ratio >= self.value


# the cache-resident rows ("cache-resident" in the issue)
_IN_CACHE = (
    Target(
        description="PyTorch F.elu_ / elu_numba in place, in the cache (elu_numba faster by)",
        function="elu",
        dtype="float32",
        log2n=20,
        mode="inplace",
        num="torch",
        den="elu_numba",
        op=">=",
        value=8.0,
        resident=True,
    ),
    Target(  # a contrast: how far the memory limit itself is ahead of PyTorch
        description="ceiling of the row above: PyTorch F.elu_ / the memory limit itself",
        function="elu",
        dtype="float32",
        log2n=20,
        mode="inplace",
        num="torch",
        den=LIMIT,
        op=">=",
        value=8.0,
        resident=True,
    ),
)

TARGETS = (
    Target(
        description="elu in place vs in-place scale of the same array",
        function="elu",
        dtype="float32",
        log2n=26,
        mode="inplace",
        num="elu_numba",
        den=LIMIT,
        op="<=",
        value=1.2,
    ),
    Target(
        description="elu in place vs in-place scale of the same array",
        function="elu",
        dtype="float64",
        log2n=25,
        mode="inplace",
        num="elu_numba",
        den=LIMIT,
        op="<=",
        value=1.3,
    ),
    Target(
        description="elu_grad from y, in place into grad, vs in-place multiply of two arrays",
        function="elu_grad_y",
        dtype="float32",
        log2n=26,
        mode="inplace",
        num="elu_numba",
        den=LIMIT,
        op="<=",
        value=1.2,
    ),
    # "the same speed for gradients: from x, from y" (issue #3): the gradient from x in the
    # same shape as the row above, at that row's goal and, for float64, the forward's
    Target(
        description="elu_grad from x, in place into grad, vs in-place multiply of two arrays",
        function="elu_grad_x",
        dtype="float32",
        log2n=26,
        mode="inplace",
        num="elu_numba",
        den=LIMIT,
        op="<=",
        value=1.2,
    ),
    Target(
        description="elu_grad from x, in place into grad, vs in-place multiply of two arrays",
        function="elu_grad_x",
        dtype="float64",
        log2n=25,
        mode="inplace",
        num="elu_numba",
        den=LIMIT,
        op="<=",
        value=1.3,
    ),
    *_IN_CACHE,
    # the same two rows with the data where a parallel producer leaves it: each thread's
    # share in its own core's cache (contrasts: the rows are the two above)
    replace(
        _IN_CACHE[0],
        description="contrast: the PyTorch row, each thread's share in its own cache",
        spread=True,
    ),
    replace(
        _IN_CACHE[1],
        description="contrast: its ceiling, each thread's share in its own cache",
        spread=True,
    ),
    Target(
        description="PyTorch F.elu / elu_numba out of place (elu_numba no slower)",
        function="elu",
        dtype="float32",
        log2n=12,
        mode="out",
        num="torch",
        den="elu_numba",
        op=">=",
        value=1.0,
    ),
)


# -- reading ---------------------------------------------------------------------------------
@dataclass
class Row:
    """One throughput result: an implementation on one group (function, dtype, n, mode)."""

    function: str
    dtype: str
    n: int
    mode: str
    impl: str
    label: str
    family: str
    seconds: float
    bytes_per_call: int
    ratio: float | None = None  # seconds / seconds of the memory limit of the group

    @property
    def key(self) -> tuple:
        return (self.function, self.dtype, self.n, self.mode)

    @property
    def log2n(self) -> int:
        return int(round(math.log2(self.n)))

    @property
    def bytes_per_s(self) -> float:
        return self.bytes_per_call / self.seconds

    @property
    def elements_per_s(self) -> float:
        return self.n / self.seconds


@dataclass
class Run:
    benchmarks: list[dict]
    machine_info: dict
    commit_info: dict
    datetime: str
    extra: dict  # the suite's "elu_numba_run" section: threading layer, settings

    @property
    def env(self) -> dict:
        return {**(self.machine_info or {}).get("elu_numba_bench", {}), **self.extra}


def load(paths: Iterable[str | Path]) -> Run:
    """Read pytest-benchmark JSON files; a later file's result replaces an earlier one."""
    by_name: dict[str, dict] = {}
    machine, commit, when, extra = {}, {}, "", {}
    for p in paths:
        data = json.loads(Path(p).read_text())
        if "benchmarks" not in data:
            raise ValueError(f"{p}: not a pytest-benchmark JSON file (no 'benchmarks')")
        for b in data["benchmarks"]:
            by_name[b.get("fullname") or b["name"]] = b
        machine = data.get("machine_info") or machine
        commit = data.get("commit_info") or commit
        when = data.get("datetime") or when
        extra = data.get("elu_numba_run") or extra
    return Run(list(by_name.values()), machine, commit, when, extra)


def _stat(bench: dict, stat: str) -> float:
    return float(bench["stats"][stat])


def throughput_rows(run: Run, stat: str = "median") -> list[Row]:
    """The throughput results, in file order, with the ratio to their group's memory limit."""
    rows = []
    for b in run.benchmarks:
        info = b.get("extra_info") or {}
        if info.get("kind") != "throughput":
            continue
        rows.append(
            Row(
                function=info["function"],
                dtype=info["dtype"],
                n=int(info["n"]),
                mode=info["mode"],
                impl=info["impl"],
                label=info.get("label", info["impl"]),
                family=info.get("family", ""),
                seconds=_stat(b, stat),
                bytes_per_call=int(info["bytes_per_call"]),
            )
        )
    limits = {r.key: r.seconds for r in rows if r.impl == LIMIT}
    for r in rows:
        if r.key in limits:
            r.ratio = r.seconds / limits[r.key]
    return rows


def crossover(points: Iterable[tuple[int, float, float]]) -> int | None:
    """The smallest n from which on the parallel kernel is faster, from (n, serial, parallel).

    "From which on": faster at that n and at every larger n measured.  None when the parallel
    kernel is not faster at the largest n.
    """
    found = None
    for n, serial, parallel in sorted(points, reverse=True):
        if parallel < serial:
            found = n
        else:
            break
    return found


def crossover_tables(run: Run, stat: str = "median") -> dict[tuple, list[tuple[int, float, float]]]:
    """(function, dtype, mode) -> [(n, serial seconds, parallel seconds)] from kind=crossover."""
    times: dict[tuple, dict[int, dict[str, float]]] = {}
    for b in run.benchmarks:
        info = b.get("extra_info") or {}
        if info.get("kind") != "crossover":
            continue
        k = (info["function"], info["dtype"], info["mode"])
        times.setdefault(k, {}).setdefault(int(info["n"]), {})[info["impl"]] = _stat(b, stat)
    out = {}
    for k, by_n in times.items():
        pts = [
            (n, t["njit-serial"], t["njit-parallel"])
            for n, t in sorted(by_n.items())
            if "njit-serial" in t and "njit-parallel" in t
        ]
        if pts:
            out[k] = pts
    return out


def startup_rows(run: Run) -> list[dict]:
    rows = []
    for b in run.benchmarks:
        info = b.get("extra_info") or {}
        if info.get("kind") == "startup":
            s = b["stats"]
            rows.append(
                {
                    "what": info["what"],
                    "cache": info.get("cache", ""),
                    "median": s["median"],
                    "min": s["min"],
                    "max": s["max"],
                    "rounds": s["rounds"],
                }
            )
    return rows


def target_results(rows: list[Row]) -> list[dict]:
    """Each issue #3 target measured in this run (None where a group is missing)."""
    times = {(r.function, r.dtype, r.log2n, r.mode, r.impl): r.seconds for r in rows}
    out = []
    for t in TARGETS:
        num = times.get((t.function, t.dtype, t.log2n, t.mode, t.num))
        den = times.get((t.function, t.dtype, t.log2n, t.mode, t.den))
        # the suite times every call on data fetched from memory: not a cache-resident target
        ratio = num / den if num and den and not t.resident else None
        out.append(
            {
                "target": t,
                "ratio": ratio,
                "met": None if ratio is None else t.met(ratio),
            }
        )
    return out


# -- formatting ------------------------------------------------------------------------------
def fmt_time(s: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def fmt_gbs(bps: float) -> str:
    return f"{bps / 1e9:.3g}"


def fmt_ratio(r: float | None) -> str:
    return "n/a" if r is None else f"{r:.2f}×"


def fmt_n(n: int) -> str:
    k = math.log2(n)
    return f"2^{int(k)}" if k == int(k) else str(n)


def _table(header: list[str], body: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return lines


def machine_line(run: Run) -> str:
    mi = run.machine_info or {}
    env = run.env
    cpu = env.get("cpu") or (mi.get("cpu") or {}).get("brand_raw") or mi.get("processor", "?")
    cores = env.get("cores") or (mi.get("cpu") or {}).get("count", "?")
    parts = [f"{cpu}, {cores} cores"]
    if env.get("l3_bytes"):
        parts[-1] += f", L3 {env['l3_bytes'] >> 20} MiB"
    parts.append(f"Python {env.get('python') or mi.get('python_version', '?')}")
    for lib in ("numpy", "numba"):
        if lib in env:
            parts.append(f"{'NumPy' if lib == 'numpy' else 'Numba'} {env[lib]}")
    if "numba_threads" in env:
        parts.append(
            f"{env['numba_threads']} Numba threads ({env.get('numba_threading_layer', '?')})"
        )
    if env.get("env"):
        parts.append(" ".join(f"{k}={v}" for k, v in env["env"].items()))
    peers = [f"{p} {env[p]}" for p in ("torch", "numexpr", "jax") if p in env]
    if peers:
        parts.append("peers: " + ", ".join(peers))
    return "; ".join(parts)


def run_line(run: Run, stat: str) -> str:
    c = run.commit_info or {}
    commit = (c.get("id") or "?")[:10] + (" (dirty)" if c.get("dirty") else "")
    return f"Run {run.datetime or '?'}, commit {commit}; statistic: {stat} of the rounds."


def alpha_line(run: Run) -> str | None:
    """The alpha each activation with one ran at (``extra_info["alpha"]``), e.g. "alpha of
    each activation and its gradients: celu 1.7; elu 1."; None where the results carry
    none."""
    seen: dict[str, set] = {}
    for b in run.benchmarks:
        info = b.get("extra_info") or {}
        if info.get("kind") == "throughput" and info.get("activation") in ("elu", "celu"):
            seen.setdefault(info["activation"], set()).add(info.get("alpha"))
    parts = [
        f"{act} {', '.join(f'{a:g}' for a in sorted(v))}"
        for act, v in sorted(seen.items())
        if None not in v
    ]
    return (
        "alpha of each activation and its gradients: " + "; ".join(parts) + "." if parts else None
    )


def panel_keys(rows: list[Row], panels: Iterable[str]) -> list[tuple[str, str, str]]:
    """The (function, dtype, mode) panels asked for that have data (or the first 4 found)."""
    present = {(r.function, r.dtype, r.mode) for r in rows}
    keys = [tuple(p.split("/")) for p in panels]
    keys = [k for k in keys if k in present]
    if not keys:
        seen = []
        for r in rows:
            k = (r.function, r.dtype, r.mode)
            if k not in seen:
                seen.append(k)
        keys = seen[:4]
    return keys


def summary_table(rows: list[Row], function: str, dtype: str, mode: str) -> list[str]:
    """Implementations x sizes: GB/s moved and the ratio to the memory limit."""
    sel = [r for r in rows if (r.function, r.dtype, r.mode) == (function, dtype, mode)]
    sizes = sorted({r.n for r in sel})
    impls: list[str] = []
    labels = {}
    for r in sel:
        if r.impl not in impls:
            impls.append(r.impl)
            labels[r.impl] = r.label
    cell = {(r.impl, r.n): r for r in sel}
    body = []
    for impl in impls:
        line = [labels[impl]]
        for n in sizes:
            r = cell.get((impl, n))
            if r is None:
                line.append("–")
            elif impl == LIMIT:
                line.append(f"{fmt_gbs(r.bytes_per_s)}")
            else:
                line.append(f"{fmt_gbs(r.bytes_per_s)} ({fmt_ratio(r.ratio)})")
        body.append(line)
    title = f"### {function}, {dtype}, {MODE_WORDS.get(mode, mode)}"
    return [title, "", *_table(["GB/s (× memory-limit time)", *map(fmt_n, sizes)], body), ""]


PEERS = (("numpy", "the articles' NumPy formula"), ("torch", "PyTorch"))
PEER_FROM = 1 << 14  # smaller groups time the API's microseconds more than the loops


def peer_ratios(rows: list[Row], min_n: int = PEER_FROM) -> dict[tuple, list[tuple]]:
    """For each (peer, dtype class, kind, mode): the groups of at least ``min_n`` elements
    as (peer time / elu_numba time, group key), sorted: above 1 elu_numba is faster.  dtype
    class "float32/64" or "float16"; kind "activation" or "gradient"."""
    times = {(r.key, r.impl): r.seconds for r in rows}
    out: dict[tuple, list[tuple]] = {}
    for r in rows:
        if r.impl != "elu_numba" or r.n < min_n:
            continue
        for peer, _ in PEERS:
            t = times.get((r.key, peer))
            if t is None:
                continue
            dtc = "float16" if r.dtype == "float16" else "float32/64"
            kind = "gradient" if "_grad" in r.function else "activation"
            out.setdefault((peer, dtc, kind, r.mode), []).append((t / r.seconds, r.key))
    return {k: sorted(v) for k, v in sorted(out.items())}


def render_peers(rows: list[Row], min_n: int = PEER_FROM) -> list[str]:
    """The peers' time over elu_numba's, per kind of group: count, min, median, max and the
    group of the minimum."""
    ratios = peer_ratios(rows, min_n)
    if not ratios:
        return []
    names = dict(PEERS)
    body = []
    for (peer, dtc, kind, mode), rs in ratios.items():
        vals = [v for v, _ in rs]
        med = statistics.median(vals)
        f, dt, n, m = rs[0][1]
        body.append(
            [
                names[peer],
                dtc,
                kind,
                MODE_WORDS.get(mode, mode),
                str(len(vals)),
                fmt_ratio(vals[0]),
                fmt_ratio(med),
                fmt_ratio(vals[-1]),
                f"{f} {dt} {fmt_n(n)}",
            ]
        )
    header = ["peer", "dtypes", "kind", "mode", "groups", "min", "median", "max", "min at"]
    return [
        "## Against the peers",
        "",
        f"The peer's time over elu_numba's in each group of {fmt_n(min_n)} elements or more "
        "(above 1.00×, elu_numba is faster).",
        "",
        *_table(header, body),
        "",
    ]


def render_markdown(
    run: Run,
    stat: str = "median",
    panels: Iterable[str] = DEFAULT_PANELS,
    targets_json: dict | None = None,
    chart_name: str | None = "bench_chart.png",
) -> str:
    rows = throughput_rows(run, stat)
    out = ["# elu_numba benchmarks", "", machine_line(run) + ".", "", run_line(run, stat), ""]
    alphas = alpha_line(run)
    if alphas:
        out += [alphas, ""]
    if chart_name:
        out += [f"![throughput against array size]({chart_name})", ""]
    if rows:
        out += [
            "## Throughput",
            "",
            "Bytes moved per second (every input read once, the result written once) in GB/s; "
            "in parentheses the time over the time of the memory limit of the same group "
            "(a plain prange loop scaling the array, or multiplying two, with elu_numba's "
            "Numba options): 1.00× is at memory speed.",
            "",
        ]
        for key in panel_keys(rows, panels):
            out += summary_table(rows, *key)
        out += render_peers(rows)
    out += render_targets(rows, targets_json)
    out += render_startup(run)
    out += render_crossover(run, stat)
    if rows:
        out += ["## All results", "", "<details><summary>every group</summary>", ""]
        body = [
            [
                r.function,
                r.dtype,
                fmt_n(r.n),
                MODE_WORDS.get(r.mode, r.mode),
                r.label,
                fmt_time(r.seconds),
                f"{r.elements_per_s / 1e6:.4g}",
                fmt_gbs(r.bytes_per_s),
                "" if r.impl == LIMIT else fmt_ratio(r.ratio),
            ]
            for r in rows
        ]
        header = ["function", "dtype", "n", "mode", "implementation", "time", "Melem/s", "GB/s"]
        out += _table([*header, "× limit"], body)
        out += ["", "</details>", ""]
    return "\n".join(out).rstrip() + "\n"


def render_targets(rows: list[Row], targets_json: dict | None) -> list[str]:
    out = ["## Speed targets (issue #3)", ""]
    if targets_json is not None:
        out += [
            "Measured by `benchmarks/targets.py`, the two sides interleaved round by round"
            + (
                " (quick run: smaller sizes than the targets name)."
                if targets_json.get("quick")
                else "."
            ),
            "",
        ]
        body = []
        for t in targets_json.get("targets", []):
            measured = (
                f"skipped: {t.get('skipped', '?')}" if t["ratio"] is None else f"{t['ratio']:.2f}×"
            )
            body.append(
                [
                    t["description"],
                    t["case"],
                    f"{t['num']} / {t['den']}",
                    measured,
                    f"{t['op']} {t['value']}×",
                    _met(t["met"]),
                ]
            )
        for r in targets_json.get("rss", []):
            body.append(
                [
                    f"peak RSS growth of {r['call']}",
                    r["case"],
                    "growth / array bytes",
                    f"{100 * r['growth_fraction']:.2f}%",
                    "–" if r["goal"] is None else f"< {100 * r['goal']:.0f}%",
                    _met(r["met"]),
                ]
            )
        return out + _table(["target", "case", "ratio of", "measured", "goal", "met"], body) + [""]
    results = target_results(rows)
    if not any(r["ratio"] is not None for r in results):
        return []
    body = []
    for r in results:
        t = r["target"]
        if r["ratio"] is not None:
            measured = fmt_ratio(r["ratio"])
        else:
            measured = "targets.py only (in the cache)" if t.resident else "not in this run"
        met = _met(r["met"])
        case = t.case()
        body.append(
            [t.description, case, f"{t.num} / {t.den}", measured, f"{t.op} {t.value}×", met]
        )
    out += ["From the throughput groups of this run (time ratios).", ""]
    return out + _table(["target", "case", "ratio of", "measured", "goal", "met"], body) + [""]


def _met(met: bool | None) -> str:
    return "" if met is None else ("yes" if met else "**no**")


def render_startup(run: Run) -> list[str]:
    rows = startup_rows(run)
    if not rows:
        return []
    body = [
        [r["what"], r["cache"], fmt_time(r["median"]), fmt_time(r["min"]), str(r["rounds"])]
        for r in rows
    ]
    return [
        "## Import and compile time",
        "",
        "Measured inside a fresh interpreter each round: cold with an empty `NUMBA_CACHE_DIR` "
        "(everything compiles), warm with the package's own cache after one untimed run.",
        "",
        *_table(["what", "Numba cache", "median", "min", "rounds"], body),
        "",
    ]


def render_crossover(run: Run, stat: str) -> list[str]:
    tables = crossover_tables(run, stat)
    if not tables:
        return []
    env = run.env
    out = ["## Serial/parallel crossover", ""]
    if "parallel_threshold" in env:
        out += [
            f"`_cpu.PARALLEL_THRESHOLD` in this run: {fmt_n(int(env['parallel_threshold']))} "
            f"elements, {env.get('numba_threads', '?')} threads.",
            "",
        ]
    for (function, dtype, mode), pts in tables.items():
        c = crossover(pts)
        where = "never (serial is faster at every size)" if c is None else fmt_n(c)
        out += [f"### {function}, {dtype}, {MODE_WORDS.get(mode, mode)}: crossover {where}", ""]
        body = [[fmt_n(n), fmt_time(s), fmt_time(p), f"{p / s:.2f}"] for n, s, p in pts]
        out += _table(["n", "serial", "parallel", "parallel / serial"], body) + [""]
    return out


# -- the chart -------------------------------------------------------------------------------
def render_chart(run: Run, path: str | Path, stat: str = "median", panels=DEFAULT_PANELS):
    """Throughput (GB/s, log scale) against array size, a line per implementation."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = throughput_rows(run, stat)
    keys = panel_keys(rows, panels)
    if not keys:
        raise ValueError("no throughput results to draw")
    ncols = 2 if len(keys) > 1 else 1
    nrows = math.ceil(len(keys) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(7 * ncols, 4.6 * nrows), squeeze=False)
    impls = list(IMPL_ORDER)
    for r in rows:
        if r.impl not in impls and r.impl != LIMIT:
            impls.append(r.impl)
    cmap = plt.get_cmap("tab10")  # past ten implementations the colours repeat, dotted
    colors = {impl: cmap(i % 10) for i, impl in enumerate(impls)}
    dotted = {impl for i, impl in enumerate(impls) if i >= 10}
    handles, label_impl = {}, {}
    for ax, key in zip(axes.flat, keys, strict=False):  # spare axes stay empty
        sel = [r for r in rows if (r.function, r.dtype, r.mode) == key]
        by_impl: dict[str, list[Row]] = {}
        for r in sel:
            by_impl.setdefault(r.impl, []).append(r)
        for impl, rs in by_impl.items():
            rs.sort(key=lambda r: r.n)
            xs = [r.n for r in rs]
            ys = [r.bytes_per_s / 1e9 for r in rs]
            if impl == LIMIT:
                style = {"color": "black", "linestyle": "--", "linewidth": 2.5, "zorder": 5}
            else:
                is_ours = rs[0].family == "elu_numba"
                style = {
                    "color": colors[impl],
                    "linewidth": 2.0 if is_ours else 1.2,
                    "marker": "o" if is_ours else ".",
                    "linestyle": ":" if impl in dotted else "-",
                }
            (line,) = ax.plot(xs, ys, label=rs[0].label, **style)
            handles.setdefault(rs[0].label, line)
            label_impl[rs[0].label] = impl
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("array size (elements)")
        ax.set_ylabel("GB/s moved")
        ax.set_title(f"{key[0]}, {key[1]}, {MODE_WORDS.get(key[2], key[2])}")
        ax.grid(True, which="major", alpha=0.3)
    for ax in list(axes.flat)[len(keys) :]:
        ax.axis("off")
    rank = {impl: i for i, impl in enumerate([LIMIT, *impls])}
    labels = sorted(handles, key=lambda lab: rank.get(label_impl.get(lab, ""), len(rank)))
    fig.legend(
        [handles[lab] for lab in labels],
        labels,
        loc="lower center",
        ncol=min(6, len(handles)),
        fontsize="small",
        frameon=False,
    )
    fig.suptitle(f"elu_numba throughput ({stat}); dashed: memory limit\n{machine_line(run)}",
                 fontsize="small")  # fmt: skip
    fig.tight_layout(rect=(0, 0.05 + 0.02 * math.ceil(len(handles) / 6), 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# -- command line ----------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("json", nargs="+", help="pytest-benchmark --benchmark-json file(s)")
    ap.add_argument("--out-dir", default="docs", help="where to write the table and chart")
    ap.add_argument("--stat", default="median", choices=("median", "min", "mean"))
    ap.add_argument(
        "--panel",
        action="append",
        help="function/dtype/mode to summarize and draw (repeatable); "
        f"default: {' '.join(DEFAULT_PANELS)}",
    )
    ap.add_argument("--targets", help="JSON written by benchmarks/targets.py --json")
    ap.add_argument("--no-chart", action="store_true", help="write the table only")
    args = ap.parse_args(argv)
    run = load(args.json)
    panels = args.panel or DEFAULT_PANELS
    targets = json.loads(Path(args.targets).read_text()) if args.targets else None
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    chart = None if args.no_chart or not throughput_rows(run) else "bench_chart.png"
    md = render_markdown(run, args.stat, panels, targets, chart)
    (out / "bench_table.md").write_text(md)
    print(f"wrote {out / 'bench_table.md'}")
    if chart:
        render_chart(run, out / chart, args.stat, panels)
        print(f"wrote {out / chart}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
