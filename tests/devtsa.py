"""The development PKI on loopback: its TSA, OCSP responder and CRLs, served by certomancer.

The checkpoint code talks HTTP to a TSA URL and, when checking a checkpoint, fetches the
revocation status of the TSA's certificate; so the tests give it real servers. The PKI
is loaded with its URLs pointed at a free loopback port, where certomancer's Animator
answers RFC 3161 requests, OCSP requests and CRL downloads, and its certificates (issued
for those URLs) are written to a folder to trust.
"""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from asn1crypto import pem
from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import ArchLabel

from docex.devpki.pki import ISSUING_CA, ROOT_CA, TSA, DevPki, config_path


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass(frozen=True)
class DevTsa:
    """Where the served development TSA answers, and the folder of certificates to trust."""

    url: str
    trust_folder: Path
    """The root CA (the anchor) and the issuing CA (an intermediate) of the served PKI, and
    the TSA as a TSA anchor (``tsa/``)."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving_dev_tsa(folder: Path) -> Iterator[DevTsa]:
    """Serve the development PKI on a free loopback port, its files under ``folder``."""
    port = _free_port()
    source = config_path()
    text = source.read_text().replace("http://dev-pki.docex.invalid", f"http://127.0.0.1:{port}")
    (folder / source.name).write_text(text)
    shutil.copytree(source.parent / "keys", folder / "keys")
    pki = DevPki.load(folder / source.name)
    trust = folder / "trust"
    trust.mkdir()
    for label in (ROOT_CA, ISSUING_CA):
        (trust / f"{label}.pem").write_bytes(pem.armor("CERTIFICATE", pki.cert(label).dump()))
    # The TSA must be named by the trust configuration to be accepted (a TSA anchor).
    (trust / "tsa").mkdir()
    (trust / "tsa" / f"{TSA}.pem").write_bytes(pem.armor("CERTIFICATE", pki.cert(TSA).dump()))
    store = AnimatorArchStore({ArchLabel(pki.arch.arch_label.value): pki.arch})
    server = make_server(
        "127.0.0.1", port, Animator(store, with_web_ui=False), handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield DevTsa(
            url=f"http://127.0.0.1:{port}/{pki.arch.arch_label.value}/tsa/{TSA}",
            trust_folder=trust,
        )
    finally:
        server.shutdown()
        server.server_close()
