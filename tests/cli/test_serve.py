"""``docex serve``: a real uvicorn in a child process, answering over HTTP."""

from __future__ import annotations

import json

import pytest

from docex.cli.exit_codes import ExitCode
from docex.cli.serve import base_url
from docex.db.migrate import current_revision, head_revision
from tests.cli.conftest import CliEnv, Docex, one_line_error
from tests.cli.serving import get, running


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8000"),
        ("0.0.0.0", "http://127.0.0.1:8000"),  # noqa: S104  # a string, not a bind
        ("::", "http://[::1]:8000"),
        ("::1", "http://[::1]:8000"),
        ("docex.internal", "http://docex.internal:8000"),
    ],
)
def test_base_url_is_reachable_from_this_machine(host: str, url: str) -> None:
    assert base_url(host, 8000) == url


def test_serve_answers_and_announces_the_docs(cli_env: CliEnv) -> None:
    log = cli_env.root / "serve.log"
    with running(log) as url:
        status, body = get(f"{url}/readyz")
        assert (status, json.loads(body)) == (200, {"status": "ready"})
        assert get(f"{url}/docs")[0] == 200
        assert json.loads(get(f"{url}/openapi.json")[1])["info"]["title"] == "docex"
    first = log.read_text().splitlines()[0]
    assert first.startswith(f"docex: serving {url} with 1 worker(s)")
    assert first.endswith(f"OpenAPI docs at {url}/docs")
    # The embedded database was migrated on start.
    assert current_revision(cli_env.database_url) == head_revision()


def test_serve_with_workers_uses_the_app_factory(cli_env: CliEnv) -> None:
    log = cli_env.root / "serve.log"
    with running(log, "--workers", "2") as url:
        assert get(f"{url}/readyz")[0] == 200
    output = log.read_text()
    assert "with 2 worker(s)" in output.splitlines()[0]
    assert output.count("Application startup complete") == 2


def test_serve_refuses_an_unmigrated_postgres(docex: Docex, postgres_url: str) -> None:
    result = docex("serve", "--port", "1")
    assert result.exit_code == ExitCode.ERROR
    assert "run `docex db upgrade`" in one_line_error(result)


def test_serve_refuses_unsafe_production_settings(
    docex: Docex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCEX_ENVIRONMENT", "production")
    result = docex("serve")
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr == (
        "docex: configuration error: token_pepper is a placeholder; set DOCEX_TOKEN_PEPPER\n"
    )


def test_workers_must_be_positive(docex: Docex) -> None:
    assert docex("serve", "--workers", "0").exit_code == ExitCode.USAGE
