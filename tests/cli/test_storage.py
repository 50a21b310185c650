"""``docex storage reconcile`` on the embedded shape."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from docex.cli.main import app
from docex.db import create_engine_from_url, upgrade
from docex.storage.base import content_key
from docex.storage.local import LocalObjectStore


def test_reconcile_removes_orphans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    monkeypatch.setenv("DOCEX_DATABASE_URL", db)
    monkeypatch.setenv("DOCEX_OBJECT_STORE", f"local:{tmp_path / 'objects'}")
    monkeypatch.setenv("DOCEX_TRUST", str(Path(__file__).resolve().parents[2] / "certs-dev/trust"))
    engine = create_engine_from_url(db)
    upgrade(engine)
    engine.dispose()
    store = LocalObjectStore(tmp_path / "objects")
    store.ensure_ready()
    key = content_key("ab" * 32)
    store.put(key, io.BytesIO(b"orphan"))
    dry = CliRunner().invoke(app, ["storage", "reconcile", "--grace-minutes", "0", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"would remove: {key}" in dry.stdout
    assert store.exists(key)
    kept = CliRunner().invoke(app, ["storage", "reconcile"])
    assert "1 too recent to remove" in kept.stdout
    assert store.exists(key)
    done = CliRunner().invoke(app, ["storage", "reconcile", "--grace-minutes", "0"])
    assert done.exit_code == 0
    assert f"removed: {key}" in done.stdout
    assert not store.exists(key)
