"""Results cache: one small JSON file per experiment point, keyed by its full configuration.

The key is a SHA-256 of the canonical JSON of the configuration (experiment name, profile, every
parameter and seed) plus the code version of `lib` (a hash of its source files), so a changed parameter
or a changed `lib` recomputes. Each file also records the library versions, the device and the wall
time. Writes go to a temporary file that is renamed into place (atomic), and every file carries a
checksum of its content: a truncated or corrupt entry reads as missing and is recomputed.
No pickle: entries are plain JSON.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

FORMAT = 1
ROOT = Path(__file__).resolve().parent.parent
_CODE_VERSION: str | None = None


def default_cache_dir() -> Path:
    """$MAXPOOL_CACHE_DIR if set, else `.cache/results` at the repository root (git-ignored)."""
    return Path(os.environ.get("MAXPOOL_CACHE_DIR", ROOT / ".cache" / "results"))


def code_version() -> str:
    """Short hash of every source file of `lib/` (computed once per process)."""
    global _CODE_VERSION
    if _CODE_VERSION is None:
        h = hashlib.sha256()
        lib_dir = Path(__file__).resolve().parent
        for path in sorted(lib_dir.rglob("*.py")):
            h.update(str(path.relative_to(lib_dir)).encode())
            h.update(path.read_bytes())
        _CODE_VERSION = h.hexdigest()[:16]
    return _CODE_VERSION


def library_versions() -> dict[str, str]:
    """Versions of the libraries a result depends on, stored with it."""
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "lib": code_version(),
    }


def canonical(config: dict[str, Any]) -> str:
    """Canonical JSON of a configuration (sorted keys, no whitespace); rejects what JSON cannot hold."""
    try:
        return json.dumps(config, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"config must be JSON-serialisable with finite numbers: {exc}") from exc


def cache_key(config: dict[str, Any]) -> str:
    """SHA-256 of the configuration together with the code version of `lib`."""
    return hashlib.sha256((code_version() + canonical(config)).encode()).hexdigest()


class ResultsCache:
    """A directory of cached experiment points (`get`/`put` by configuration)."""

    def __init__(self, root: str | os.PathLike | None = None) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()

    def path(self, config: dict[str, Any]) -> Path:
        key = cache_key(config)
        return self.root / key[:2] / f"{key}.json"

    def get(self, config: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, Any]] | None:
        """The stored (table, metadata) of `config`, or None when absent, truncated or corrupt."""
        path = self.path(config)
        try:
            entry = json.loads(path.read_text())
            body = entry["body"]
            if entry.get("format") != FORMAT or entry["sha256"] != _digest(body):
                return None
            if body["config"] != json.loads(canonical(config)):
                return None
            table = body["table"]
            df = pd.DataFrame(table["data"], columns=table["columns"])
            df = df.astype(dict(zip(table["columns"], table["dtypes"])))
            return df, body["meta"]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, config: dict[str, Any], df: pd.DataFrame, meta: dict[str, Any] | None = None) -> Path:
        """Store `df` under `config`, atomically (write a temporary file, then rename)."""
        if not isinstance(df, pd.DataFrame):
            raise ValueError(f"df must be a pandas DataFrame, got {type(df).__name__}")
        body = {
            "config": json.loads(canonical(config)),
            "meta": {
                "versions": library_versions(),
                "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                **(meta or {}),
            },
            "table": {
                "columns": [str(c) for c in df.columns],
                "dtypes": [str(t) for t in df.dtypes],
                "data": [[_plain(v) for v in row] for row in df.itertuples(index=False)],
            },
        }
        text = json.dumps({"format": FORMAT, "sha256": _digest(body), "body": body})
        path = self.path(config)
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


def _plain(value: Any) -> Any:
    """A JSON-native Python value for one table cell."""
    if isinstance(value, (np.generic,)):
        return value.item()
    return value


def _digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
