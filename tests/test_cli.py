"""The ``elu-numba`` command: the demo, ``apply`` on .npy files, and every error path."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import elu_numba as en
from elu_numba import cli

PY = sys.executable


def _write_big(path: Path, n: int, dtype=np.float32) -> np.ndarray:
    """A .npy file of n values written block by block (the test process never holds it)."""
    block = np.linspace(-8, 8, 1 << 20, dtype=dtype)
    with open(path, "wb") as f:
        header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype))}
        header.update(fortran_order=False, shape=(n,))
        np.lib.format.write_array_header_1_0(f, header)
        for first in range(0, n, block.size):
            f.write(block[: n - first].tobytes())
    return block


def _one_line_error(capsys, rc) -> str:
    out, err = capsys.readouterr()
    assert rc != 0
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("elu-numba: error: ")
    return err


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


@pytest.fixture
def x32(tmp_path) -> Path:
    path = tmp_path / "x.npy"
    np.save(path, np.linspace(-6, 6, 30_000, dtype=np.float32).reshape(300, 100))
    return path


# -- apply: results ------------------------------------------------------------------------
@pytest.mark.parametrize("fn", ["elu", "selu", "celu", "relu"])
def test_apply_writes_what_the_function_gives(x32, tmp_path, fn):
    out = tmp_path / "y.npy"
    alpha = ["--alpha", "1.5"] if fn in ("elu", "celu") else []
    rc = cli.main(["apply", str(x32), "-o", str(out), "--fn", fn, *alpha, "--chunk-mb", "0.01"])
    assert rc == 0
    x = np.load(x32)
    expect = getattr(en, fn)(x, 1.5) if alpha else getattr(en, fn)(x)
    got = np.load(out)
    assert got.dtype == x.dtype and got.shape == x.shape
    np.testing.assert_array_equal(got, expect)
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("array", "extra", "dtype"),
    [
        (np.asfortranarray(np.linspace(-3, 3, 600).reshape(20, 30)), [], np.float64),
        (np.arange(-5, 5, dtype=np.int16), [], np.float64),  # NumPy's rule: integers -> f8
        (np.arange(-5, 5, dtype=np.int64), ["--dtype", "float32"], np.float32),
        (np.linspace(-3, 3, 11).astype(">f8"), [], np.float64),  # byte-swapped input
        (np.linspace(-3, 3, 11).astype(np.float16), [], np.float16),
        (np.float32(-1.0), [], np.float32),  # 0-d
        (np.empty((0, 4), np.float32), [], np.float32),
    ],
    ids=["fortran", "int16", "int64-to-f4", "big-endian", "float16", "0d", "empty"],
)
def test_apply_layouts_and_dtypes(tmp_path, array, extra, dtype):
    src, out = tmp_path / "in.npy", tmp_path / "out.npy"
    np.save(src, array)
    assert cli.main(["apply", str(src), "-o", str(out), "--fn", "elu", *extra]) == 0
    got = np.load(out)
    assert got.dtype == dtype and got.shape == array.shape
    if array.ndim > 1:
        assert got.flags.c_contiguous == array.flags.c_contiguous
    np.testing.assert_array_equal(got, en.elu(array).astype(dtype))


def test_apply_replaces_an_existing_output_and_keeps_usual_permissions(x32, tmp_path):
    out = tmp_path / "y.npy"
    out.write_bytes(b"old")
    assert cli.main(["apply", str(x32), "-o", str(out), "--fn", "relu"]) == 0
    np.testing.assert_array_equal(np.load(out), en.relu(np.load(x32)))
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600


def test_apply_in_place(x32):
    before = np.load(x32)
    assert cli.main(["apply", str(x32), "--in-place", "--fn", "celu", "--alpha", "2"]) == 0
    np.testing.assert_array_equal(np.load(x32), en.celu(before, 2.0))
    assert _leftovers(x32.parent) == []


def test_apply_help_documents_the_in_place_exception(capsys):
    assert cli.main(["apply", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--in-place" in text and "partly transformed" in text


def test_help_lists_every_subcommand(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "demo" in out and "apply" in out


# -- apply: bad input gives one line and a non-zero exit -------------------------------------
def _corrupt_files(folder: Path) -> dict[str, Path]:
    good = folder / "good.npy"
    np.save(good, np.ones(1000, np.float32))
    data = good.read_bytes()
    files = {
        "missing": folder / "missing.npy",
        "folder": folder,
        "empty-file": folder / "empty.npy",
        "not-npy": folder / "text.npy",
        "short-header": folder / "short.npy",
        "garbled-header": folder / "garbled.npy",
        "truncated-data": folder / "trunc.npy",
        "object": folder / "object.npy",
        "complex": folder / "complex.npy",
        "structured": folder / "structured.npy",
        "strings": folder / "strings.npy",
        "longdouble": folder / "ld.npy",
    }
    files["empty-file"].write_bytes(b"")
    files["not-npy"].write_text("just some text, not an array\n")
    files["short-header"].write_bytes(data[:40])
    files["garbled-header"].write_bytes(data[:10] + b"{'descr': <f4, what" + data[29:200])
    files["truncated-data"].write_bytes(data[:1000])
    np.save(files["object"], np.array([1, "a"], dtype=object))
    np.save(files["complex"], np.ones(4, np.complex64))
    np.save(files["structured"], np.zeros(4, dtype=[("a", "f4"), ("b", "f4")]))
    np.save(files["strings"], np.array(["a", "b"]))
    np.save(files["longdouble"], np.ones(4, np.longdouble))
    return files


CORRUPT = [
    "missing", "folder", "empty-file", "not-npy", "short-header", "garbled-header",
    "truncated-data", "object", "complex", "structured", "strings", "longdouble",
]  # fmt: skip


@pytest.mark.parametrize("case", CORRUPT)
def test_bad_input_is_one_line(tmp_path, capsys, case):
    src = _corrupt_files(tmp_path)[case]
    out = tmp_path / "out.npy"
    rc = cli.main(["apply", str(src), "-o", str(out), "--fn", "elu"])
    err = _one_line_error(capsys, rc)
    assert "elu-numba: error:" in err
    assert not out.exists() and _leftovers(tmp_path) == []


def test_bad_input_messages_say_what_is_wrong(tmp_path, capsys):
    files = _corrupt_files(tmp_path)
    expect = {
        "missing": "No such file",
        "not-npy": "not a .npy file",
        "short-header": "corrupt .npy header",
        "garbled-header": "corrupt .npy header",
        "truncated-data": "truncated",
        "object": "object",
        "complex": "complex",
    }
    for case, words in expect.items():
        cli.main(["apply", str(files[case]), "-o", str(tmp_path / "o.npy"), "--fn", "elu"])
        assert words in capsys.readouterr().err, case


@pytest.mark.parametrize(
    "args",
    [
        ["--fn", "elu", "-o", "{x}"],  # output is the input
        ["--fn", "elu", "-o", "{dir}/./x.npy"],  # the same file, spelled differently
        ["--fn", "elu", "-o", "{dir}/link.npy"],  # a symlink to the input
        ["--fn", "elu", "-o", "{dir}/nowhere/y.npy"],
        ["--fn", "elu", "-o", "{dir}"],  # a folder
        ["--fn", "selu", "--alpha", "2", "-o", "{dir}/y.npy"],
        ["--fn", "celu", "--alpha", "0", "-o", "{dir}/y.npy"],
        ["--fn", "elu", "--alpha", "inf", "-o", "{dir}/y.npy"],
        ["--fn", "elu", "--in-place", "--dtype", "float64"],
        ["--fn", "elu", "--alpha", "1e39", "-o", "{dir}/y.npy"],  # beyond float32 (the file's)
        ["--fn", "celu", "--alpha", "1e-46", "--in-place"],  # 0 in float32
    ],
    ids=["same", "same-spelled", "symlink", "no-folder", "folder", "alpha-selu", "alpha-0",
         "alpha-inf", "in-place-dtype", "alpha-f32-inf", "alpha-f32-0"],
)  # fmt: skip
def test_bad_arguments_are_one_line(x32, capsys, args):
    (x32.parent / "link.npy").symlink_to(x32)
    before = x32.read_bytes()
    args = [a.format(x=x32, dir=x32.parent) for a in args]
    _one_line_error(capsys, cli.main(["apply", str(x32), *args]))
    assert x32.read_bytes() == before
    assert not (x32.parent / "y.npy").exists() and _leftovers(x32.parent) == []


def test_integer_file_in_place_is_refused(tmp_path, capsys):
    src = tmp_path / "i.npy"
    np.save(src, np.arange(10, dtype=np.int32))
    err = _one_line_error(capsys, cli.main(["apply", str(src), "--in-place", "--fn", "elu"]))
    assert "int32" in err and "-o" in err


def test_usage_errors_exit_2(x32, capsys):
    assert cli.main(["apply", str(x32), "--fn", "elu"]) == 2  # neither -o nor --in-place
    assert cli.main(["apply", str(x32), "-o", "y.npy", "--in-place", "--fn", "elu"]) == 2
    assert cli.main(["apply", str(x32), "-o", "y.npy", "--fn", "gelu"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_no_disk_space_is_checked_before_writing(x32, tmp_path, capsys, monkeypatch):
    usage = SimpleNamespace(total=10**12, used=10**12 - 1, free=1)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage)
    err = _one_line_error(capsys, cli.main(["apply", str(x32), "-o", "y.npy", "--fn", "elu"]))
    assert "disk space" in err
    assert _leftovers(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "posix_fallocate"), reason="needs posix_fallocate")
def test_disk_full_while_writing_leaves_nothing(x32, tmp_path, capsys, monkeypatch):
    def full(fd, offset, length):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "posix_fallocate", full)
    out = tmp_path / "y.npy"
    err = _one_line_error(capsys, cli.main(["apply", str(x32), "-o", str(out), "--fn", "elu"]))
    assert "no space left" in err
    assert not out.exists() and _leftovers(tmp_path) == []


def test_error_part_way_removes_the_temporary_file(x32, tmp_path, capsys, monkeypatch):
    calls = []

    def fail_on_third(first, stop):
        calls.append(first)
        if len(calls) == 3:
            raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(cli._Pages, "release", lambda self, a, b: fail_on_third(a, b))
    out = tmp_path / "y.npy"
    args = ["apply", str(x32), "-o", str(out), "--fn", "elu", "--chunk-mb", "0.01"]
    err = _one_line_error(capsys, cli.main(args))
    assert "cannot write" in err
    assert not out.exists() and _leftovers(tmp_path) == []


def test_keyboard_interrupt_in_process(x32, tmp_path, capsys, monkeypatch):
    before = x32.read_bytes()
    seen = []

    def interrupt(self, first, stop):
        seen.append(first)
        if len(seen) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(cli._Pages, "release", interrupt)
    out = tmp_path / "y.npy"
    rc = cli.main(["apply", str(x32), "-o", str(out), "--fn", "elu", "--chunk-mb", "0.01"])
    assert rc == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "not written" in err
    assert not out.exists() and _leftovers(tmp_path) == [] and x32.read_bytes() == before


# -- subprocesses: the real command, Ctrl-C, progress, memory ---------------------------------
def _cmd(*args: str) -> list[str]:
    return [PY, "-m", "elu_numba", *args]


def test_python_dash_m_apply_is_silent_when_piped(x32, tmp_path):
    out = tmp_path / "y.npy"
    r = subprocess.run(
        _cmd("apply", str(x32), "-o", str(out), "--fn", "elu"), capture_output=True, text=True
    )
    assert r.returncode == 0 and r.stdout == "" and r.stderr == ""  # no progress bar in a pipe
    np.testing.assert_array_equal(np.load(out), en.elu(np.load(x32)))


def test_console_script_reports_a_missing_file():
    exe = shutil.which("elu-numba")
    if exe is None:
        pytest.skip("the elu-numba console script is not on PATH")
    r = subprocess.run([exe, "apply", "nope.npy", "-o", "y.npy", "--fn", "elu"],
                       capture_output=True, text=True)  # fmt: skip
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        "elu-numba: error: cannot read nope.npy: No such file or directory"
    ]


# Slows each chunk down so that a signal surely lands part-way through.
_SLOW_MAIN = """
import sys, time
from elu_numba import cli
release = cli._Pages.release
def slow(self, first, stop):
    release(self, first, stop)
    time.sleep(0.002)
cli._Pages.release = slow
sys.exit(cli.main(sys.argv[1:]))
"""


@pytest.mark.parametrize("in_place", [False, True], ids=["output", "in-place"])
def test_ctrl_c_leaves_nothing_behind(tmp_path, in_place):
    src = tmp_path / "x.npy"
    _write_big(src, 1 << 22)
    before = src.read_bytes()
    out = tmp_path / "y.npy"
    where = ["--in-place"] if in_place else ["-o", str(out)]
    args = ["apply", str(src), *where, "--fn", "elu", "--chunk-mb", "0.05"]
    proc = subprocess.Popen([PY, "-c", _SLOW_MAIN, *args], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    if in_place:  # wait until the first values have changed
        fd = os.open(src, os.O_RDONLY)
        try:
            while os.pread(fd, 4, 128) == before[128:132]:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.01)
        finally:
            os.close(fd)
    else:  # wait for the temporary file
        while not _leftovers(tmp_path):
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.01)
    time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == 130
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert _leftovers(tmp_path) == []
    if in_place:
        assert "partly transformed" in err
    else:
        assert "not written" in err
        assert not out.exists() and src.read_bytes() == before


def test_progress_bar_on_a_terminal(x32, tmp_path):
    pytest.importorskip("tqdm")
    pty = pytest.importorskip("pty")
    import fcntl
    import struct
    import termios

    master, slave = pty.openpty()
    # a new pty is 0 x 0 characters, where tqdm draws nothing: make it 24 x 100
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    out = tmp_path / "y.npy"
    args = _cmd("apply", str(x32), "-o", str(out), "--fn", "elu", "--chunk-mb", "0.01")
    try:
        proc = subprocess.Popen(args, stderr=slave, stdout=subprocess.DEVNULL)
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        assert proc.wait(timeout=120) == 0
    finally:
        os.close(master)
    text = b"".join(chunks).decode(errors="replace")
    assert "elu x.npy" in text and "%|" in text
    np.testing.assert_array_equal(np.load(out), en.elu(np.load(x32)))


_PEAK_RSS = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)  # KiB on Linux
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss in KiB: Linux")
def test_peak_memory_is_bounded_by_the_chunk_not_the_file(tmp_path):
    n = 64 << 20  # 256 MiB of float32: 64 chunks of 4 MiB
    big, small = tmp_path / "big.npy", tmp_path / "small.npy"
    block = _write_big(big, n)
    np.save(small, block[: 1 << 16])  # large enough for the same (parallel) kernel

    def peak(src: Path) -> int:
        args = _cmd("apply", str(src), "-o", str(tmp_path / "out.npy"), "--fn", "elu",
                    "--chunk-mb", "4")  # fmt: skip
        r = subprocess.run([PY, "-c", _PEAK_RSS, *args], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        return int(r.stdout)

    try:
        base = peak(small)  # the interpreter, NumPy, Numba and the kernel: no data to speak of
        grown = peak(big) - base
        file_size = big.stat().st_size
        # Mapping the input and output whole and keeping their pages would add 2 * 256 MiB.
        assert grown < file_size // 4, (grown, base)
        out = np.load(tmp_path / "out.npy", mmap_mode="r")
        np.testing.assert_array_equal(out[: block.size], en.elu(block))
        np.testing.assert_array_equal(out[-block.size :], en.elu(block))
        del out
    finally:
        # 512 MiB on disk: pytest keeps the last three temporary folders, and the
        # tox environments run this test at once, so the files go as soon as it ends.
        for f in (big, tmp_path / "out.npy"):
            f.unlink(missing_ok=True)


# -- the demo ------------------------------------------------------------------------------
def test_demo_checks_and_times_every_kernel(capsys):
    rc = cli.main(["demo", "--size", "100000", "--repeat", "1"])
    out = capsys.readouterr().out
    assert rc == 0, out
    rows = [line for line in out.splitlines() if line.endswith(("ok", "FAILED"))]
    names = [r.split()[0] for r in rows]
    for act in ("elu", "selu", "celu", "relu"):
        assert {act, f"{act}_grad(x)", f"{act}_grad(y)"} <= set(names)
    assert all(r.endswith("ok") for r in rows)
    assert "GB/s" in out and "x NumPy" in out and "ReLU" in out


def test_demo_says_whether_it_times_the_cache_or_memory(capsys, monkeypatch, tmp_path):
    """The demo compares what one call moves (three arrays) with the L3 that sysfs reports,
    and says nothing where that size is unknown; ``l3_bytes`` reads the level-3 entry."""
    for level, size in (("1", "48K"), ("2", "2048K"), ("3", "32768K")):
        d = tmp_path / f"index{level}"
        d.mkdir()
        (d / "level").write_text(f"{level}\n")
        (d / "size").write_text(f"{size}\n")
    assert cli.l3_bytes(str(tmp_path)) == 32 << 20
    assert cli.l3_bytes(str(tmp_path / "missing")) is None
    size = 1 << 20  # float32: 12 MiB moved by a gradient's call
    for l3, want in (
        (
            32 << 20,
            "up to 12 MiB, which fits in this machine's 32 MiB L3: the times are of the cache",
        ),
        (4 << 20, "up to 12 MiB, 3x this machine's 4 MiB L3: the times are mostly of memory"),
        (None, None),
    ):
        monkeypatch.setattr(cli, "l3_bytes", lambda l3=l3: l3)
        assert cli.main(["demo", "--size", str(size), "--repeat", "1"]) == 0
        out = capsys.readouterr().out
        if want is None:
            assert "L3" not in out
        else:
            assert want in out


def test_demo_float64_and_options_without_subcommand(capsys):
    assert cli.main(["--size", "40000", "--dtype", "float64", "--repeat", "1"]) == 0
    assert "float64" in capsys.readouterr().out


def test_demo_fails_when_a_check_fails(capsys, monkeypatch):
    monkeypatch.setattr(cli, "_ULP_LIMIT", dict.fromkeys(cli._ULP_LIMIT, -1.0))
    rc = cli.main(["demo", "--size", "40000", "--repeat", "1"])
    assert rc == 1
    assert "FAILED" in capsys.readouterr().out


@pytest.mark.parametrize("alpha", ["-1", "1e39"])  # 1e39: beyond the float32 demo's range
def test_demo_rejects_a_bad_alpha(capsys, alpha):
    _one_line_error(capsys, cli.main(["demo", "--size", "1000", "--alpha", alpha]))


def test_python_dash_m_without_arguments_runs_the_demo():
    r = subprocess.run(_cmd("--size", "50000", "--repeat", "1"), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "all 12 kernels within their ULP limits" in r.stdout


@pytest.mark.slow
def test_python_dash_m_with_no_arguments_at_all():
    r = subprocess.run(_cmd(), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "16,777,216 float32 values" in r.stdout
