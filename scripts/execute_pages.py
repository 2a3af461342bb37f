"""Execute the book's notebook pages, several at a time, into Jupyter Book's execution cache:

    python scripts/execute_pages.py --jobs 2     # from the repository root, before the build

Jupyter Book executes the pages one after another, each in a fresh kernel; most of a page's time is
its kernel importing torch, pandas and seaborn and reading the results cache, on one core. This runs
`--jobs` pages at once, each exactly as Jupyter Book would (the page read by the reader that
_config.yml gives its suffix, executed in its own folder with the timeout and `allow_errors` of
_config.yml), and stores each executed page in the execution cache of the profile ($BOOK_PROFILE:
`_build/.jupyter_cache/<profile>`, the cache _ext/profile_banner.py gives the build), keyed by its
code cells and kernel, where `jupyter-book build` then finds it and executes nothing. A page
whose cache entry is current is skipped. A page that fails is not stored: its error is printed and
the script exits with 1 (`make book` stops there; the build itself would run the page again and
fail the same way).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import sys
from pathlib import Path

import jupytext
import yaml
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors.utils import single_nb_execution

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
from profile_banner import cache_path  # noqa: E402

from lib.sweep import current_profile  # noqa: E402


def toc_files(entry: dict | list) -> list[str]:
    """Every `file:` of _toc.yml, in reading order."""
    if isinstance(entry, list):
        return [f for item in entry for f in toc_files(item)]
    files = [entry["file"]] if "file" in entry else []
    if "root" in entry:
        files.append(entry["root"])
    for key in ("parts", "chapters", "sections"):
        files += toc_files(entry.get(key, []))
    return files


def notebook_pages(config: dict) -> list[Path]:
    """The pages of the table of contents that are Jupytext notebooks of a suffix _config.yml reads
    (`nb_custom_formats`); Markdown pages are left to the build."""
    formats = config["sphinx"]["config"]["nb_custom_formats"]
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [
        ROOT / f"{name}{suffix}"
        for name in toc_files(toc)
        for suffix in formats
        if (ROOT / f"{name}{suffix}").is_file()
    ]


def read_page(path: Path, config: dict):
    """The page as the notebook Jupyter Book reads from it."""
    reader, kwargs = config["sphinx"]["config"]["nb_custom_formats"][path.suffix]
    if reader != "jupytext.reads":
        raise ValueError(f"{path}: reader {reader!r} is not jupytext.reads")
    return jupytext.reads(path.read_text(encoding="utf-8"), **kwargs)


def execute(path: Path, config: dict) -> tuple[Path, object, float, str | None]:
    """(page, executed notebook, seconds, error text or None)."""
    nb = read_page(path, config)
    result = single_nb_execution(
        nb,
        cwd=str(path.parent),
        allow_errors=config["execute"].get("allow_errors", False),
        timeout=config["execute"].get("timeout", 30),
        meta_override=True,
    )
    error = None if result.err is None else result.exc_string or repr(result.err)
    return path, nb, result.time, error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="pages at once")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    if config["execute"]["execute_notebooks"] != "cache":
        print("execute_notebooks is not 'cache' in _config.yml: nothing to do")
        return 0
    cache = get_cache(str(cache_path(ROOT / "_build", current_profile())))
    todo = []
    for path in notebook_pages(config):
        try:
            cache.match_cache_notebook(read_page(path, config))
        except KeyError:
            todo.append(path)
    print(f"executing {len(todo)} pages, {args.jobs} at a time")
    failed = 0
    with concurrent.futures.ProcessPoolExecutor(args.jobs) as pool:
        for future in concurrent.futures.as_completed(
            [pool.submit(execute, path, config) for path in todo]
        ):
            path, nb, seconds, error = future.result()
            name = path.relative_to(ROOT)
            if error is not None:
                failed += 1
                print(f"FAILED {name} ({seconds:.1f} s):\n{error}")
                continue
            cache.cache_notebook_bundle(
                CacheBundleIn(nb, str(path), data={"execution_seconds": seconds}),
                check_validity=False,
                overwrite=True,
            )
            print(f"{name}: {seconds:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
