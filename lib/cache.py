"""Results cache: one small JSON file per experiment point, keyed by its full configuration.

The key is a SHA-256 of the canonical JSON of the configuration (experiment name, profile, device,
every parameter and seed, and the hash of the code that computes it: `code_version(module)`) plus the
torch and numpy versions, so a changed parameter, device, library or code recomputes. The code hash of
an experiment covers its module and the `lib` modules it imports, transitively (a static walk of the
imports with `ast`): editing `lib/plotting.py` does not recompute an experiment that never imports it.
A configuration without a "code" entry is keyed with the hash of all of `lib/`. Each file also records the library versions, the device and the wall
time. Writes go to a temporary file that is renamed into place (atomic), and every file carries a
checksum of its content: a truncated or corrupt entry reads as missing and is recomputed, and so does
anything that is no regular file (a symlink is never followed), a file above MAX_ENTRY_BYTES, or one
that cannot be read. A process that computes a point can hold `lock(config)` (an fcntl lock released by
the kernel even when the process is killed, never passed on to a forked child), so a second process
running the same sweep waits for the entry instead of computing it again. The code hash of a module
that reads a data file (`DATA_FILES`: lib/mnist.py reads data/mnist.npz) also covers that
file's bytes, so a result is never served from a cache filled with another version of the data. A
cache directory that cannot be written raises `CacheError` (an OSError) with one line saying what is
wrong. No pickle: entries are plain JSON, and tables hold only bools, numbers and strings.
"""

from __future__ import annotations

import ast
import contextlib
import datetime as _dt
import hashlib
import importlib.util
import json
import os
import platform
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from lib._checks import show

try:  # POSIX; elsewhere `lock` is a no-op and the atomic rename alone keeps entries whole
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

FORMAT = 1
CELL_TYPES = (bool, int, float, str, type(None))  # what a table cell may hold (JSON scalars)
ROOT = Path(__file__).resolve().parent.parent
LIB_DIR = Path(__file__).resolve().parent
_CODE_VERSION: str | None = None
_PARSED: dict[
    tuple[Path, int, int], tuple[bytes, frozenset[str]]
] = {}  # (file, mtime, size) -> (digest, imports)
MAX_ENTRY_BYTES = 1 << 28  # 256 MiB: far above any real entry (the largest tables hold a few MB)
# lib module -> the data file it reads
DATA_FILES = {"mnist.py": ROOT / "data" / "mnist.npz"}
_HELD_LOCKS: set[int] = set()  # descriptors of the lock files this process holds


class CacheError(OSError):
    """The results cache's directory cannot be used (not a directory, not writable, an entry's place
    taken by a directory): the message says which path and what to do."""


def _close_held_locks() -> None:
    """In a forked child: close the copies of the parent's lock descriptors. An flock belongs to the
    open file, which a fork shares, so a child that kept them would hold the parent's locks after the
    parent died."""
    for fd in list(_HELD_LOCKS):
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD_LOCKS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_held_locks)


def default_cache_dir() -> Path:
    """$MAXPOOL_CACHE_DIR if set, else `.cache/results` at the repository root (git-ignored)."""
    return Path(os.environ.get("MAXPOOL_CACHE_DIR", ROOT / ".cache" / "results"))


def code_version(module: str | None = None) -> str:
    """Short hash of the code behind a result.

    module None: every source file of `lib/` (computed once per process). A module name (an
    experiment's, e.g. "lib.experiments.paper_figures"): that module's file and every `lib` module it
    imports, transitively, found by a static walk of the import statements with `ast` (imports inside
    functions included; a package's `__init__` counts only where it is imported by name, as in `from
    lib import run`). A module whose source file cannot be found (one defined in a notebook) gets the
    hash of all of `lib/`. The module's own name is not hashed, so a script's `__main__` and the same
    file imported as a module have one hash."""
    global _CODE_VERSION
    if module is None:
        if _CODE_VERSION is None:
            h = hashlib.sha256()
            for path in sorted(LIB_DIR.rglob("*.py")):
                h.update(str(path.relative_to(LIB_DIR)).encode())
                h.update(path.read_bytes())
            _CODE_VERSION = h.hexdigest()[:16]
        return _CODE_VERSION
    if not isinstance(module, str) or not module:
        raise ValueError(
            f"module must be a module name (a non-empty str) or None, got {show(module)}"
        )
    root = _lib_file(module) or _source_file(module)
    if root is None:
        return code_version()
    closure, todo = {root}, [root]
    while todo:
        for imported in _parse(todo.pop())[1]:
            path = _lib_file(imported)
            if path not in closure:
                closure.add(path)
                todo.append(path)
    h = hashlib.sha256()
    for path in sorted(closure):
        h.update(_parse(path)[0])
        data = (
            DATA_FILES.get(str(path.relative_to(LIB_DIR))) if path.is_relative_to(LIB_DIR) else None
        )
        if data is not None:
            h.update(_data_digest(data))
    return h.hexdigest()[:16]


def _data_digest(path: Path) -> bytes:
    """SHA-256 of a data file's bytes (b"missing" when absent), memoised by modification time and size."""
    try:
        stat = path.stat()
    except OSError:
        return b"missing"
    memo = (path, stat.st_mtime_ns, stat.st_size)
    if memo not in _PARSED:
        _PARSED[memo] = (hashlib.sha256(path.read_bytes()).digest(), frozenset())
    return _PARSED[memo][0]


def _lib_file(module: str) -> Path | None:
    """The source file of the `lib` module `module` ("lib", "lib.models", ...), None for other names."""
    parts = module.split(".")
    if parts[0] != "lib":
        return None
    base = LIB_DIR.joinpath(*parts[1:])
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _source_file(module: str) -> Path | None:
    """The source file of a module outside `lib` (a test's toy experiment, a script's `__main__`)."""
    loaded = getattr(sys.modules.get(module), "__file__", None)
    if loaded is None:
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            return None
        loaded = spec.origin if spec is not None and spec.has_location else None
    return Path(loaded).resolve() if loaded and str(loaded).endswith(".py") else None


def _parse(path: Path) -> tuple[bytes, frozenset[str]]:
    """(digest of the file's name within lib and bytes, the `lib` modules it imports); memoised by
    modification time and size, so an edit during a session is seen."""
    stat = path.stat()
    memo = (path, stat.st_mtime_ns, stat.st_size)
    if memo not in _PARSED:
        source = path.read_bytes()
        name = str(path.relative_to(LIB_DIR)) if path.is_relative_to(LIB_DIR) else ""
        imports: set[str] = set()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                imports.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                for alias in node.names:  # `from lib import models` imports the module lib.models
                    sub = f"{node.module}.{alias.name}"
                    imports.add(sub if _lib_file(sub) is not None else node.module)
        lib_imports = frozenset(m for m in imports if _lib_file(m) is not None)
        _PARSED[memo] = (hashlib.sha256(name.encode() + b"\0" + source).digest(), lib_imports)
    return _PARSED[memo]


def library_versions() -> dict[str, str]:
    """Versions of the libraries a result depends on, stored with it."""
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "lib": code_version(),
    }


def canonical(config: dict[str, Any], name: str = "config") -> str:
    """Canonical JSON of a configuration (sorted keys, no whitespace); rejects what JSON cannot hold."""
    try:
        return json.dumps(config, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise ValueError(
            f"{name} must be JSON-serialisable with finite numbers, got {show(config)}: {exc}"
        ) from exc


def cache_key(config: dict[str, Any]) -> str:
    """SHA-256 of the configuration together with the versions of torch and numpy (a new release may
    change the last bits of a result) and, unless the configuration holds its own "code" hash (as every
    sweep point does: `code_version(module)`), the code version of all of `lib`."""
    code = "" if "code" in config else code_version()
    versions = f"{code} torch {torch.__version__} numpy {np.__version__} "
    return hashlib.sha256((versions + canonical(config)).encode()).hexdigest()


class ResultsCache:
    """A directory of cached experiment points (`get`/`put` by configuration)."""

    def __init__(self, root: str | os.PathLike | None = None) -> None:
        if root is not None and not isinstance(root, (str, os.PathLike)):
            raise ValueError(
                f"root must be a directory path (str or os.PathLike) or None, got {show(root)}"
            )
        self.root = Path(root) if root is not None else default_cache_dir()

    def path(self, config: dict[str, Any]) -> Path:
        """The file that holds (or will hold) the entry of `config`."""
        if not isinstance(config, dict):
            raise ValueError(f"config must be a dict of JSON-able values, got {show(config)}")
        key = cache_key(config)
        return self.root / key[:2] / f"{key}.json"

    @contextlib.contextmanager
    def lock(self, config: dict[str, Any]) -> Iterator[None]:
        """Hold an exclusive lock on the entry of `config` (blocks while another process holds it).

        The lock is an fcntl lock on a sibling `.lock` file: the kernel releases it when its holder
        exits, even by SIGKILL, so a crash never leaves a point locked, and a forked child closes its
        copy at once (`_close_held_locks`), so a worker never holds its parent's lock. The holder
        deletes the file when it releases the lock (a waiter that then finds it deleted locks the new
        one), so no `.lock` file outlives a run that ends, even by an error. Use it around "read, else
        compute and store" so that concurrent runs of a sweep compute each point once."""
        path = self.path(config).with_suffix(".lock")
        with self._writing(path):
            path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            with self._writing(path):
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            if fcntl is None:  # pragma: no cover
                break
            _HELD_LOCKS.add(fd)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                same = path.exists() and os.path.samestat(os.fstat(fd), os.stat(path))
            except BaseException:
                _HELD_LOCKS.discard(fd)
                os.close(fd)
                raise
            if same:
                break
            _HELD_LOCKS.discard(fd)  # its holder deleted the file as we waited: lock the new one
            os.close(fd)
        try:
            yield
        finally:
            if fcntl is not None:
                with contextlib.suppress(OSError):
                    path.unlink()
            _HELD_LOCKS.discard(fd)
            os.close(fd)  # releases the lock

    @contextlib.contextmanager
    def _writing(self, path: Path) -> Iterator[None]:
        """Turn an OSError of writing `path` into a CacheError with one line saying what is wrong."""
        try:
            yield
        except CacheError:
            raise
        except OSError as exc:
            raise CacheError(
                f"cannot write {path} in the results cache {self.root} ({exc.strerror or exc}); set "
                f"MAXPOOL_CACHE_DIR to a writable directory"
            ) from exc

    def get(self, config: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, Any]] | None:
        """The stored (table, metadata) of `config`, or None when absent, truncated or corrupt."""
        path = self.path(config)
        try:
            entry = json.loads(_read_bounded(path))
            body = entry["body"]
            if entry.get("format") != FORMAT or entry["sha256"] != _digest(body):
                return None
            if body["config"] != json.loads(canonical(config)):
                return None
            return _table(body["table"]), body["meta"]
        except (OSError, MemoryError, ValueError, KeyError, TypeError, IndexError, RecursionError):
            return None

    def put(
        self, config: dict[str, Any], df: pd.DataFrame, meta: dict[str, Any] | None = None
    ) -> Path:
        """Store `df` under `config`, atomically (write a temporary file, then rename).

        `df` must be tidy: unique string column names, columns of dtype bool, integer, float, string or
        object holding str/bool/int/float/None; its index is not stored. Floats come back bit for bit
        (including NaN and +-inf). `meta` is a dict of JSON-able values stored with the entry."""
        path = self.path(config)
        if meta is not None and not isinstance(meta, dict):
            raise ValueError(f"meta must be a dict of JSON-able values or None, got {show(meta)}")
        body = {
            "config": json.loads(canonical(config)),
            "meta": {
                "versions": library_versions(),
                "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                **json.loads(canonical(meta or {}, "meta")),
            },
            "table": _plain_table(df),
        }
        text = json.dumps({"format": FORMAT, "sha256": _digest(body), "body": body})
        with self._writing(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w") as fh:
                    fh.write(text)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return path


def _read_bounded(path: Path) -> str:
    """The text of the entry file `path`: OSError unless it is a regular file (a symlink is not
    followed) of at most MAX_ENTRY_BYTES."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ENTRY_BYTES:
            raise OSError(f"{path} is no regular file of at most {MAX_ENTRY_BYTES} bytes")
        return fh.read(MAX_ENTRY_BYTES + 1).decode()


def _plain_table(df: pd.DataFrame) -> dict[str, list]:
    """`df` as JSON-native lists (columns, dtypes, rows); ValueError naming what JSON cannot hold."""
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"df must be a pandas DataFrame, got {type(df).__name__}")
    columns = list(df.columns)
    if not all(isinstance(c, str) for c in columns) or len(set(columns)) != len(columns):
        raise ValueError(f"df must have unique string column names, got {show(columns)}")
    for name, dtype in df.dtypes.items():
        if not (
            isinstance(dtype, pd.StringDtype)
            or isinstance(dtype, np.dtype)
            and dtype.kind in "biufO"
        ):
            raise ValueError(
                f"df column {name!r} has dtype {dtype}; allowed: bool, integer, float, string or object columns"
            )
    data = [
        [v.item() if isinstance(v, np.generic) else v for v in row]
        for row in df.itertuples(index=False)
    ]
    for row in data:
        for name, value in zip(columns, row):
            if not isinstance(value, CELL_TYPES):
                raise ValueError(
                    f"df column {name!r} holds {show(value)}; table cells must be str, bool, int, float or None"
                )
    return {"columns": columns, "dtypes": [str(t) for t in df.dtypes], "data": data}


def _table(table: dict[str, list]) -> pd.DataFrame:
    """The DataFrame stored by `_plain_table`, built column by column (no float round trip of ints)."""
    columns, dtypes, data = table["columns"], table["dtypes"], table["data"]
    if len(columns) != len(dtypes) or any(len(row) != len(columns) for row in data):
        raise ValueError("inconsistent table")
    cells = list(zip(*data)) if data else [()] * len(columns)
    return pd.DataFrame(
        {c: pd.Series(list(v), dtype=object).astype(t) for c, v, t in zip(columns, cells, dtypes)},
        index=pd.RangeIndex(len(data)),
        columns=columns,
    )


def _digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
