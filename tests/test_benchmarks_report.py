"""benchmarks/report.py: pytest-benchmark JSON -> markdown table and PNG chart."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "benchmarks" / "report.py"


def _load_report():
    spec = importlib.util.spec_from_file_location("elu_numba_bench_report", REPORT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


report = _load_report()


def _entry(name, group, median, extra, *, mn=None):
    mn = median * 0.9 if mn is None else mn
    stats = {
        "min": mn,
        "max": median * 1.5,
        "mean": median * 1.1,
        "stddev": median * 0.1,
        "rounds": 7,
        "median": median,
        "iqr": median * 0.05,
        "q1": median * 0.97,
        "q3": median * 1.02,
        "iqr_outliers": 0,
        "stddev_outliers": 1,
        "outliers": "1;0",
        "ld15iqr": mn,
        "hd15iqr": median * 1.5,
        "ops": 1 / (median * 1.1),
        "total": median * 7.7,
        "iterations": 3,
    }
    return {
        "group": group,
        "name": name,
        "fullname": f"benchmarks/bench_kernels.py::{name}",
        "params": None,
        "param": None,
        "extra_info": extra,
        "options": {"disable_gc": False, "timer": "perf_counter", "min_rounds": 5},
        "stats": stats,
    }


LABELS = {
    "memory-limit": ("memory limit (scale)", "limit"),
    "elu_numba": ("elu_numba", "elu_numba"),
    "numpy": ("NumPy where/exp-1", "numpy"),
    "torch": ("PyTorch", "peer"),
}


def _throughput(function, dtype, log2n, mode, impl, median, arity=1):
    itemsize = {"float16": 2, "float32": 4, "float64": 8}[dtype]
    n = 1 << log2n
    label, family = LABELS[impl]
    group = f"{function} {dtype} n=2^{log2n} {mode}"
    extra = {
        "kind": "throughput",
        "function": function,
        "dtype": dtype,
        "n": n,
        "log2n": log2n,
        "mode": mode,
        "impl": impl,
        "label": label,
        "family": family,
        "bytes_per_call": (arity + 1) * n * itemsize,
    }
    name = f"test_throughput[{function}-{dtype}-2pow{log2n}-{mode}-{impl}]"
    return _entry(name, group, median, extra)


def _crossover(n_log2, impl, median):
    extra = {
        "kind": "crossover",
        "function": "elu",
        "dtype": "float32",
        "mode": "inplace",
        "n": 1 << n_log2,
        "impl": impl,
    }
    return _entry(f"test_crossover[elu-float32-2pow{n_log2}-inplace-{impl}]", "x", median, extra)


def synthetic_run() -> dict:
    b = []
    # elu float32 in place at 2^20: limit 1 ms -> 8.39 GB/s; elu_numba 1.25x; torch 8x slower
    for impl, t in (("memory-limit", 1e-3), ("elu_numba", 1.25e-3), ("numpy", 5e-3)):
        b.append(_throughput("elu", "float32", 20, "inplace", impl, t))
    b.append(_throughput("elu", "float32", 20, "inplace", "torch", 1e-2))
    for impl, t in (("memory-limit", 2e-6), ("elu_numba", 3e-6), ("numpy", 9e-6)):
        b.append(_throughput("elu", "float32", 10, "inplace", impl, t))
    # elu float32 out of place at 2^12: elu_numba 2x slower than torch -> target not met
    for impl, t in (("memory-limit", 4e-6), ("elu_numba", 2e-5), ("torch", 1e-5)):
        b.append(_throughput("elu", "float32", 12, "out", impl, t))
    # a gradient group without a memory limit: ratio n/a
    b.append(_throughput("elu_grad_y", "float64", 14, "out", "elu_numba", 1e-4, arity=2))
    # crossover: parallel wins at 2^9, loses at 2^10, wins from 2^11 on -> crossover 2^11
    for k, s, p in ((8, 1.0, 3.0), (9, 2.0, 1.9), (10, 4.0, 4.5), (11, 8.0, 4.0), (12, 16, 9)):
        b.append(_crossover(k, "njit-serial", s * 1e-6))
        b.append(_crossover(k, "njit-parallel", p * 1e-6))
    b.append(
        _entry(
            "test_import_time[elu_numba]",
            "startup",
            0.25,
            {"kind": "startup", "what": "import elu_numba", "cache": ""},
        )
    )
    return {
        "machine_info": {
            "python_version": "3.11.7",
            "cpu": {"brand_raw": "Test CPU", "count": 2},
            "elu_numba_bench": {
                "cpu": "AMD EPYC test",
                "cores": 2,
                "l3_bytes": 32 << 20,
                "numpy": "2.4.6",
                "numba": "0.68.1",
                "numba_threads": 2,
                "parallel_threshold": 1 << 15,
                "torch": "2.13.0",
            },
        },
        "elu_numba_run": {"numba_threading_layer": "workqueue", "bench_time": 0.06},
        "commit_info": {"id": "0123456789abcdef", "dirty": True},
        "benchmarks": b,
        "datetime": "2025-01-01T00:00:00",
        "version": "5.2.3",
    }


@pytest.fixture
def results(tmp_path) -> Path:
    p = tmp_path / "results.json"
    p.write_text(json.dumps(synthetic_run()))
    return p


def _row(md: str, first_cell: str, section: str) -> list[str]:
    """The cells of the table row starting with first_cell in the section headed section."""
    part = md.split(section, 1)[1]
    for line in part.splitlines():
        if line.startswith(f"| {first_cell} |"):
            return [c.strip() for c in line.strip("|").split("|")]
    raise AssertionError(f"no row {first_cell!r} after {section!r}")


def test_ratios_and_throughput_from_the_chosen_statistic(results):
    run = report.load([results])
    rows = {(r.function, r.n, r.mode, r.impl): r for r in report.throughput_rows(run, "median")}
    elu = rows["elu", 1 << 20, "inplace", "elu_numba"]
    assert elu.ratio == pytest.approx(1.25)
    assert elu.bytes_per_s == pytest.approx(2 * 4 * 2**20 / 1.25e-3)
    assert elu.elements_per_s == pytest.approx(2**20 / 1.25e-3)
    assert rows["elu", 1 << 20, "inplace", "memory-limit"].ratio == pytest.approx(1.0)
    assert rows["elu", 1 << 12, "out", "torch"].ratio == pytest.approx(2.5)
    assert rows["elu_grad_y", 1 << 14, "out", "elu_numba"].ratio is None  # no limit measured
    # every statistic scales alike here (min = 0.9 median), so ratios stay, times change
    by_min = {(r.function, r.n, r.mode, r.impl): r for r in report.throughput_rows(run, "min")}
    assert by_min["elu", 1 << 20, "inplace", "elu_numba"].seconds == pytest.approx(1.125e-3)
    assert by_min["elu", 1 << 20, "inplace", "elu_numba"].ratio == pytest.approx(1.25)


def test_markdown_table_rows(results, tmp_path):
    out = tmp_path / "docs"
    assert report.main([str(results), "--out-dir", str(out), "--no-chart"]) == 0
    md = (out / "bench_table.md").read_text()
    assert "AMD EPYC test, 2 cores, L3 32 MiB" in md
    assert "2 Numba threads (workqueue)" in md  # from the run's own section
    assert "commit 0123456789 (dirty)" in md
    section = "### elu, float32, in place"
    assert _row(md, "GB/s (× memory-limit time)", section) == [
        "GB/s (× memory-limit time)",
        "2^10",
        "2^20",
    ]
    # 2 arrays x 4 bytes x 2^20 / 1 ms = 8.39 GB/s; 2^10: 8192 bytes / 2 us = 4.1 GB/s
    assert _row(md, "memory limit (scale)", section)[1:] == ["4.1", "8.39"]
    assert _row(md, "elu_numba", section)[1:] == ["2.73 (1.50×)", "6.71 (1.25×)"]
    assert _row(md, "PyTorch", section)[1:] == ["–", "0.839 (10.00×)"]
    assert _row(md, "elu_numba", "### elu, float32, out of place")[1:] == ["1.64 (5.00×)"]
    assert "bench_chart.png" not in md


def test_peer_section_counts_the_groups_from_2pow14(results, tmp_path):
    """The peers' time over elu_numba's, per peer, dtype class, kind and mode, from 2^14
    elements on: the synthetic run's 2^20 group counts (torch 8x, NumPy 4x), its 2^10 and
    2^12 groups do not; with several groups the median is the middle one, the minimum
    names its group."""
    run = json.loads(results.read_text())
    for log2n, t in ((16, 2e-3), (18, 1e-3)):  # two more float64 gradient groups
        run["benchmarks"] += [
            _throughput("elu_grad_x", "float64", log2n, "inplace", "elu_numba", 1e-3, arity=2),
            _throughput("elu_grad_x", "float64", log2n, "inplace", "torch", t, arity=2),
        ]
    run["benchmarks"].append(_throughput("elu", "float16", 14, "out", "torch", 1e-3))
    run["benchmarks"].append(_throughput("elu", "float16", 14, "out", "elu_numba", 5e-4))
    results.write_text(json.dumps(run))
    rows = report.throughput_rows(report.load([results]))
    got = report.peer_ratios(rows)
    assert {k: [round(v, 6) for v, _ in rs] for k, rs in got.items()} == {
        ("numpy", "float32/64", "activation", "inplace"): [4.0],
        ("torch", "float16", "activation", "out"): [2.0],
        ("torch", "float32/64", "activation", "inplace"): [8.0],
        ("torch", "float32/64", "gradient", "inplace"): [1.0, 2.0],
    }
    out = tmp_path / "docs"
    assert report.main([str(results), "--out-dir", str(out), "--no-chart"]) == 0
    md = (out / "bench_table.md").read_text()
    assert _row(md, "PyTorch", "## Against the peers") == [
        *("PyTorch", "float16", "activation", "out of place", "1"),
        *("2.00×", "2.00×", "2.00×", "elu float16 2^14"),
    ]
    lines = [ln for ln in md.splitlines() if ln.startswith("| PyTorch | float32/64 | gradient")]
    assert lines == [
        "| PyTorch | float32/64 | gradient | in place | 2 | 1.00× | 1.50× | 2.00× "
        "| elu_grad_x float64 2^18 |"
    ]


def test_targets_from_the_run(results):
    md = report.render_markdown(report.load([results]))
    section = "## Speed targets"
    rows = [line for line in md.split(section, 1)[1].splitlines() if line.startswith("| ")]
    cells = [[c.strip() for c in r.strip("|").split("|")] for r in rows]
    by_case = {(c[1], c[2]): c for c in cells}  # (case, ratio of)
    # the 2^20 rows are cache-resident targets: the suite's groups (data fetched from memory)
    # do not measure them, even where the run has those groups
    elu20 = "elu float32 2^20 in place"
    in_cache = ["targets.py only (in the cache)", ">= 8.0×", ""]
    assert by_case[elu20, "torch / elu_numba"][3:] == in_cache
    assert by_case[elu20, "torch / memory-limit"][3:] == in_cache
    spread = elu20 + ", each thread's share in its cache"  # the contrast rows
    assert by_case[spread, "torch / elu_numba"][3:] == in_cache
    assert by_case[spread, "torch / memory-limit"][3:] == in_cache
    out12 = ("elu float32 2^12 out of place", "torch / elu_numba")
    assert by_case[out12][3:] == ["0.50×", ">= 1.0×", "**no**"]
    assert by_case["elu float32 2^26 in place", "elu_numba / memory-limit"][3] == "not in this run"


def test_targets_json_from_targets_script(results):
    targets = {
        "quick": False,
        "targets": [
            {
                "description": "elu in place vs scale",
                "case": "elu float32 2^26 in place",
                "num": "elu_numba",
                "den": "memory-limit",
                "op": "<=",
                "value": 1.2,
                "ratio": 1.3456,
                "met": False,
            },
            {
                "description": "torch",
                "case": "elu float32 2^20 in place",
                "num": "torch",
                "den": "elu_numba",
                "op": ">=",
                "value": 8.0,
                "ratio": None,
                "met": None,
                "skipped": "torch is not installed",
            },
        ],
        "rss": [
            {
                "call": "elu_numba.elu(x, out=x)",
                "case": "float32 2^26",
                "growth_fraction": 0.0004,
                "goal": 0.01,
                "met": True,
            }
        ],
    }
    md = report.render_markdown(report.load([results]), targets_json=targets)
    assert "| elu in place vs scale | elu float32 2^26 in place | elu_numba / memory-limit | " \
        "1.35× | <= 1.2× | **no** |" in md  # fmt: skip
    assert "skipped: torch is not installed" in md
    assert "| peak RSS growth of elu_numba.elu(x, out=x) | float32 2^26 | growth / array bytes " \
        "| 0.04% | < 1% | yes |" in md  # fmt: skip


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        ([(256, 1.0, 3.0), (512, 2.0, 1.9), (1024, 4, 4.5), (2048, 8, 5), (4096, 16, 9)], 2048),
        ([(256, 1.0, 0.5), (512, 2.0, 1.0)], 256),
        ([(256, 1.0, 3.0), (512, 2.0, 2.5)], None),
        ([(512, 2.0, 1.0), (256, 1.0, 3.0)], 512),  # order of the points does not matter
        ([], None),
    ],
)
def test_crossover(points, expected):
    assert report.crossover(points) == expected


def test_crossover_and_startup_sections(results):
    md = report.render_markdown(report.load([results]))
    assert "### elu, float32, in place: crossover 2^11" in md
    assert "`_cpu.PARALLEL_THRESHOLD` in this run: 2^15 elements" in md
    assert _row(md, "2^11", "## Serial/parallel crossover")[1:] == ["8 µs", "4 µs", "0.50"]
    assert _row(md, "import elu_numba", "## Import and compile time")[2:] == [
        "250 ms",
        "225 ms",
        "7",
    ]


def test_later_file_replaces_earlier_and_bad_json(results, tmp_path):
    data = synthetic_run()
    for b in data["benchmarks"]:
        if b["extra_info"].get("impl") == "elu_numba" and b["extra_info"].get("n") == 1 << 20:
            b["stats"]["median"] = 2e-3
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(data))
    rows = report.throughput_rows(report.load([results, newer]))
    (elu,) = [r for r in rows if r.impl == "elu_numba" and r.n == 1 << 20]
    assert elu.ratio == pytest.approx(2.0)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"results": []}))
    with pytest.raises(ValueError, match="not a pytest-benchmark JSON"):
        report.load([bad])


def test_chart_png_written(results, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "docs"
    assert report.main([str(results), "--out-dir", str(out)]) == 0
    png = out / "bench_chart.png"
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 10_000
    import matplotlib.image

    h, w = matplotlib.image.imread(png).shape[:2]
    assert w > 700 and h > 400
    assert (
        "![throughput against array size](bench_chart.png)" in (out / "bench_table.md").read_text()
    )


def test_command_line(results, tmp_path):
    pytest.importorskip("matplotlib")
    res = subprocess.run(
        [sys.executable, str(REPORT), str(results), "--out-dir", str(tmp_path), "--stat", "min"],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "bench_chart.png").stat().st_size > 0
    assert "statistic: min" in (tmp_path / "bench_table.md").read_text()


@pytest.mark.slow
def test_real_run_end_to_end(tmp_path, monkeypatch):
    """A real (tiny) benchmark run through pytest-benchmark's JSON into the report (the
    -k pattern also picks CELU's and SELU's groups; the report names the alphas run)."""
    pytest.importorskip("pytest_benchmark")
    pytest.importorskip("matplotlib")
    js = tmp_path / "real.json"
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "benchmarks/bench_kernels.py",
            "-q",
            "-p",
            "no:cacheprovider",
            "--benchmark-enable",
            "--benchmark-only",
            "--bench-sizes=10",
            "--bench-time=0.01",
            "-k",
            "elu-float32-2pow10-inplace and (memory-limit or elu_numba or numpy)",
            f"--benchmark-json={js}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    run = report.load([js])
    rows = report.throughput_rows(run)
    assert {r.impl for r in rows} >= {"memory-limit", "elu_numba", "numpy"}
    assert all(r.ratio is not None and r.ratio > 0 for r in rows)
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import _harness as h

    want = f"celu {h.CELU_ALPHA:g}; elu {h.ALPHA:g}."
    assert report.alpha_line(run) == "alpha of each activation and its gradients: " + want
    assert report.main([str(js), "--out-dir", str(tmp_path / "docs")]) == 0
    assert want in (tmp_path / "docs" / "bench_table.md").read_text()
    assert (tmp_path / "docs" / "bench_chart.png").stat().st_size > 0


def test_resident_buffers_stay_in_the_cache(monkeypatch):
    """The cache-resident targets rotate through two copies and never flush the cache; a case
    whose copies do not fit in half the L3 is refused rather than timed from memory."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import numpy as np

    import _harness as h

    monkeypatch.setattr(h, "l3_bytes", lambda: 1 << 20)  # a 1 MiB L3
    flushed = []
    monkeypatch.setattr(h, "flush_caches", lambda: flushed.append(1))
    elu = h.find_function("elu")
    cold = h.Buffers(h.Case(elu, np.dtype("float32"), 14, True), h.Settings())
    warm = h.Buffers(h.Case(elu, np.dtype("float32"), 14, True), h.Settings(resident=True))
    assert (cold.k, warm.k) == (32, 2)  # 4x the L3 over 128 KiB moved per call; two copies
    cold.restore(0, 32)
    warm.restore(0, 2)
    assert flushed == [1]  # the cold rotation flushed, the resident one did not
    np.testing.assert_array_equal(warm.inputs[0][1], warm.pristine[0])
    with pytest.raises(h.Unsupported, match="does not fit in the cache"):
        h.Buffers(h.Case(elu, np.dtype("float32"), 16, True), h.Settings(resident=True))


def test_spread_buffers_are_restored_by_the_threads_from_a_tile(monkeypatch):
    """The spread rows' copies hold a tile repeated (so that each thread restores its share
    without reading another array), every restored copy equals the pristine input the check
    uses, and only resident in-place cases take the spread restore."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import numpy as np

    import _harness as h

    elu = h.find_function("elu")
    settings = h.Settings(resident=True, spread=True)
    b = h.Buffers(h.Case(elu, np.dtype("float32"), 14, True), settings)
    (p,) = b.pristine
    t = h.SPREAD_TILE
    np.testing.assert_array_equal(p.reshape(-1, t), np.broadcast_to(p[:t], (p.size // t, t)))
    assert np.unique(p[:t]).size > t // 2  # not a constant: distinct normal values
    assert b.k == 1  # one copy, restored before every call
    b.inputs[0][:] = np.nan
    b.restore(0, 1)
    np.testing.assert_array_equal(b.inputs[0], np.broadcast_to(p, b.inputs[0].shape))
    odd = np.full(1001, np.nan, np.float32)  # parts of unequal length, one per thread
    h._spread_fill(odd, p[:8])
    np.testing.assert_array_equal(odd, np.resize(p[:8], 1001))
    for case, s in (
        (h.Case(elu, np.dtype("float32"), 14, False), settings),
        (h.Case(elu, np.dtype("float32"), 14, True), h.Settings(spread=True)),
    ):
        with pytest.raises(h.Unsupported, match="spread restore"):
            h.Buffers(case, s)


def test_wakeup_script_calls_each_contender_in_place(monkeypatch, capsys):
    """benchmarks/wakeup.py: every contender works in place on the array it is given (else
    it would time a no-op), and its table has a row per contender and a column per gap."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import numpy as np

    import _harness as h
    import wakeup

    case = h.Case(h.find_function("elu"), np.dtype("float32"), 10, True)
    (x,) = h.pristine(case.func, case.dtype, case.log2n)
    rows = wakeup.contenders(case)
    assert [name for name, _ in rows][:2] == ["elu_numba", "memory limit (scale)"]
    for name, f in rows:
        a = x.copy()
        f(a)
        want = -x if name.startswith("memory") else np.where(x > 0, x, np.expm1(x))
        np.testing.assert_allclose(a, want, rtol=1e-5, atol=1e-7, err_msg=name)
    ts = wakeup.measure(rows[0][1], x, 0.0, calls=3)
    assert ts.shape == (3,) and (ts > 0).all()
    assert wakeup.main(["--log2n", "10", "--calls", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 + len(rows) and "back to back" in lines[1]


def test_wakeup_spin_counts_the_other_threads_cpu_time(monkeypatch, capsys):
    """``wakeup.py --spin``: ``other_threads_cpu_ns`` counts a thread that burns 50 ms of
    CPU and not the calling thread's own 100 ms; the script prints a line per contender."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import threading
    import time

    import wakeup

    def burn(seconds):
        t = time.thread_time()
        while time.thread_time() - t < seconds:
            pass

    before = wakeup.other_threads_cpu_ns()
    burn(0.1)  # this thread: not counted (OpenMP threads of earlier tests may spin ~10 ms)
    mine = wakeup.other_threads_cpu_ns() - before
    assert mine < 0.05e9
    done = threading.Event()  # the worker stays alive until read: /proc drops ended threads
    worker = threading.Thread(target=lambda: (burn(0.05), done.wait()))
    before = wakeup.other_threads_cpu_ns()
    worker.start()
    time.sleep(0.2)
    other = wakeup.other_threads_cpu_ns() - before
    done.set()
    worker.join()
    assert other >= 0.04e9, other
    monkeypatch.setattr(wakeup, "BUSY", 0.001)
    assert wakeup.main(["--log2n", "10", "--calls", "2", "--spin"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) >= 3 and all("other threads on the CPU" in x for x in lines[1:])


def test_interleaved_settles_with_untimed_rounds(monkeypatch):
    """``_harness.interleaved`` runs untimed rounds of a Bench for ``settle`` seconds (at
    least one) before each timed round, and returns the timed ones alone.  (A fake clock:
    each round takes 10 ms.)"""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import _harness as h

    clock = [0.0]
    monkeypatch.setattr(h.time, "perf_counter", lambda: clock[0])

    class FakeBench:
        def __init__(self, cost):
            self.cost, self.rounds = cost, 0

        def plan(self):
            return 5, 2

        def round(self, m):
            self.rounds += 1
            clock[0] += 0.01
            return self.cost * m

    for settle, per_timed in ((0.0, 2), (0.035, 5), (h.SETTLE, 4)):
        a, b = FakeBench(1.0), FakeBench(3.0)
        ta, tb = h.interleaved([a, b], 3, settle)
        assert (a.rounds, b.rounds) == (3 * per_timed, 3 * per_timed), settle
        assert list(ta) == [1.0] * 3 and list(tb) == [3.0] * 3


def test_poly_ab_loops_are_the_alpha_1_kernel(monkeypatch):
    """benchmarks/poly_ab.py times what elu_numba runs: its float64 loops with pairs of
    coefficients (with either clamp) give elu(x)'s bits, its Horner loop the same values to
    one step."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import numpy as np

    import elu_numba as en
    import poly_ab

    x = np.linspace(-45.0, 2.0, 4096)
    x[:4] = np.nan, -0.0, np.inf, -np.inf
    want = en.elu(x)
    got = {}
    for name, f in (
        ("pairs", poly_ab._unit(poly_ab.pairs)),
        ("float clamp", poly_ab._float_clamp(poly_ab._unit(poly_ab.pairs))),
        ("horner", poly_ab._unit(poly_ab._horner)),
    ):
        a = poly_ab._aligned(x.size, np.float64)
        a[:] = x
        poly_ab._loop(f, False)(a)
        got[name] = a
    np.testing.assert_array_equal(got["pairs"], want)
    np.testing.assert_array_equal(got["float clamp"], want)
    assert np.signbit(got["float clamp"][1])
    np.testing.assert_array_max_ulp(got["horner"], want, maxulp=1)

    # float32: the loop of h degree 4 is the kernel's (elu(x)'s bits); degree 5 is not
    x32 = x.astype(np.float32)
    want32 = en.elu(x32)
    got32 = {}
    for name, f in (
        ("degree 4", poly_ab._unit(poly_ab._horner)),
        ("degree 5", poly_ab._unit(poly_ab._horner, 7)),
    ):
        a = poly_ab._aligned(x32.size, np.float32)
        a[:] = x32
        poly_ab._loop(f, False)(a)
        got32[name] = a
    np.testing.assert_array_equal(got32["degree 4"], want32)
    assert not np.array_equal(got32["degree 5"], want32)
    np.testing.assert_array_max_ulp(got32["degree 5"], want32, maxulp=1)


def test_unit_alpha_times_both_kernels(monkeypatch):
    """benchmarks/unit_alpha.py times the alpha = 1 kernel against the general one: its
    alpha = 1 calls give elu(x)'s bits, its calls one step above 1 the general kernel's values
    (ELU's and CELU's differ at some inputs), each in place."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import numpy as np

    import elu_numba as en
    import unit_alpha

    assert np.float32(unit_alpha.ABOVE_ONE) > 1
    x = np.random.default_rng(5).normal(0.0, 3.0, 1 << 16).astype(np.float32)
    lean = en.elu(x).view(np.int32)
    for name in ("elu", "celu"):
        got = {}
        for label, f in unit_alpha.calls(name).items():
            a = x.copy()
            f(a)
            got[label] = a.view(np.int32)
        for lead in (f"{name}(x)", f"ufuncs.{name}(x, 1.0)"):
            np.testing.assert_array_equal(got[lead], lean)
        for lead in (name, f"ufuncs.{name}"):
            general = got[f"{lead}(x, 1 + 2^-23)"]
            assert (general != lean).any()
            ref = getattr(en, name)(x, unit_alpha.ABOVE_ONE).view(np.int32)
            np.testing.assert_array_equal(general, ref)


def test_ufunc_flags_script_spreads_its_arrays_and_runs(monkeypatch, capsys):
    """benchmarks/ufunc_flags.py puts its arrays 1 KiB apart modulo 4 KiB (plain fresh
    arrays doubled some of its timings, see ``_spread``), and prints a line per dtype and
    ufunc with both times and their ratio."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import numpy as np

    import ufunc_flags

    for dtype in (np.float32, np.float64):
        arrays = ufunc_flags._spread(1000, dtype, 4)
        assert [a.ctypes.data % 4096 for a in arrays] == [0, 1024, 2048, 3072]
        assert all(a.size == 1000 and a.dtype == dtype for a in arrays)
        assert not any(np.shares_memory(a, b) for a in arrays for b in arrays if a is not b)
    assert ufunc_flags.main(["--log2n", "16", "--rounds", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5 and "one NaN in 1000" in lines[0]
    for line in lines[1:]:
        words = line.split()
        clean, nan, ratio = float(words[4]), float(words[7]), float(words[9])
        # the ratio of the times, up to their printing (times to 0.1 µs, the ratio to 0.01).
        # No speed is asserted: CI runs envs side by side, and single runs there took 108x
        # and 0.006x the other side
        q = nan / clean
        assert clean > 0 and abs(q - ratio) <= 0.005 + q * (0.05 / clean + 0.05 / nan) + 1e-9


def test_cpu_ports_script_builds_every_loop_and_prints_them(monkeypatch, capsys):
    """benchmarks/cpu_ports.py: for AVX-512 and for AVX2 each pass holds the instructions
    its mix names (FMAs accumulate into one register each, so no pass waits on another's
    latency) and the FMA-pipe count of each loop is the one read from its assembly; on this
    machine the C program compiles and runs, and every loop's line is printed with a
    positive time.  Where the machine cannot run it (neither instruction set, no C
    compiler), it says so and exits 0."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import cpu_ports

    for isa in (cpu_ports.AVX512, cpu_ports.AVX2):
        named = cpu_ports.loops(isa)
        for name, mix in isa.mixes.items():
            body = named[name]
            assert len(body) == sum(mix.values()), (isa.name, name)
            fmas = [ins.split()[-1] for ins in body if ins.startswith("vfmadd")]
            assert len(fmas) == len(set(fmas)) == mix[isa.fma], (isa.name, name)
        # tools/loop_ops.py --fn elu-unit -v: 9 per vector (FMAs and the multiply)
        assert cpu_ports.fma_pipe_ops(isa.mixes["elu-unit loop now"], isa) == 9
    avx2 = cpu_ports.AVX2.mixes
    # tools/loop_ops.py --fn elu_grad_x-unit -v on AVX2, before and after 2026-12-07
    assert cpu_ports.fma_pipe_ops(avx2["elu_grad_x-unit before"], cpu_ports.AVX2) == 14
    assert cpu_ports.fma_pipe_ops(avx2["elu_grad_x-unit now"], cpu_ports.AVX2) == 11
    why = cpu_ports.unsupported()
    if why is not None:
        assert cpu_ports.main(["--iters", "20000"]) == 0
        assert why in capsys.readouterr().out
        pytest.skip(why)
    isa = cpu_ports.host_isa()
    ticks = cpu_ports.measure(20000, isa)
    assert set(ticks) == set(cpu_ports.loops(isa)) and all(t > 0 for t in ticks.values())
    assert cpu_ports.main(["--iters", "20000"]) == 0
    lines = [ln.split() for ln in capsys.readouterr().out.splitlines()]
    for name in [*isa.ops, *isa.mixes]:  # ops: sections 1 and 2; mixes: 3
        words = name.split()
        found = [ln for ln in lines if ln[: len(words)] == words]
        assert len(found) == (2 if name in isa.ops else 1), name
        assert all(math.isfinite(float(ln[len(words)])) for ln in found)


def test_vector_ir_script_checks_bits_and_times_its_variants(monkeypatch, capsys):
    """benchmarks/vector_ir.py: the hand-written bodies it calls exact give elu_numba.elu's
    bits on a sample of the negative float32 and the edge values, while the Estrin body,
    which rounds differently, does not (so the check can fail); every variant's line is
    printed with a time.  Without AVX-512F it says so and exits 0."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import vector_ir

    why = vector_ir.unsupported()
    if why is not None:
        assert vector_ir.main(["--reps", "2"]) == 0
        assert why in capsys.readouterr().out
        pytest.skip(why)
    for name in vector_ir.EXACT:
        assert (
            vector_ir.mismatches(vector_ir.passes(vector_ir.elu16(*vector_ir.VARIANTS[name])), 4099)
            == 0
        )
    assert vector_ir.mismatches(vector_ir.passes(vector_ir.elu16(True, False)), 4099) > 0
    few = ("fma", "scalef", "scalef estrin, no max (probe)")
    monkeypatch.setattr(vector_ir, "VARIANTS", {k: vector_ir.VARIANTS[k] for k in few})
    assert vector_ir.main(["--reps", "2"]) == 0
    out = capsys.readouterr().out
    assert "fma: 0 values differ" in out and "scalef: 0 values differ" in out
    timed = dict(re.findall(r"^ +(\S.*?) +([\d.]+) ns per element", out, re.MULTILINE))
    assert set(timed) == {"kernel loop (as compiled)", *few}
    assert all(float(ns) > 0 for ns in timed.values()), timed


def test_fresh_pages_script_restores_numpys_advice_and_prints_every_case(monkeypatch, capsys):
    """benchmarks/fresh_pages.py: a line per advice setting and case with a time, and NumPy's
    huge-page advice as it was afterwards (it is process-wide)."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import fresh_pages

    switch = fresh_pages._advice_switch()
    before = None if switch is None else switch(True)
    try:
        assert fresh_pages.main(["--log2n", "12", "--rounds", "2"]) == 0
        lines = [ln for ln in capsys.readouterr().out.splitlines() if "huge-page advice" in ln]
        assert len(lines) == 4 * (1 if switch is None else 2)
        assert all(math.isfinite(float(ln.split()[-1])) for ln in lines)
        if switch is not None:
            assert switch(True) is True  # left on, as it was
    finally:
        if switch is not None:
            switch(before)


def test_grad_blocks_script_times_the_kernel_and_its_halves(monkeypatch, capsys):
    """benchmarks/grad_blocks.py times the gradient kernel against the same loop around its
    variant alone and around the general function alone: on x in the variant's range the
    three give the kernel's bits (float32: the variant's; float64's variant gives the
    general bits there), and ``--cache`` prints a time for each, per dtype."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import numpy as np

    import elu_numba as en
    import grad_blocks

    rng = np.random.default_rng(3)
    for dtype in (np.float32, np.float64):
        x = rng.normal(0.0, 3.0, 4096).astype(dtype)
        g = rng.normal(0.0, 1.0, 4096).astype(dtype)
        want = en.elu_grad(g, x=x)
        got = {}
        for name, k in grad_blocks.kernels(False, "out").items():
            got[name] = np.empty_like(g)
            k(g, x, got[name], None)
        np.testing.assert_array_equal(got["the kernel (elu_grad)"], want)
        np.testing.assert_array_equal(got["variant alone"], want)
        close = dict(rtol=2.5e-7 if dtype == np.float32 else 5e-16)  # general: within 2 ULP
        np.testing.assert_allclose(got["general alone"], want, **close)
    grad_blocks.in_cache(rounds=1, log2n=10, calls=2)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 8 and "float32" in lines[0] and "float64" in lines[4]
    for line in lines[1:4] + lines[5:]:
        assert float(line.split()[-1]) > 0


def test_crossover_gap_script_forces_each_loop_and_restores_the_choice(
    monkeypatch, capsys, chosen_loops
):
    """benchmarks/crossover_gap.py times the API's serial and parallel loop by forcing
    ``_cpu.parallel_from``: each call of a mode runs that loop (a warm-up call, then the
    timed one), and the API's own choice is back afterwards."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import numba

    import crossover_gap
    from elu_numba import _cpu

    before = _cpu.parallel_from
    times = crossover_gap.measure(10, "none", 2)
    assert _cpu.parallel_from is before
    assert set(times) == {"serial", "parallel"}
    assert all(len(t) == 2 and min(t) > 0 for t in times.values())
    threads = numba.get_num_threads() > 1
    one_round = [("elu_grad_x", False)] * 2 + [("elu_grad_x", threads)] * 2
    assert chosen_loops == one_round * 2
    assert crossover_gap.main(["--gap", "busy", "--sizes", "10", "--rounds", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and "2^10 after a busy gap" in lines[0]
    assert "serial" in lines[0] and "parallel" in lines[0]


def test_compact_script_gives_the_kernels_bits_and_times_every_pass(monkeypatch, capsys):
    """benchmarks/compact.py: the packed loop (expm1 on the negative values only) gives
    elu_numba.elu's bits on every input and the edge values, and the script prints a
    positive time for each loop and pass on each input.  Where it cannot run it says so and
    exits 0: with an LLVM older than 19 (the intrinsic would compile to a call of address 0:
    a crash), or for an x86 CPU without AVX-512F (LLVM 22 aborts lowering the compress)."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import compact

    why = compact.unsupported()
    if why is not None:  # Numba 0.60's LLVM 14 (the ``min`` env), or AVX2 CPUs
        assert compact.main(["--reps", "3"]) == 0
        assert why in capsys.readouterr().out
        pytest.skip(why)
    assert compact.mismatches() == 0
    x = compact.inputs()["normal (half negative)"]
    assert compact.pack_passes(x.copy(), 1) == int((x < 0).sum())
    assert compact.main(["--reps", "3"]) == 0
    out = capsys.readouterr().out
    assert "packed loop: 0 values differ" in out
    lines = [ln.split() for ln in out.splitlines() if "ns per element" in ln]
    assert len(lines) == 3 * 4
    assert all(float(ln[ln.index("ns") - 1]) > 0 for ln in lines)


def test_api_cost_script_runs_each_call_once_warm_and_prints_its_time(monkeypatch, capsys):
    """benchmarks/api_cost.py prints one positive time per call it names, in its order:
    ten of elu_numba's, then PyTorch's two where it is installed."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import api_cost

    cases = api_cost.calls()
    torch = importlib.util.find_spec("torch") is not None
    assert len(cases) == 10 + 2 * torch
    assert all(name.startswith("PyTorch") == (i >= 10) for i, name in enumerate(cases))
    assert api_cost.main(["--number", "3", "--repeat", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.rsplit(None, 2)[0] for line in lines] == list(cases)
    assert all(float(line.split()[-2]) > 0 for line in lines)


def test_ufunc_sizes_script_compares_like_with_like(monkeypatch, capsys):
    """benchmarks/ufunc_sizes.py: each pair (ufunc, function) writes the same values into
    its output, and the script prints one line per case and size with both times."""
    import numpy as np

    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import ufunc_sizes

    for name, dtype in ufunc_sizes.CASES:
        u, f = ufunc_sizes.pair(name, dtype, 1000)
        got = [np.array(call(), copy=True) for call in (u, f)]
        assert got[0].dtype == dtype
        np.testing.assert_array_equal(got[0], got[1])
    assert ufunc_sizes.main(["--sizes", "10-11", "--rounds", "2"]) == 0
    assert ufunc_sizes.main(["--sizes", "10", "--rounds", "2", "--alone"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 * len(ufunc_sizes.CASES)
    assert all("ufunc" in line and "function" in line and line.endswith("x") for line in lines)


def test_celu_is_benchmarked_at_an_alpha_of_its_own(monkeypatch):
    """At alpha = 1 CELU runs ELU's kernel (in elu_numba and PyTorch): its benchmark groups
    would time ELU again.  ELU keeps the frameworks' default of 1."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import _harness as h

    alphas = {f.name: f.alpha for f in h.FUNCTIONS}
    assert alphas["elu"] == alphas["elu_grad_x"] == 1.0
    assert alphas["celu"] == alphas["celu_grad_x"] == alphas["celu_grad_y"] != 1.0
    celu = next(f for f in h.FUNCTIONS if f.name == "celu")
    assert celu.kernel_alpha == celu.alpha


def test_scalar_loops_script_compares_like_with_like(monkeypatch, capsys):
    """benchmarks/scalar_loops.py: the user's loop over each scalar function and the kernel
    it is timed against write the same values (the scalar functions run the kernels' math:
    the same bits, but for float32 CELU's gradient from x, whose kernel runs a float32-only
    loop on blocks in range, one float step away in places), and it prints one line per
    function and dtype with both times."""
    import numpy as np

    from elu_numba import scalar

    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import scalar_loops

    rng = np.random.default_rng(0)
    for name in scalar.__all__:
        loop = scalar_loops.user_loop(name)
        for dt in (np.float32, np.float64):
            calls, out = scalar_loops.sides(name, loop, dt, 1000, rng)
            got = []
            for f in calls.values():
                out[:] = np.nan
                f()
                got.append(out.copy())
            if name == "celu_grad_x" and dt == np.float32:  # the float32-only loop
                np.testing.assert_allclose(got[0], got[1], rtol=2.4e-7, atol=0)  # 2 ULP
            else:
                np.testing.assert_array_equal(got[0], got[1])
    for wrapper in ("njit", "always"):  # through a user's wrapper: the same values
        for name in ("celu", "elu_grad_x", "relu_grad_y"):
            loops = [scalar_loops.user_loop(name, w) for w in ("none", wrapper)]
            got = []
            for loop in loops:
                calls, out = scalar_loops.sides(
                    name, loop, np.float64, 300, np.random.default_rng(5)
                )
                calls["user"]()
                got.append(out.copy())
            np.testing.assert_array_equal(got[0], got[1])
    assert scalar_loops.main(["--n", "256", "--reps", "2", "--fn", "elu", "celu_grad_y"]) == 0
    lines = capsys.readouterr().out.splitlines()[1:]
    assert [line.split()[:2] for line in lines] == [
        [n, d] for n in ("elu", "celu_grad_y") for d in ("float32", "float64")
    ]
    assert all(line.endswith("x") and float(line.split()[2]) > 0 for line in lines)


def test_targets_script_prints_both_times_beside_each_ratio(monkeypatch):
    """benchmarks/targets.py prints each side's time (ms) beside the ratio, so a run's
    console output says which side moved; a skipped row says why."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import targets

    row = {
        "case": "elu float64 2^25 in place",
        "num": "elu_numba",
        "den": "memory-limit",
        "op": "<=",
        "value": 1.3,
        "ratio": 11.57 / 9.95,
        "met": True,
        "num_s": 0.01157,
        "den_s": 0.00995,
    }
    assert targets._line(row) == (
        "elu float64 2^25 in place: elu_numba / memory-limit = 1.16 "
        "(11.57 / 9.95 ms; goal <= 1.3, met)"
    )
    skipped = {**row, "ratio": None, "skipped": "PyTorch is not installed"}
    assert targets._line(skipped).endswith("skipped (PyTorch is not installed)")


def test_targets_divide_by_the_faster_of_two_limit_loops(monkeypatch):
    """A target against the memory limit times two limit loops in the same rounds (the
    blocked loop with its prefetch and a plain prange loop) and divides by the faster,
    whichever it is; the row and the console line keep both times.  Other targets time
    their two sides alone.  (Bench and the timing are replaced by recorders.)"""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import _harness as h
    import report
    import targets

    made = []

    class FakeBench:
        def __init__(self, case, impl, settings):
            made.append(impl.id)

        def verify(self):
            pass

    monkeypatch.setattr(h, "Bench", FakeBench)
    memory = next(t for t in report.TARGETS if t.den == report.LIMIT and not t.resident)
    peer = next(t for t in report.TARGETS if t.num == "torch" and t.den == "elu_numba")
    times = {}

    def fake_interleaved(benches, rounds, settle=0.0):
        assert settle == h.SETTLE  # targets.py lets the other side's threads settle
        return [[times[i]] * rounds for i in made]

    monkeypatch.setattr(h, "interleaved", fake_interleaved)
    for blocked, plain in ((2.5, 2.0), (2.0, 2.5)):
        times.update({"elu_numba": 3.0, "memory-limit": blocked, "memory-limit-plain": plain})
        made.clear()
        row = targets.measure_target(memory, quick=True, rounds=3, settings=h.Settings())
        assert made == ["elu_numba", "memory-limit", "memory-limit-plain"]
        assert row["den_s"] == 2.0 and row["ratio"] == 1.5
        assert row["limit_s"] == {"memory-limit": blocked, "memory-limit-plain": plain}
        loops = f"memory-limit {blocked * 1e3:.4g}, memory-limit-plain {plain * 1e3:.4g} ms"
        assert f"limit loops: {loops}; goal" in targets._line(row)
    times.update({"torch": 8.0, "elu_numba": 2.0})
    made.clear()
    row = targets.measure_target(peer, quick=True, rounds=3, settings=h.Settings())
    assert made == ["torch", "elu_numba"] and "limit_s" not in row and row["ratio"] == 4.0


def test_targets_script_runs_only_the_sizes_asked_for(monkeypatch, capsys):
    """``targets.py --log2n 20`` measures the 2^20 rows (both placements) and no RSS check;
    with no ``--log2n`` every row and check.  (The measurements are replaced by recorders.)"""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import report
    import targets

    seen = []

    def fake_target(t, quick, rounds, settings):
        seen.append(t)
        return {"case": t.case(), "num": t.num, "den": t.den, "ratio": None, "skipped": "-"}

    def fake_rss(what, dtype, log2n, stmt, goal, quick):
        seen.append(log2n)
        return {"call": what, "growth_fraction": 0.0}

    monkeypatch.setattr(targets, "measure_target", fake_target)
    monkeypatch.setattr(targets, "measure_rss", fake_rss)
    monkeypatch.setattr(report, "render_targets", lambda rows, out: [])
    assert targets.main(["--log2n", "20"]) == 0
    want = [t for t in report.TARGETS if t.log2n == 20]
    assert seen == want and len(want) == 4 and sum(t.spread for t in want) == 2
    seen.clear()
    assert targets.main([]) == 0
    assert seen == [*report.TARGETS, *(c[2] for c in targets.RSS_CHECKS)]
    capsys.readouterr()


def test_prefetch_script_refreshes_each_copy_unless_told_not_to(monkeypatch, capsys):
    """benchmarks/prefetch.py calls every loop on each of its ``--copies`` copies, each
    refreshed from the input just before the call (``--spread``: by Numba's threads, from
    the tile the input then repeats); with ``--no-refresh`` each loop but the gradients
    (``elu_grad_y``, ``elu_grad_x``) has copies of its own and a call finds what the
    loop's previous call on that copy left.  It prints a row per prefetch distance.  (The
    loops are replaced by recorders: the real ones compile for minutes.)"""
    import numpy as np

    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    # the script points NUMBA_CACHE_DIR at a fresh directory when imported: put back after
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    import prefetch

    first, held = {}, []  # each copy's contents at its first call (a warm-up: refreshed)

    def recorder(x, *rest):
        src = first.setdefault((x.ctypes.data, x.dtype.char), x.copy())
        held.append(bool(np.array_equal(x, src)))
        x *= 2  # as a kernel in place would: the copy no longer holds the input

    monkeypatch.setattr(prefetch, "build", lambda a, p: {n: (recorder, n) for n in prefetch.LOOPS})
    monkeypatch.setattr(prefetch, "_caller", lambda k, kind, x, y, src, dtype: lambda: k(x))
    monkeypatch.setattr(prefetch, "_plain_scale", recorder)
    # one pass per dtype, and Numba's own thread count left alone
    fake = SimpleNamespace(
        get_num_threads=lambda: 1, set_num_threads=lambda n: None, config=prefetch.numba.config
    )
    monkeypatch.setattr(prefetch, "numba", fake)
    monkeypatch.setattr(prefetch.h, "SPREAD_TILE", 16)  # --spread: the input repeats 16 values
    copies, rounds = 3, 2
    for refresh, how in ((True, []), (False, ["--no-refresh"]), (True, ["--spread"])):
        first.clear()
        held.clear()
        argv = ["--log2n", "6", "--rounds", str(rounds), "--copies", str(copies)]
        argv += ["--ahead", "none", "1024"] + how
        assert prefetch.main(argv) == 0
        tiled = [np.array_equal(x, np.resize(x[:16], x.size)) for x in first.values()]
        assert all(tiled) if how == ["--spread"] else not any(tiled)
        grads = sum("_grad_" in n for n in prefetch.LOOPS)  # left out by --no-refresh
        loops = 2 * (len(prefetch.LOOPS) - grads * (not refresh)) + 1  # 2 distances, plain scale
        per_dtype = loops * copies * (1 + rounds)  # the warm-up, then the rounds
        assert len(held) == 2 * per_dtype
        assert len(first) == 2 * copies * (1 if refresh else loops)
        timed = [h for i, h in enumerate(held) if i % per_dtype >= loops * copies]
        assert all(timed) if refresh else not any(timed)
        out = capsys.readouterr().out
        assert len(re.findall(r"^(none|1024) ", out, re.M)) == 2 * 2  # per dtype


def test_tree_ab_compares_two_trees_in_one_process(monkeypatch, capsys, tmp_path):
    """benchmarks/tree_ab.py imports another tree's package under its own name (a separate
    module, not this tree's), runs both kernels on the same values and reports whether
    their bits agree: this tree against a copy of itself agrees, and against a copy whose
    ELU kernel is changed it does not.  A directory without the package is refused."""
    import numpy as np

    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    # the script points NUMBA_CACHE_DIR at a fresh directory: restored after the test
    monkeypatch.setenv("NUMBA_CACHE_DIR", os.environ.get("NUMBA_CACHE_DIR", ""))
    import tree_ab
    from elu_numba import _cpu

    with pytest.raises(SystemExit, match="no elu_numba package"):
        tree_ab.import_tree(str(tmp_path))
    from elu_numba import _options

    locators = list(_options._impl._locator_classes)
    base = tree_ab.import_tree(str(ROOT / "src"), "elu_numba_tree_ab_same")
    assert base.__name__ == "elu_numba_tree_ab_same._cpu" and base is not _cpu
    # Numba's cache locators as they were (this package's first: test_compiled checks it)
    assert _options._impl._locator_classes == locators
    args = SimpleNamespace(size=64, reps=2, rounds=2)
    same = tree_ab.compare(base, _cpu, "elu", np.dtype("float64"), 1.7, args)
    assert same["same_bits"] and same["base"] > 0 and same["new"] > 0
    # a copy whose ELU returns x + 1 where x > 0: other bits
    src = tmp_path / "src"
    (src / "elu_numba").mkdir(parents=True)
    for f in (ROOT / "src" / "elu_numba").glob("*.py"):
        text = f.read_text()
        if f.name == "_math.py":
            old = "    return from_bits(vb ^ flip if (vb & ~sign) == 0 else vb, v)"
            assert old in text
            text = text.replace(
                old, "    return from_bits(vb ^ flip if (vb & ~sign) == 0 else vb, v) + 1"
            )
        (src / "elu_numba" / f.name).write_text(text)
    other = tree_ab.import_tree(str(src), "elu_numba_tree_ab_other")
    assert _options._impl._locator_classes == locators
    assert not tree_ab.compare(other, _cpu, "elu", np.dtype("float64"), 1.7, args)["same_bits"]
    assert tree_ab.compare(other, _cpu, "elu_grad_y", np.dtype("float64"), 1.7, args)["same_bits"]


def test_grad_ab_rebuilds_the_old_loop(monkeypatch, capsys):
    """benchmarks/grad_ab.py: its float64 'old' function gives the current kernel's bits (the
    select it had is gone, not the math), its float32 one (at alpha = 1 and 1.7) differs
    from it only by the polynomial (within 1 float step), the current one is what
    ``elu_grad(g, x=x, alpha=alpha)`` gives,
    and the smoke run prints a line per dtype and size with both timings."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import numpy as np

    import elu_numba as en
    import grad_ab

    for dtype, alpha in (("float32", None), ("float64", None), ("float32", np.float32(1.7))):
        g, x = grad_ab.inputs(dtype, 4096)
        x[:4] = [0.0, -0.0, 5.0, -60.0]
        g[:2] = [-0.0, 0.0]
        out = {}
        for name, k in grad_ab.kernels(dtype, False).items():
            out[name] = np.empty_like(x)
            k(g, x, out[name], alpha)
        bits = f"i{x.itemsize}"
        want = en.elu_grad(g, x=x, alpha=1.0 if alpha is None else alpha)
        np.testing.assert_array_equal(out["now"].view(bits), want.view(bits))
        steps = np.abs(out["old"].view(bits).astype(np.int64) - out["now"].view(bits))
        assert steps.max() == 0 if dtype == "float64" else 0 < steps.max() <= 1
    assert grad_ab.main(["--quick", "--rounds", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and all("old: median" in ln and "now: median" in ln for ln in lines)
    assert sum("same bits" in ln for ln in lines) >= 2  # float64's
