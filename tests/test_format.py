"""Every Python file of the repository (lib/, book/, tests/) is as `ruff format` writes it, so that no
line of code runs past the book's text column (100 characters, [tool.ruff] in pyproject.toml)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_code_is_formatted():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--diff", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, (
        "run `ruff format .`; these files are not formatted:\n"
        + result.stdout[-4000:]
        + result.stderr[-2000:]
    )
