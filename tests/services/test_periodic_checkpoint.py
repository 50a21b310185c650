"""The periodic audit checkpoint, running in its thread against the development TSA."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from docex.audit.checkpoints import CHECKPOINT_PREFIX, load_private_key
from docex.services.audit_checkpoint import latest_checkpoint
from docex.services.periodic import AuditCheckpointing
from tests.audit.conftest import append
from tests.conftest import Backend
from tests.devtsa import serving_dev_tsa

REPO = Path(__file__).resolve().parents[2]


def wait_for_checkpoints(backend: Backend, count: int, timeout: float = 20.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        keys = sorted(backend.store.iter_keys(CHECKPOINT_PREFIX))
        if len(keys) >= count:
            return keys
        time.sleep(0.05)
    pytest.fail(f"fewer than {count} checkpoints after {timeout} s")


def test_checkpoints_are_taken_on_a_timer(backend: Backend, tmp_path: Path) -> None:
    append(backend.sessions, 3)
    key = load_private_key((REPO / "certs-dev" / "audit" / "checkpoint.key.pem").read_bytes())
    with serving_dev_tsa(tmp_path) as tsa:
        job = AuditCheckpointing(
            sessions=backend.sessions,
            store=backend.store,
            key=key,
            tsa_url=tsa.url,
            tsa_timeout=5.0,
            interval=0.1,
        )
        job.start()
        try:
            wait_for_checkpoints(backend, 1)
            append(backend.sessions, 2)
            keys = wait_for_checkpoints(backend, 3)
        finally:
            job.stop()
    found = latest_checkpoint(backend.store)
    assert found is not None
    assert found[0] >= keys[-1]  # the job may have taken one more since
    assert found[1].checkpoint.count == 5


def test_a_failing_tsa_is_retried_not_fatal(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    key = load_private_key((REPO / "certs-dev" / "audit" / "checkpoint.key.pem").read_bytes())
    job = AuditCheckpointing(
        sessions=backend.sessions,
        store=backend.store,
        key=key,
        tsa_url="http://127.0.0.1:9/tsa",
        tsa_timeout=1.0,
        interval=0.05,
    )
    with caplog.at_level(logging.WARNING, logger="docex.periodic"):
        job.start()
        time.sleep(0.5)
        job.stop()
    failures = [r.getMessage() for r in caplog.records if r.name == "docex.periodic"]
    assert len(failures) >= 2  # it kept trying after the first failure
    assert all(
        m.startswith(
            "audit checkpoint failed: time-stamp authority http://127.0.0.1:9/tsa unreachable"
        )
        for m in failures
    )
    assert list(backend.store.iter_keys(CHECKPOINT_PREFIX)) == []
