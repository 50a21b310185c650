"""The floor server: a submission with only the work no implementation can avoid.

``uvicorn --factory floor_server:make_app`` serves ``POST /api/v1/documents`` (and
``GET /healthz``) with the same uvicorn workers, configured by the same ``DOCEX_*``
variables as docex, against the same PostgreSQL and SeaweedFS. Per request it does what
the issue calls irreducible, and nothing else:

1. parse the multipart body (Starlette's parser, the one docex uses: ``file``,
   ``content``, ``kind``);
2. one warm verification: a :class:`~docex.signatures.verifier.Verifier` built once per
   worker process, called in the worker's thread pool (the call docex's workers make,
   without docex's process isolation, policy or facts);
3. the two conditional ``PUT`` s docex makes for an accepted document (signature, then
   detached content, ``If-None-Match: *``, content-addressed keys, the SHA-256 in the
   metadata) with docex's S3 HTTP pool;
4. one ``INSERT`` of a row carrying the validation report as JSON, and its ``COMMIT``,
   on a pooled psycopg connection (no ORM, no pre-ping);
5. the JSON answer (201).

No authentication, no signer or routing checks, no audit entry: those are docex's
features, and what they cost is what the benchmark's ratios show. The table it writes
(:data:`FLOOR_TABLE`) is created by :func:`create_floor_table` before the server starts.
"""

from __future__ import annotations

import hashlib
import json
import queue
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio.to_thread
import psycopg
from minio import Minio
from minio.error import S3Error
from minio.helpers import DictType
from sqlalchemy.engine import make_url
from starlette.datastructures import UploadFile
from starlette.requests import Request

from docex.settings import Settings, load_settings
from docex.signatures.report import Indication
from docex.signatures.trust import load_trust_store
from docex.signatures.verifier import Verifier
from docex.storage.base import DEFAULT_CONTENT_TYPE, content_key
from docex.storage.s3 import make_http_client

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

FLOOR_TABLE = "floor_documents"
SIGNATURE_TYPE = "application/pkcs7-signature"
# As many connections as docex's pool keeps (db/engine.py): one per concurrent request.
POOL_SIZE = 20

_CREATE = """
CREATE TABLE IF NOT EXISTS floor_documents (
    id uuid PRIMARY KEY,
    kind text NOT NULL,
    sha256 text NOT NULL UNIQUE,
    size integer NOT NULL,
    object_key text NOT NULL,
    content_object_key text,
    content_sha256 text,
    indication text NOT NULL,
    validation_report jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
)
"""
_INSERT = (
    "INSERT INTO floor_documents (id, kind, sha256, size, object_key, content_object_key, "
    "content_sha256, indication, validation_report) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


def libpq_url(database_url: str) -> str:
    """The SQLAlchemy URL docex is configured with, as psycopg's ``connect`` takes it."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def create_floor_table(database_url: str) -> None:
    """Create the floor's table (once, before the workers start, so they do not race)."""
    with psycopg.connect(libpq_url(database_url), autocommit=True) as connection:
        connection.execute(_CREATE)


class _Connections:
    """A fixed-size pool of psycopg connections, opened on first use and never pinged."""

    def __init__(self, url: str, size: int) -> None:
        self._url = url
        self._idle: queue.LifoQueue[psycopg.Connection[Any]] = queue.LifoQueue()
        self._slots = queue.Queue[None]()
        for _ in range(size):
            self._slots.put(None)

    def insert(self, row: tuple[Any, ...]) -> None:
        """One INSERT and its COMMIT."""
        self._slots.get()
        try:
            try:
                connection = self._idle.get_nowait()
            except queue.Empty:
                connection = psycopg.connect(self._url)
            try:
                connection.execute(_INSERT, row)
                connection.commit()
            except BaseException:
                connection.close()
                raise
            self._idle.put(connection)
        finally:
            self._slots.put(None)

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


class FloorApp:
    """The ASGI application: one route, the floor's submission."""

    def __init__(self, settings: Settings) -> None:
        assert settings.object_store.startswith("s3://"), "the floor stores in S3 only"
        assert settings.s3_secret_key is not None
        self.bucket = settings.object_store.removeprefix("s3://").split("/", 1)[0]
        self.s3 = Minio(
            str(settings.s3_endpoint),
            access_key=str(settings.s3_access_key),
            secret_key=settings.s3_secret_key.get_secret_value(),
            secure=settings.s3_secure,
            region=settings.s3_region,
            http_client=make_http_client(),
        )
        self.connections = _Connections(libpq_url(settings.database_url), POOL_SIZE)
        self.verifier = Verifier(load_trust_store([str(p) for p in settings.trust]))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        if path == "/healthz":
            await _answer(send, 200, b'{"status":"ok"}')
        elif path == "/api/v1/documents" and method == "POST":
            await self._submit(Request(scope, receive), send)
        else:
            await _answer(send, 404, b'{"detail":"not found"}')

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.connections.close()
                self.verifier.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _submit(self, request: Request, send: Send) -> None:
        form = await request.form(max_files=3, max_fields=16)
        try:
            signed, content, kind = form.get("file"), form.get("content"), form.get("kind")
            if not isinstance(signed, UploadFile) or not isinstance(kind, str):
                await _answer(send, 400, b'{"detail":"file and kind are required"}')
                return
            status, body = await anyio.to_thread.run_sync(
                self._work,
                signed.file.read(),
                content.file.read() if isinstance(content, UploadFile) else None,
                kind,
            )
        finally:
            await form.close()
        await _answer(send, status, body)

    def _work(self, signed: bytes, content: bytes | None, kind: str) -> tuple[int, bytes]:
        """Verify, store, record: the thread-pool half of a submission."""
        report = self.verifier.verify(signed, content=content)
        if report.indication is not Indication.TOTAL_PASSED:
            return 422, json.dumps({"indication": report.indication.value}).encode()
        signed_key, signed_sha = self._put(signed, SIGNATURE_TYPE)
        content_key_, content_sha = (
            self._put(content, DEFAULT_CONTENT_TYPE) if content is not None else (None, None)
        )
        document_id = uuid.uuid4()
        self.connections.insert(
            (
                document_id,
                kind,
                signed_sha,
                len(signed),
                signed_key,
                content_key_,
                content_sha,
                report.indication.value,
                json.dumps(report.to_dict()),
            )
        )
        return 201, json.dumps(
            {
                "id": str(document_id),
                "sha256": signed_sha,
                "indication": report.indication.value,
                "qualification": report.qualification.value,
            }
        ).encode()

    def _put(self, data: bytes, content_type: str) -> tuple[str, str]:
        sha256 = hashlib.sha256(data).hexdigest()
        key = content_key(sha256)
        headers: DictType = {
            "Content-Type": content_type,
            "If-None-Match": "*",
            "x-amz-meta-sha256": sha256,
        }
        try:
            self.s3._put_object(self.bucket, key, data, headers=headers)
        except S3Error as exc:
            # The same bytes stored already: content addressing makes that a success.
            if exc.code != "PreconditionFailed":
                raise
        return key, sha256


async def _answer(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def make_app() -> FloorApp:
    """The floor for this worker process, configured from ``DOCEX_*`` like docex."""
    return FloorApp(load_settings())


__all__ = ["FLOOR_TABLE", "FloorApp", "create_floor_table", "libpq_url", "make_app"]
