"""Settings of audit checkpoints: what production refuses, what the environment sets."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from docex.settings import Environment, Settings

GOOD_PEPPER = "a-real-pepper-from-a-secret-store-0123456789"


def test_production_refuses_the_development_checkpoint_key() -> None:
    with pytest.raises(ValidationError, match="audit_checkpoint_key is the development key"):
        Settings(
            environment=Environment.PRODUCTION,
            token_pepper=GOOD_PEPPER,
            trust=[Path("/etc/docex/trust")],
            audit_checkpoint_key=Path("certs-dev/audit/checkpoint.key.pem"),
        )


def test_production_accepts_its_own_checkpoint_key() -> None:
    settings = Settings(
        environment=Environment.PRODUCTION,
        token_pepper=GOOD_PEPPER,
        trust=[Path("/etc/docex/trust")],
        audit_checkpoint_key=Path("/etc/docex/audit-checkpoint.key.pem"),
    )
    assert settings.audit_checkpoint_key == Path("/etc/docex/audit-checkpoint.key.pem")


def test_checkpoint_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCEX_AUDIT_CHECKPOINT_TSA_URL", "https://tsa.example/tsp")
    monkeypatch.setenv("DOCEX_AUDIT_CHECKPOINT_INTERVAL_SECONDS", "3600")
    settings = Settings()
    assert settings.audit_checkpoint_tsa_url == "https://tsa.example/tsp"
    assert settings.audit_checkpoint_interval_seconds == 3600
    assert settings.audit_checkpoint_key is None
