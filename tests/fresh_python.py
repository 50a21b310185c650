"""A script in a fresh interpreter, for tests about what a new process imports or forks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def last_json_line(script: str, *args: str, timeout: float = 120) -> Any:
    """Run ``script`` with ``args`` in a new Python from the repository's root; it must
    exit 0, and what it printed last on stdout is read as JSON."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])
