"""Object storage for the original signed bytes: one interface, a local and an S3 backend."""

from docex.storage.base import (
    ObjectInfo,
    ObjectReader,
    ObjectStore,
    ReadableStream,
    StoredObject,
    content_key,
)
from docex.storage.factory import open_object_store

__all__ = [
    "ObjectInfo",
    "ObjectReader",
    "ObjectStore",
    "ReadableStream",
    "StoredObject",
    "content_key",
    "open_object_store",
]
