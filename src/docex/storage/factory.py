"""Build the object store a deployment configured."""

from __future__ import annotations

from docex.settings import ObjectStoreKind, Settings
from docex.storage.base import ObjectStore


def open_object_store(settings: Settings, *, ensure_ready: bool = True) -> ObjectStore:
    """The object store ``settings.object_store`` names, created if missing.

    ``ensure_ready=False`` skips creating the folder or bucket (and so any network call),
    for tools that must start while the store is down.
    """
    store: ObjectStore
    if settings.object_store_kind is ObjectStoreKind.S3:
        # Imported here so that deployments on a local folder never load minio.
        from docex.storage.s3 import S3ObjectStore

        assert settings.s3_endpoint is not None  # noqa: S101  # the settings validator ensures it
        assert settings.s3_access_key is not None  # noqa: S101
        assert settings.s3_secret_key is not None  # noqa: S101
        store = S3ObjectStore(
            endpoint=settings.s3_endpoint,
            bucket=settings.s3_bucket,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key.get_secret_value(),
            secure=settings.s3_secure,
            region=settings.s3_region,
            object_lock_days=settings.s3_object_lock_days,
        )
    else:
        from docex.storage.local import LocalObjectStore

        store = LocalObjectStore(settings.local_object_path)
    if ensure_ready:
        store.ensure_ready()
    return store
