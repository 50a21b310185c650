"""A bad setting stops ``docex serve`` and the ASGI factory with one line naming it.

Run as an operator runs them, in a child process: what reaches the terminal is the test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from docex.cli.exit_codes import ExitCode
from tests.cli.serving import REPO

DEV_TRUST = REPO / "certs-dev" / "trust"


def start(tmp_path: Path, command: list[str], **settings: str) -> subprocess.CompletedProcess[str]:
    """``command`` with only ``settings`` as DOCEX_* configuration, data under tmp_path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCEX_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
    env |= {
        "DOCEX_DATABASE_URL": f"sqlite:///{tmp_path / 'docex.sqlite3'}",
        "DOCEX_OBJECT_STORE": f"local:{tmp_path / 'objects'}",
        "DOCEX_TRUST": str(DEV_TRUST),
        # A port nothing listens on: were the start to go through, it would not hang
        # the test on a busy port, and the timeout below would fail it.
        "DOCEX_PORT": "1",
        **settings,
    }
    return subprocess.run(
        command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )


SERVE = [sys.executable, "-c", "from docex.cli.main import run; run()", "serve"]
FACTORY = [sys.executable, "-m", "uvicorn", "--factory", "docex.asgi:app_factory", "--port", "1"]


CASES = [
    ({"DOCEX_TRUST": "/nope"}, "DOCEX_TRUST=/nope: no such file or directory"),
    (
        {"DOCEX_MAX_UPLOAD_BYTES": "ten"},
        "DOCEX_MAX_UPLOAD_BYTES=ten: Input should be a valid integer, unable to parse "
        "string as an integer",
    ),
]


@pytest.mark.parametrize(("settings", "line"), CASES)
def test_the_asgi_factory_says_the_same_one_line(
    tmp_path: Path, settings: dict[str, str], line: str
) -> None:
    # uvicorn calls the factory itself: the line must not come wrapped in its traceback.
    result = start(tmp_path, FACTORY, **settings)
    assert result.returncode == ExitCode.USAGE, result.stderr
    assert result.stderr.splitlines() == [f"docex: configuration error: {line}"]


@pytest.mark.parametrize(
    ("settings", "line"),
    [
        *CASES,
        (
            {"DOCEX_TRUST": f"{DEV_TRUST}:/nope/either"},
            f"DOCEX_TRUST={DEV_TRUST}:/nope/either: /nope/either: no such file or directory",
        ),
        (
            {"DOCEX_DATABASE_URL": "mysql://docex:s3cret@db/docex"},
            "DOCEX_DATABASE_URL=mysql://docex:***@db/docex: "
            "only sqlite:// and postgresql:// databases are supported",
        ),
        (
            {"DOCEX_DATABASE_URL": "postgresql://docex:s3cret@db:port/docex"},
            "DOCEX_DATABASE_URL=postgresql://docex:***@db:port/docex: not a database URL: "
            "invalid literal for int() with base 10: 'port'",
        ),
        (
            {"DOCEX_ENVIRONMENT": "production", "DOCEX_TOKEN_PEPPER": "changeme"},
            "token_pepper is a placeholder; set DOCEX_TOKEN_PEPPER",
        ),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(
    tmp_path: Path, settings: dict[str, str], line: str
) -> None:
    result = start(tmp_path, SERVE, **settings)
    assert result.returncode == ExitCode.USAGE, result.stderr
    assert result.stderr.splitlines() == [f"docex: configuration error: {line}"]
    assert "s3cret" not in result.stderr + result.stdout
    assert "changeme" not in result.stderr + result.stdout


def test_every_bad_setting_is_on_the_one_line(tmp_path: Path) -> None:
    result = start(tmp_path, SERVE, DOCEX_PORT="0", DOCEX_VERIFY_WORKERS="-1")
    assert result.returncode == ExitCode.USAGE
    assert result.stderr.splitlines() == [
        "docex: configuration error: "
        "DOCEX_VERIFY_WORKERS=-1: Input should be greater than or equal to 0; "
        "DOCEX_PORT=0: Input should be greater than or equal to 1"
    ]
