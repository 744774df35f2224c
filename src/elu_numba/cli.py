"""The ``elu-numba`` command (also ``python -m elu_numba``).

* ``elu-numba`` or ``elu-numba demo``: the quick demonstration.  Runs every kernel on a built-in
  array, checks it against the high-precision reference of :mod:`elu_numba._registry` (max
  ULP error; exit status 1 if a check fails) and prints time, GB/s and the speed-up over the
  NumPy formula and over the ReLU baseline ``np.maximum(x, 0, out=x)``.
* ``elu-numba apply IN.npy -o OUT.npy --fn elu``: applies a function to a ``.npy`` file of any
  size, through memory maps, one chunk at a time, so memory use is bounded by the chunk size.
  The output is written to a temporary file beside it and renamed into place when complete.

Errors in the input give one line on stderr and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import math
import mmap
import os
import shutil
import sys
import tempfile
import time
import tokenize
from pathlib import Path

import numpy as np
import numpy.lib.format as npy_format

from . import __version__
from ._math import SELU_ALPHA, SELU_SCALE
from ._registry import ACTIVATIONS

PROG = "elu-numba"
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


class CliError(Exception):
    """A problem with the user's input: printed as one line, exit status 1."""


def _say(msg: str) -> None:
    print(f"{PROG}: {msg}", file=sys.stderr, flush=True)


# -- the parser ----------------------------------------------------------------------------
_APPLY_HELP = """\
Apply an activation to a .npy file of any size, chunk by chunk, through memory maps: memory
use is bounded by --chunk-mb, not by the file size.

With -o, the result goes to a temporary file in the output's folder, renamed to OUTPUT only
when complete (an existing OUTPUT is replaced); on an error or Ctrl-C nothing is written and
INPUT is untouched.  Float inputs keep their dtype; integer and bool inputs give float64
(or --dtype).

--in-place overwrites INPUT through a writable memory map and needs no extra disk space.  It
is the one exception to the above: an error or Ctrl-C part-way leaves INPUT partly
transformed.
"""


def _parser() -> argparse.ArgumentParser:
    names = sorted(ACTIVATIONS)
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Numba kernels for ELU, SELU, CELU and their gradients (ReLU baseline). "
        "With no subcommand, runs 'demo'.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", metavar="{demo,apply}")

    d = sub.add_parser(
        "demo",
        help="check and time every kernel on a built-in array (the default)",
        description="Check every kernel against the high-precision reference (max ULP error, "
        "exit status 1 if a check fails) and time it against the NumPy formula and the "
        "ReLU baseline np.maximum(x, 0, out=x).  The array is N(0, 3^2): half negative.",
    )
    d.add_argument("--size", type=_positive_int, default=1 << 24, help="values (default 2**24)")
    d.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    d.add_argument("--alpha", type=float, default=1.0, help="alpha of elu and celu (default 1)")
    d.add_argument("--repeat", type=_positive_int, default=5, help="timings, best kept (5)")
    d.add_argument(
        "--check-size",
        type=_positive_int,
        default=1 << 20,
        help="values checked against the reference, spread over the array (default 2**20)",
    )
    d.add_argument("--seed", type=int, default=0)
    d.set_defaults(run=_cmd_demo)

    a = sub.add_parser(
        "apply",
        help="apply an activation to a .npy file larger than memory",
        description=_APPLY_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    a.add_argument("input", metavar="INPUT.npy", help="the .npy file to read")
    where = a.add_mutually_exclusive_group(required=True)
    where.add_argument("-o", "--output", metavar="OUTPUT.npy", help="the .npy file to write")
    where.add_argument(
        "--in-place",
        action="store_true",
        help="overwrite INPUT; an interrupted run leaves it partly transformed",
    )
    a.add_argument("--fn", required=True, choices=names, help="the activation")
    a.add_argument("--alpha", type=float, help="alpha of elu (default 1) and celu (> 0)")
    a.add_argument(
        "--dtype",
        choices=["float16", "float32", "float64"],
        help="dtype of OUTPUT (default: INPUT's float dtype, float64 for integers)",
    )
    a.add_argument(
        "--chunk-mb", type=_positive_float, default=64.0, help="chunk size in MiB (default 64)"
    )
    a.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (there is none anyway unless stderr is a terminal and tqdm is "
        "installed)",
    )
    a.set_defaults(run=_cmd_apply)
    return p


def _positive_int(s: str) -> int:
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {s!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {v}")
    return v


def _positive_float(s: str) -> float:
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {s!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {s}")
    return v


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("demo", "apply", "-h", "--help", "--version"):
        argv.insert(0, "demo")  # options alone (``elu-numba --size 1000``) are the demo's
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:  # --help, --version, usage errors: argparse has printed them
        return e.code if isinstance(e.code, int) else 2
    try:
        return args.run(args)
    except CliError as e:
        _say(f"error: {e}")
        return 1
    except KeyboardInterrupt:
        _say("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # ``elu-numba | head``: stop quietly, as other tools do
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


# -- apply ---------------------------------------------------------------------------------
def _read_header(path: Path):
    """(shape, fortran_order, dtype, data offset, file size) of a .npy file, or CliError."""
    try:
        with open(path, "rb") as fh:
            prefix = fh.read(len(npy_format.MAGIC_PREFIX))
            if prefix != npy_format.MAGIC_PREFIX:
                what = "it is empty" if not prefix else "no .npy magic string"
                raise CliError(f"{path} is not a .npy file ({what})")
            fh.seek(0)
            try:
                version = npy_format.read_magic(fh)
                if version == (1, 0):
                    shape, fortran, dtype = npy_format.read_array_header_1_0(fh)
                elif version in ((2, 0), (3, 0)):  # 3.0 only allows utf-8 field names
                    shape, fortran, dtype = npy_format.read_array_header_2_0(fh)
                else:
                    raise CliError(f"{path}: unsupported .npy format version {version}")
            # numpy parses the header with tokenize: from Python 3.12 an unterminated string
            # there raises tokenize.TokenError (a SyntaxError before)
            except (
                ValueError,
                EOFError,
                SyntaxError,
                TypeError,
                KeyError,
                tokenize.TokenError,
            ) as e:
                detail = str(e).splitlines()[0] if str(e) else type(e).__name__
                raise CliError(f"{path}: truncated or corrupt .npy header ({detail})") from None
            offset = fh.tell()
            size = os.fstat(fh.fileno()).st_size
    except OSError as e:
        raise CliError(f"cannot read {path}: {e.strerror or e}") from None
    needed = offset + math.prod(shape) * dtype.itemsize
    if size < needed:
        raise CliError(
            f"{path} is truncated: its header says {dtype} {shape}, which needs {needed} bytes, "
            f"but the file has {size}"
        )
    return shape, fortran, dtype, offset, size


def _check_input_dtype(dtype: np.dtype, path: Path, in_place: bool) -> None:
    if dtype.hasobject:
        raise CliError(f"{path} holds Python objects (dtype {dtype}); only numbers can be used")
    if dtype.kind == "c":
        raise CliError(f"{path} has complex dtype {dtype}; the activations are real functions")
    if dtype.kind not in "fiub" or (dtype.kind == "f" and dtype.itemsize > 8):
        raise CliError(f"{path} has dtype {dtype}; use float16, float32, float64 or integers")
    if in_place and dtype.kind != "f":
        raise CliError(
            f"{path} has dtype {dtype}: --in-place needs a float file (the result is floating "
            "point); write a new file with -o"
        )


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


class _Pages:
    """Gives a memory map's pages back to the OS once a chunk is done (``MADV_DONTNEED``).

    Pages of a file mapping count in the resident set until the OS needs them back; dropping
    them keeps peak memory at about one chunk.  On a shared file mapping this loses nothing:
    the data, written or not yet, stays in the page cache and is re-read when touched.
    """

    def __init__(self, arr: np.ndarray):
        self.mm = None
        advice = getattr(mmap, "MADV_DONTNEED", None)
        base = arr.base
        while isinstance(base, np.ndarray):
            base = base.base
        if advice is None or not isinstance(base, mmap.mmap) or arr.size == 0:
            return
        start = np.frombuffer(base, dtype=np.uint8)  # where the mapping begins in memory
        self.skip = arr.ctypes.data - start.ctypes.data
        del start  # an exported buffer would keep the mapping from closing
        self.mm, self.advice, self.itemsize = base, advice, arr.dtype.itemsize

    def release(self, first: int, stop: int) -> None:
        if self.mm is None:
            return
        lo = self.skip + first * self.itemsize
        lo -= lo % mmap.PAGESIZE
        hi = min(self.skip + stop * self.itemsize, len(self.mm))
        with contextlib.suppress(OSError, ValueError):
            self.mm.madvise(self.advice, lo, hi - lo)


def _progress(total: int, desc: str, disable: bool):
    """A tqdm bar on a terminal when tqdm is installed, else a do-nothing stand-in."""
    if not disable and sys.stderr.isatty():
        try:
            from tqdm import tqdm
        except ImportError:
            pass
        else:
            return tqdm(
                total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024, leave=False
            )
    return contextlib.nullcontext(_NoBar())


class _NoBar:
    def update(self, n: int) -> None:
        pass


def _run_chunks(act, alpha, src: np.ndarray, dst: np.ndarray, chunk_bytes: int, bar_desc, quiet):
    """dst[...] = act(src) in memory order, ``chunk_bytes`` of src at a time."""
    order = "F" if dst.flags.f_contiguous and not dst.flags.c_contiguous else "C"
    s, d = src.reshape(-1, order=order), dst.reshape(-1, order=order)
    step = max(1, chunk_bytes // max(s.itemsize, d.itemsize))
    pages = [_Pages(s)] if src is dst else [_Pages(s), _Pages(d)]
    with _progress(s.nbytes, bar_desc, quiet) as bar:
        for first in range(0, s.size, step):
            stop = min(s.size, first + step)
            act.call(s[first:stop], alpha, out=d[first:stop])
            for p in pages:
                p.release(first, stop)
            bar.update((stop - first) * s.itemsize)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _cmd_apply(args) -> int:
    act = ACTIVATIONS[args.fn]
    src_path = Path(args.input)
    shape, fortran, dtype, offset, _ = _read_header(src_path)
    _check_input_dtype(dtype, src_path, args.in_place)
    if args.in_place:
        if args.dtype is not None and np.dtype(args.dtype) != dtype.newbyteorder("="):
            raise CliError(f"--in-place keeps the file's dtype ({dtype}); drop --dtype or use -o")
        out_dtype = dtype
    elif args.dtype is not None:
        out_dtype = np.dtype(args.dtype)
    else:
        out_dtype = dtype.newbyteorder("=") if dtype.kind == "f" else np.dtype(np.float64)
    alpha = _check_alpha(act, args.alpha, out_dtype)
    chunk_bytes = int(args.chunk_mb * (1 << 20))
    desc = f"{args.fn} {src_path.name}"

    if args.in_place:
        try:
            data = np.load(src_path, mmap_mode="r+")
        except OSError as e:
            raise CliError(f"cannot open {src_path} for writing: {e.strerror or e}") from None
        try:
            _run_chunks(act, alpha, data, data, chunk_bytes, desc, args.no_progress)
            if isinstance(data, np.memmap):
                data.flush()
        except KeyboardInterrupt:
            _say(f"interrupted: {src_path} is partly transformed (--in-place)")
            return EXIT_INTERRUPTED
        except OSError as e:
            raise CliError(
                f"writing {src_path} in place failed ({e.strerror or e}); it is partly transformed"
            ) from None
        return 0

    out_path = Path(args.output)
    if out_path.exists() and _same_file(out_path, src_path):
        raise CliError(f"the output {out_path} is the input file; use --in-place to overwrite it")
    if out_path.is_dir():
        raise CliError(f"the output {out_path} is a folder")
    folder = out_path.absolute().parent
    if not folder.is_dir():
        raise CliError(f"the output folder {folder} does not exist")
    nbytes = math.prod(shape) * out_dtype.itemsize
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        free = None
    if free is not None and free < nbytes + offset:
        raise CliError(
            f"not enough disk space in {folder}: {_size(nbytes + offset)} needed, "
            f"{_size(free)} free"
        )

    tmp = None
    try:
        fd, name = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".part", dir=folder)
        os.close(fd)
        tmp = Path(name)
        src = np.load(src_path, mmap_mode="r")
        dst = npy_format.open_memmap(
            tmp, mode="w+", dtype=out_dtype, shape=shape, fortran_order=fortran
        )
        _reserve(tmp)  # a full disk fails here, with ENOSPC, not later as SIGBUS in a write
        _run_chunks(act, alpha, src, dst, chunk_bytes, desc, args.no_progress)
        if isinstance(dst, np.memmap):
            dst.flush()
        del src, dst
        _fsync(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files; a new file gets the usual
        os.replace(tmp, out_path)
        tmp = None
    except KeyboardInterrupt:
        _say(f"interrupted: {out_path} not written, {src_path} untouched")
        return EXIT_INTERRUPTED
    except OSError as e:
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            raise CliError(f"no space left on the disk of {folder}; nothing written") from None
        where = f" ({e.filename})" if e.filename else ""
        raise CliError(f"cannot write {out_path}: {e.strerror or e}{where}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()
    return 0


def _reserve(path: Path) -> None:
    """Allocate the whole file now (where the OS can), so that a full disk shows as ENOSPC."""
    if not hasattr(os, "posix_fallocate"):
        return
    fd = os.open(path, os.O_RDWR)
    try:
        size = os.fstat(fd).st_size
        if size:
            try:
                os.posix_fallocate(fd, 0, size)
            except OSError as e:
                if e.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
                    raise
    finally:
        os.close(fd)


def _check_alpha(act, alpha, dtype: np.dtype) -> float:
    if alpha is not None and not act.has_alpha:
        raise CliError(f"--fn {act.name} takes no --alpha")
    alpha = 1.0 if alpha is None else alpha
    probe = np.zeros(1, dtype=dtype)
    try:
        act.call(probe, alpha, out=probe)  # the library's own validation, on one value
    except (TypeError, ValueError) as e:
        raise CliError(str(e)) from None
    return alpha


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError


# -- demo ----------------------------------------------------------------------------------
# The NumPy formulas of the gradients, as a user would write them in the array's dtype (the
# registry has the forward formula only).  g: incoming gradient, v: x or y, a: alpha.
_NUMPY_GRAD = {
    "elu_grad_x": lambda g, v, a: np.where(v > 0, g, g * a * np.exp(v)),
    "elu_grad_y": lambda g, v, a: np.where(v > 0, g, g * (v + a)),
    "selu_grad_x": lambda g, v, a: SELU_SCALE * np.where(v > 0, g, g * SELU_ALPHA * np.exp(v)),
    "selu_grad_y": lambda g, v, a: np.where(
        v > 0, SELU_SCALE * g, g * (v + SELU_SCALE * SELU_ALPHA)
    ),
    "celu_grad_x": lambda g, v, a: np.where(v > 0, g, g * np.exp(v / a)),
    "celu_grad_y": lambda g, v, a: np.where(v > 0, g, g * (v / a + 1)),
    "relu_grad_x": lambda g, v, a: np.where(v > 0, g, 0),
    "relu_grad_y": lambda g, v, a: np.where(v > 0, g, 0),
}

# Max ULP error allowed against the longdouble reference.  float32: the activations 1 ULP
# (SELU's bound in issue #3 is 2; it measures below 1), the gradients 2, the bound
# (from x they round float32's expm1(r) before the product: within 1.1 ULP, see
# _math.scaled_exp32).  float64 values carry the rounding of the
# constants (SELU_SCALE * SELU_ALPHA is itself rounded) and of a few operations: a few ULP.
# Gradients from y compute (y + alpha), whose error is absolute, so they are measured in ULP
# of the gradient's scale |g * f'(0+)|.
_ULP_LIMIT = {
    ("forward", 4): 1.0,
    ("grad", 4): 2.0,
    ("from_y", 4): 2.0,
    ("forward", 8): 3.0,
    ("grad", 8): 4.0,
    ("from_y", 8): 4.0,
}


def _ulp_error(got, ref, dtype: np.dtype, floor=None) -> float:
    """Max |got - ref| in units of the spacing of ``dtype`` at |ref| (at least at ``floor``)."""
    got = np.asarray(got).astype(np.longdouble)
    ref = np.asarray(ref, dtype=np.longdouble)
    with np.errstate(invalid="ignore", over="ignore"):
        scale = np.abs(ref).astype(dtype)
        if floor is not None:
            scale = np.maximum(scale, np.abs(floor).astype(dtype))
        err = np.abs(got - ref) / np.spacing(scale).astype(np.longdouble)
    err = np.where((got == ref) | (np.isnan(got) & np.isnan(ref)), 0, err)
    err = np.where(np.isnan(err), np.inf, err)
    return float(err.max(initial=0))


def _best(fn, repeat: int) -> float:
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def l3_bytes(base: str = "/sys/devices/system/cpu/cpu0/cache") -> int | None:
    """The size of the CPU's level-3 cache as Linux's sysfs reports it (for a VM: what the
    hypervisor reports), or None where it cannot be read."""
    try:
        for entry in sorted(os.listdir(base)):
            with open(os.path.join(base, entry, "level")) as f:
                if f.read().strip() != "3":
                    continue
            with open(os.path.join(base, entry, "size")) as f:
                size = f.read().strip()
            mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(size[-1], 1)
            return int(size.rstrip("KMG")) * mult
    except (OSError, ValueError):
        pass
    return None


def _cache_note(nbytes: int) -> str | None:
    """Whether the demo's timings measure memory or the cache: the bytes one call moves at
    most (the gradients: three arrays) against the L3, None where its size is unknown.  Each
    kernel is timed on the same arrays several times (best of --repeat), so arrays that fit
    stay in the cache from one call to the next."""
    l3 = l3_bytes()
    if l3 is None:
        return None
    moved, cache = f"{nbytes / 2**20:,.4g} MiB", f"{l3 / 2**20:,.4g} MiB"
    if nbytes <= l3:
        return (
            f"a call moves up to {moved}, which fits in this machine's {cache} L3: the times "
            f"are of the cache, not of memory (a larger --size times memory)"
        )
    return (
        f"a call moves up to {moved}, {nbytes / l3:.3g}x this machine's {cache} L3: the "
        f"times are mostly of memory"
    )


def _demo_rows(act, x, g, out, a, sample):
    """(label, ours, numpy formula, arrays moved, reference, ULP floor, from y) per kernel."""
    y = act.call(x, a)
    at = x.dtype.type(a)
    grad_ref = lambda: g[sample] * act.derivative(x[sample], a)  # noqa: E731
    slope = act.derivative(np.ones(1), a)[0]  # f'(0+): the scale of the gradient
    np_gx, np_gy = _NUMPY_GRAD[f"{act.name}_grad_x"], _NUMPY_GRAD[f"{act.name}_grad_y"]
    return [
        (act.name, lambda: act.call(x, a, out=out), lambda: act.numpy_formula(x, a), 2,
         lambda: act.reference(x[sample], a), None, False),
        (f"{act.name}_grad(x)", lambda: act.call_grad(g, a, x=x, out=out),
         lambda: np_gx(g, x, at), 3, grad_ref, None, False),
        (f"{act.name}_grad(y)", lambda: act.call_grad(g, a, y=y, out=out),
         lambda: np_gy(g, y, at), 3, grad_ref, g[sample] * slope, True),
    ]  # fmt: skip


def _cmd_demo(args) -> int:
    import numba

    dtype = np.dtype(args.dtype)
    n, alpha, repeat = args.size, args.alpha, args.repeat
    for name in ("elu", "celu"):
        _check_alpha(ACTIVATIONS[name], alpha, dtype)
    rng = np.random.default_rng(args.seed)
    x = rng.standard_normal(n, dtype=dtype.type)
    x *= 3  # a realistic spread of pre-activations, half of them negative
    g = rng.standard_normal(n, dtype=dtype.type)
    out = np.empty_like(x)
    sample = slice(0, None, max(1, n // args.check_size))
    scratch = x.copy()
    relu_base = _best(lambda: np.maximum(scratch, 0, out=scratch), repeat)

    print(
        f"elu_numba {__version__} demo: {n:,} {dtype} values ~ N(0, 3^2), alpha={alpha:g}, "
        f"numba {numba.__version__} on {numba.get_num_threads()} threads, best of {repeat}"
    )
    print(
        f"ULP errors on {x[sample].size:,} values against a longdouble reference; ReLU "
        f"baseline np.maximum(x, 0, out=x): {relu_base * 1e3:.2f} ms"
    )
    note = _cache_note(3 * x.nbytes)
    print(f"{note}\n" if note else "")
    head = f"{'kernel':<13}{'max ULP':>9}{'limit':>7}{'ms':>9}{'GB/s':>8}{'x NumPy':>9}"
    print(f"{head}{'x ReLU base':>13}  check", flush=True)
    failed = []
    for act in ACTIVATIONS.values():
        a = alpha if act.has_alpha else 1.0
        for label, ours, numpy_fn, arrays, ref, floor, from_y in _demo_rows(
            act, x, g, out, a, sample
        ):
            ours()  # compile (or load from the disk cache) and touch the pages of out
            t = _best(ours, repeat)
            t_np = _best(numpy_fn, min(repeat, 2))
            ours()
            kind = "from_y" if from_y else "forward" if arrays == 2 else "grad"
            limit = _ULP_LIMIT[kind, dtype.itemsize]
            err = _ulp_error(out[sample], ref(), dtype, floor)
            ok = err <= limit
            if not ok:
                failed.append(label)
            gbs = arrays * n * dtype.itemsize / t / 1e9
            print(
                f"{label:<13}{err:>9.2f}{limit:>7g}{t * 1e3:>9.2f}{gbs:>8.1f}"
                f"{t_np / t:>9.1f}{relu_base / t:>13.2f}  {'ok' if ok else 'FAILED'}",
                flush=True,
            )
    print()
    if failed:
        print(f"FAILED: {', '.join(failed)} above the ULP limit", flush=True)
        return 1
    print(f"all {3 * len(ACTIVATIONS)} kernels within their ULP limits", flush=True)
    return 0
