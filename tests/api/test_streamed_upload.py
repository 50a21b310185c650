"""A medical document's large file is hashed and stored in a stream, never held whole.

The API runs in this process (uvicorn in a thread, as every API test does), so
``tracemalloc`` sees every Python allocation of the submission: the HTTP client's, the
multipart parser's, the verifier's and the store's. 64 MiB of content must go through with
a traced peak under 32 MiB: reading the content into memory anywhere on the way (one
``read()`` of the part, one ``bytes`` handed to the verifier or the store) would alone
exceed the bound.
"""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from pathlib import Path

import pytest

from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.settings import Settings
from docex.storage.base import content_key
from tests import signed_content
from tests.api.conftest import REPO, Api, replace_settings
from tests.conftest import Backend

SIZE = 64 * 1024 * 1024
PEAK_BOUND = 32 * 1024 * 1024
LIMIT = 96 * 1024 * 1024


@pytest.fixture
def api_settings(backend: Backend) -> Settings:
    """The API's settings, with the upload bounds above the 64 MiB file."""
    return replace_settings(
        backend.settings,
        trust=[REPO / "certs-dev" / "trust"],
        max_upload_bytes=LIMIT,
        max_content_bytes=LIMIT,
    )


@pytest.mark.parametrize("backend_name", ["sqlite-local", "postgres-s3"], indirect=True)
def test_a_64_mib_file_is_submitted_under_a_32_mib_traced_peak(
    api: Api, pki: DevPki, tmp_path: Path
) -> None:
    content = os.urandom(SIZE)
    sha256 = hashlib.sha256(content).hexdigest()
    signature = sign_cades(pki, content, signer="doctor-ecdsa", level="B-LT")
    manifest = signed_content.manifest(
        pki, "doctor-ecdsa", payload_sha256=sha256, content_type="application/octet-stream"
    )
    signed_manifest = sign_cades(pki, manifest, signer="doctor-ecdsa", level="B-LT", detached=False)
    content_file = tmp_path / "scan.bin"
    content_file.write_bytes(content)
    del content
    with api.client("a") as client, content_file.open("rb") as stream:
        tracemalloc.start()
        try:
            response = client.post(
                "/api/v1/documents",
                files={
                    "file": ("scan.p7s", signature),
                    "content": ("scan.bin", stream),
                    "manifest": ("scan.manifest.p7s", signed_manifest),
                },
                data={"kind": "medical_document"},
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["kind"], body["indication"], body["qualification"]) == (
        "medical_document",
        "TOTAL_PASSED",
        "QESig",
    )
    stored = api.runtime.store.stat(content_key(sha256))
    assert (stored.size, stored.sha256) == (SIZE, sha256)
    assert peak < PEAK_BOUND, f"traced peak {peak / 2**20:.1f} MiB for a 64 MiB file"


@pytest.mark.parametrize("backend_name", ["sqlite-local"], indirect=True)
def test_a_streamed_file_the_manifest_does_not_name_is_refused(
    api: Api, pki: DevPki, tmp_path: Path
) -> None:
    content = os.urandom(2 * 1024 * 1024)
    signature = sign_cades(pki, content, signer="doctor-ecdsa", level="B-LT")
    named = hashlib.sha256(b"another file").hexdigest()
    manifest = signed_content.manifest(
        pki, "doctor-ecdsa", payload_sha256=named, content_type="application/octet-stream"
    )
    signed_manifest = sign_cades(pki, manifest, signer="doctor-ecdsa", level="B-LT", detached=False)
    with api.client("a") as client:
        response = client.post(
            "/api/v1/documents",
            files={
                "file": ("scan.p7s", signature),
                "content": ("scan.bin", content),
                "manifest": ("scan.manifest.p7s", signed_manifest),
            },
            data={"kind": "medical_document"},
        )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == "urn:docex:problem:signed-content"
    assert problem["detail"] == (
        f"content[0].attachment.url: the manifest names the file with SHA-256 {named}, "
        f"but the signed file's content has SHA-256 {hashlib.sha256(content).hexdigest()}"
    )
    assert not api.runtime.store.exists(content_key(hashlib.sha256(content).hexdigest()))
