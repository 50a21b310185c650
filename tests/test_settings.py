"""Settings: defaults, the DOCEX_ environment, and what production refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from docex.errors import SettingsError
from docex.settings import (
    DEVELOPMENT_TOKEN_PEPPER,
    Environment,
    MiB,
    ObjectStoreKind,
    Settings,
    load_settings,
)

GOOD_PEPPER = "k3Zr8v0mQf2Lx9sT1wYbN4cJ6hUeA7pD"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees only the DOCEX_ variables it sets itself."""
    import os

    for name in list(os.environ):
        if name.upper().startswith("DOCEX_"):
            monkeypatch.delenv(name)


def test_defaults_are_the_embedded_shape() -> None:
    settings = Settings()
    assert settings.environment is Environment.DEVELOPMENT
    assert settings.database_url == "sqlite:///var/docex.sqlite3"
    assert settings.is_sqlite
    assert settings.object_store_kind is ObjectStoreKind.LOCAL
    assert settings.local_object_path == Path("var/objects")
    assert settings.trust == [Path("certs-dev/trust"), Path("certs-dev/trust-dstu")]
    assert settings.online_revocation is False
    assert settings.max_upload_bytes == 50 * MiB
    assert settings.max_content_bytes == 50 * MiB
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.token_pepper.get_secret_value() == DEVELOPMENT_TOKEN_PEPPER


def test_environment_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCEX_DATABASE_URL", "postgresql://u:pw@db:5432/docex")
    monkeypatch.setenv("DOCEX_OBJECT_STORE", "s3://docex-documents")
    monkeypatch.setenv("DOCEX_S3_ENDPOINT", "minio:9000")
    monkeypatch.setenv("DOCEX_S3_ACCESS_KEY", "docex")
    monkeypatch.setenv("DOCEX_S3_SECRET_KEY", "s3-secret-of-some-length")
    monkeypatch.setenv("DOCEX_S3_SECURE", "false")
    monkeypatch.setenv("docex_online_revocation", "true")
    monkeypatch.setenv("DOCEX_TRUST", "/etc/docex/tl.xml:/etc/docex/cas")
    monkeypatch.setenv("DOCEX_MAX_UPLOAD_BYTES", "1024")
    monkeypatch.setenv("DOCEX_PORT", "9000")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///ignored-without-prefix")
    settings = Settings()
    # psycopg 3 is the driver docex ships with; plain postgresql:// URLs are pointed at it.
    assert settings.database_url == "postgresql+psycopg://u:pw@db:5432/docex"
    assert not settings.is_sqlite
    assert settings.object_store_kind is ObjectStoreKind.S3
    assert settings.s3_bucket == "docex-documents"
    assert settings.s3_secure is False
    assert settings.online_revocation is True
    assert settings.trust == [Path("/etc/docex/tl.xml"), Path("/etc/docex/cas")]
    assert settings.max_upload_bytes == 1024
    assert settings.port == 9000
    assert "pw" not in repr(settings)
    assert "s3-secret" not in repr(settings)


def test_trust_as_json_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCEX_TRUST", '["a dir/with space", "b"]')
    assert Settings().trust == [Path("a dir/with space"), Path("b")]


def test_keyword_arguments_win_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCEX_PORT", "9000")
    assert Settings(port=9100).port == 9100


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("database_url", "mysql://x/y"),
        ("database_url", "not a url"),
        ("object_store", "ftp://x"),
        ("object_store", "s3://Bad_Bucket"),
        ("object_store", "local:"),
        ("s3_endpoint", "http://minio:9000"),
        ("port", 0),
        ("max_upload_bytes", 0),
        ("trust", []),
        ("unknown_field", 1),
    ],
)
def test_invalid_values_are_refused(field: str, value: Any) -> None:
    # Any: the point is to pass what the field's declared type does not allow.
    with pytest.raises(ValidationError):
        Settings(**{field: value})


def test_s3_store_needs_credentials() -> None:
    with pytest.raises(ValidationError, match="s3_endpoint"):
        Settings(object_store="s3://docex")


def test_local_path_of_s3_store_is_an_error() -> None:
    settings = Settings(
        object_store="s3://docex", s3_endpoint="h:1", s3_access_key="a", s3_secret_key="b"
    )
    with pytest.raises(SettingsError):
        _ = settings.local_object_path


def _production(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "production",
        "token_pepper": GOOD_PEPPER,
        "trust": ["/etc/docex/trust"],
    }
    values.update(overrides)
    return Settings(**values)


def test_production_accepts_real_secrets() -> None:
    assert _production().environment is Environment.PRODUCTION


@pytest.mark.parametrize(
    "pepper", ["changeme", "CHANGEME", "secret", "", DEVELOPMENT_TOKEN_PEPPER, "short-but-real"]
)
def test_production_refuses_placeholder_pepper(pepper: str) -> None:
    with pytest.raises(ValidationError, match="token_pepper"):
        _production(token_pepper=pepper)


def test_development_tolerates_placeholder_pepper() -> None:
    assert Settings(token_pepper="changeme").token_pepper.get_secret_value() == "changeme"


def test_production_refuses_placeholder_s3_secret() -> None:
    with pytest.raises(ValidationError, match="s3_secret_key"):
        _production(
            object_store="s3://docex",
            s3_endpoint="minio:9000",
            s3_access_key="minioadmin",
            s3_secret_key="minioadmin",
        )


def test_production_refuses_development_trust() -> None:
    with pytest.raises(ValidationError, match="development PKI"):
        _production(trust=["certs-dev/trust"])


def test_load_settings_reports_our_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCEX_ENVIRONMENT", "production")
    monkeypatch.setenv("DOCEX_TOKEN_PEPPER", "changeme")
    with pytest.raises(SettingsError, match="token_pepper is a placeholder"):
        load_settings(trust=["/etc/docex/trust"])


def test_settings_are_immutable() -> None:
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.port = 1  # type: ignore[misc]
