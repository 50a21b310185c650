"""A large upload is held whole in memory at most once (streamed to disk, then stored)."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from pathlib import Path

import pytest

from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from tests import signed_content
from tests.api.conftest import Api

SIZE = 40 * 1024 * 1024


@pytest.mark.parametrize("backend_name", ["sqlite-local"], indirect=True)
def test_large_detached_content_is_not_copied_in_memory(
    api: Api, pki: DevPki, tmp_path: Path
) -> None:
    content = os.urandom(SIZE)
    signature = sign_cades(pki, content, signer="doctor-ecdsa", level="B-LT")
    manifest = signed_content.manifest(
        pki,
        "doctor-ecdsa",
        payload_sha256=hashlib.sha256(content).hexdigest(),
        content_type="application/octet-stream",
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
    # One copy of the content (read for verification) plus bounded buffers; a second copy
    # anywhere in the pipeline would push the peak past 2 x SIZE.
    assert peak < SIZE * 1.5, f"peak {peak / 2**20:.0f} MiB for a {SIZE / 2**20:.0f} MiB upload"
