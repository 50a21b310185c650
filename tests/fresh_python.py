"""A script in a fresh interpreter, for tests about what a new process imports or forks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

_MODULES_AT_EXIT = """
import atexit, json, sys
atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=sys.stderr))
sys.argv = ["docex", *sys.argv[1:]]
"""


def run_python(
    script: str, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``script`` with ``args`` in a new Python from the repository's root, with ``env``
    on top of this process's environment; whatever it exits with."""
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )


def last_json_line(script: str, *args: str, timeout: float = 120) -> Any:
    """Run ``script`` with ``args`` in a new Python from the repository's root; it must
    exit 0, and what it printed last on stdout is read as JSON."""
    done = run_python(script, *args, timeout=timeout)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def modules_at_exit(
    body: str, *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``body`` with ``sys.argv`` set to ``docex ARGS``, and every module loaded by
    the time the process exits (printed last on stderr, after the command's own output)."""
    done = run_python(_MODULES_AT_EXIT + body + "\n", *args, env=env)
    return done, set(json.loads(done.stderr.strip().splitlines()[-1]))
