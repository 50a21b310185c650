"""The bounds and the budget as settings: DOCEX_ variables reach the verifier built."""

from __future__ import annotations

import os

import pytest

from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.settings import MiB, Settings
from docex.signatures.isolation import (
    GuardedVerifier,
    IsolatedVerifier,
    build_verifier,
    verification_limits,
)
from docex.signatures.limits import DEFAULT_LIMITS, Limits
from docex.signatures.report import Indication
from tests.signatures.conftest import CONTENT, DEV_TRUST


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("DOCEX_"):
            monkeypatch.delenv(name)


def test_default_settings_are_the_default_limits() -> None:
    assert verification_limits(Settings().verifier_settings) == DEFAULT_LIMITS
    settings = Settings()
    assert (
        settings.verify_workers,
        settings.verify_timeout_seconds,
        settings.verify_memory_bytes,
    ) == (2, 30.0, 1024 * MiB)


def test_environment_sets_every_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    values = {
        "DOCEX_MAX_EMBEDDED_CERTIFICATES": "11",
        "DOCEX_MAX_EMBEDDED_CRLS": "12",
        "DOCEX_MAX_EMBEDDED_OCSP_RESPONSES": "13",
        "DOCEX_MAX_VALIDATION_DATA_BYTES": "14",
        "DOCEX_MAX_PATH_LENGTH": "15",
        "DOCEX_MAX_ISSUER_CANDIDATES_PER_STEP": "16",
        "DOCEX_MAX_ISSUER_CANDIDATES": "17",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    assert verification_limits(Settings().verifier_settings) == Limits(11, 12, 13, 14, 15, 16, 17)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("verify_workers", -1),
        ("verify_timeout_seconds", 0),
        ("verify_memory_bytes", -1),
        ("max_embedded_certificates", 0),
        ("max_path_length", 0),
        ("max_issuer_candidates", 0),
    ],
)
def test_nonsense_budgets_are_refused(field: str, value: object) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=field):
        Settings.model_validate({field: value})


def test_zero_workers_verify_in_process_with_the_settings_limits(pki: DevPki) -> None:
    settings = Settings(trust=[DEV_TRUST], verify_workers=0, max_embedded_certificates=2)
    with build_verifier(settings.verifier_settings) as verifier:
        assert isinstance(verifier, GuardedVerifier)
        report = verifier.verify(
            sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-LT"), content=CONTENT
        )
    assert report.indication is Indication.INDETERMINATE
    assert "max_certificates = 2" in report.message


def test_workers_get_the_budget_and_limits_of_the_settings(pki: DevPki) -> None:
    settings = Settings(
        trust=[DEV_TRUST],
        verify_workers=1,
        verify_timeout_seconds=45,
        verify_memory_bytes=768 * MiB,
        max_embedded_crls=1,
    )
    with build_verifier(settings.verifier_settings) as verifier:
        assert isinstance(verifier, IsolatedVerifier)
        assert (verifier.timeout_seconds, verifier.memory_bytes) == (45, 768 * MiB)
        report = verifier.verify(
            sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-LT"), content=CONTENT
        )
    assert report.indication is Indication.INDETERMINATE
    assert "max_crls = 1" in report.message


def test_docs_list_every_bound_with_its_setting() -> None:
    from dataclasses import fields
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "limits.md").read_text()
    for field in fields(Limits):
        assert f"| `{field.name}` |" in text
    for name in Settings.model_fields:
        if name.startswith(("verify_", "max_embedded_", "max_path", "max_issuer", "max_val")):
            assert f"`DOCEX_{name.upper()}`" in text
