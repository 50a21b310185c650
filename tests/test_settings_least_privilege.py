"""The settings of the least-privilege deployment: the owner's URL and the S3 retention."""

from __future__ import annotations

import pytest

from docex.errors import ConfigurationError
from docex.settings import load_settings
from docex.storage import open_object_store
from docex.storage.s3 import S3ObjectStore


def test_the_migration_url_is_checked_like_the_database_url() -> None:
    settings = load_settings(migration_database_url="postgres://owner:pw@db:5432/docex")
    assert settings.migration_database_url == "postgresql+psycopg://owner:pw@db:5432/docex"
    assert load_settings().migration_database_url is None
    with pytest.raises(ConfigurationError) as refused:
        load_settings(migration_database_url="mysql://owner:secret@db/docex")
    assert str(refused.value) == (
        "invalid configuration: DOCEX_MIGRATION_DATABASE_URL=mysql://owner:***@db/docex: "
        "only sqlite:// and postgresql:// databases are supported"
    )


def test_the_migration_url_is_kept_out_of_reprs() -> None:
    settings = load_settings(migration_database_url="postgresql://owner:hunter22@db/docex")
    assert "hunter22" not in repr(settings)


def test_object_lock_days_are_off_by_default_and_never_negative() -> None:
    assert load_settings().s3_object_lock_days == 0
    assert load_settings(s3_object_lock_days=30).s3_object_lock_days == 30
    with pytest.raises(ConfigurationError) as refused:
        load_settings(s3_object_lock_days=-1)
    assert str(refused.value) == (
        "invalid configuration: DOCEX_S3_OBJECT_LOCK_DAYS=-1: "
        "Input should be greater than or equal to 0"
    )


def test_the_s3_store_gets_the_retention() -> None:
    settings = load_settings(
        object_store="s3://docex",
        s3_endpoint="minio:9000",
        s3_access_key="docex",
        s3_secret_key="4e1f9a7c2b8d6e3f5a0c9b7d1e2f3a4b",
        s3_object_lock_days=7,
    )
    store = open_object_store(settings, ensure_ready=False)
    assert isinstance(store, S3ObjectStore)
    assert store.object_lock_days == 7
