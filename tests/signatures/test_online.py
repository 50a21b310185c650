"""Online revocation checking against a real OCSP/CRL responder on loopback.

The development PKI is loaded with its URLs pointing at 127.0.0.1, and certomancer's
Animator (the WSGI app that serves a certomancer PKI's OCSP responders and CRLs) answers
there. Offline, a B-B signature has no revocation data; online, the verifier fetches it.
"""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from asn1crypto import pem, x509
from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import ArchLabel

from docex.devpki.pki import DevPki, config_path
from docex.devpki.signing import sign_cades
from docex.outbound.policy import DEVELOPMENT_HOSTS, DEVELOPMENT_NETWORKS, OutboundPolicy
from docex.signatures.report import Indication, Qualification, SubIndication
from docex.signatures.trust import trust_store_from_certificates
from docex.signatures.verifier import Verifier
from tests.signatures.conftest import CONTENT


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def _recording(app: Any, requests: list[str]) -> Any:
    """Record each request's path before answering it.

    (wsgiref logs after the response is sent, too late for a test that counts requests as
    soon as its client has the answer.)
    """

    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        requests.append(environ["PATH_INFO"])
        return app(environ, start_response)

    return wrapped


@dataclass
class Responder:
    pki: DevPki
    server: WSGIServer
    requests: list[str]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def responder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Responder]:
    port = _free_port()
    folder = tmp_path_factory.mktemp("online-pki")
    source = config_path()
    text = source.read_text().replace("http://dev-pki.docex.invalid", f"http://127.0.0.1:{port}")
    (folder / source.name).write_text(text)
    shutil.copytree(source.parent / "keys", folder / "keys")
    pki = DevPki.load(folder / source.name)
    store = AnimatorArchStore({ArchLabel(pki.arch.arch_label.value): pki.arch})
    requests: list[str] = []
    app = _recording(Animator(store, with_web_ui=False), requests)
    server = make_server("127.0.0.1", port, app, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    running = Responder(pki=pki, server=server, requests=requests)
    yield running
    running.stop()
    thread.join(timeout=5)


# The responder runs on loopback, which only a development policy may reach.
LOOPBACK_RESPONDER = OutboundPolicy(
    allowed_hosts=DEVELOPMENT_HOSTS, allowed_networks=DEVELOPMENT_NETWORKS, allow_plain_http=True
)


def _verifier(pki: DevPki, *, online: bool) -> Verifier:
    return Verifier(
        trust_store_from_certificates(pki.trust_anchors(), tsas=pki.tsa_anchors()),
        online=online,
        outbound=LOOPBACK_RESPONDER,
    )


def test_offline_never_fetches(responder: Responder) -> None:
    sig = sign_cades(responder.pki, CONTENT, signer="doctor-ecdsa", level="B-B")
    before = len(responder.requests)
    with _verifier(responder.pki, online=False) as verifier:
        report = verifier.verify(sig, content=CONTENT)
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.TRY_LATER,
    )
    assert len(responder.requests) == before


def test_online_fetches_once_and_caches(responder: Responder) -> None:
    pki = responder.pki
    with _verifier(pki, online=True) as verifier:
        first = verifier.verify(
            sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-B"), content=CONTENT
        )
        assert (first.indication, first.qualification) == (
            Indication.TOTAL_PASSED,
            Qualification.QESIG,
        )
        assert first.online
        assert {e.source for e in first.signatures[0].revocation} == {"fetched"}
        fetched = len(responder.requests)
        assert fetched > 0
        second = verifier.verify(
            sign_cades(pki, b"another referral", signer="doctor-ecdsa", level="B-B"),
            content=b"another referral",
        )
        assert second.indication is Indication.TOTAL_PASSED
        assert len(responder.requests) == fetched  # served from the fetch cache


def test_online_revoked_is_revoked(responder: Responder) -> None:
    pki = responder.pki
    with _verifier(pki, online=True) as verifier:
        report = verifier.verify(
            sign_cades(pki, CONTENT, signer="revoked", level="B-B"), content=CONTENT
        )
    assert (report.indication, report.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.REVOKED,
    )


def test_unreachable_responder_fails_closed(pki: DevPki) -> None:
    # The regular development PKI points at a .invalid host that never resolves.
    with _verifier(pki, online=True) as verifier:
        report = verifier.verify(
            sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-B"), content=CONTENT
        )
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.TRY_LATER,
    )


# ------------------------------------------------ the outbound policy (issue 13)

UNRELATED_CA = Path(__file__).parent.parent / "data" / "ua" / "CA-Justice-ECDSA-261217.pem"


def test_the_production_policy_never_contacts_a_loopback_responder(responder: Responder) -> None:
    pki = responder.pki
    before = len(responder.requests)
    # The default policy: the certificates' http://127.0.0.1:… URLs are refused.
    trust = trust_store_from_certificates(pki.trust_anchors(), tsas=pki.tsa_anchors())
    with Verifier(trust, online=True) as verifier:
        report = verifier.verify(
            sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-B"), content=CONTENT
        )
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.TRY_LATER,
    )
    assert len(responder.requests) == before


def test_an_untrusted_certificate_s_urls_are_never_fetched(responder: Responder) -> None:
    pki = responder.pki
    _, _, der = pem.unarmor(UNRELATED_CA.read_bytes())
    # Trusting some other CA: the dev PKI's certificates are as good as self-made here,
    # even though the policy would let the verifier reach their responder.
    trust = trust_store_from_certificates([x509.Certificate.load(der)])
    before = len(responder.requests)
    with Verifier(trust, online=True, outbound=LOOPBACK_RESPONDER) as verifier:
        report = verifier.verify(
            sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-B"), content=CONTENT
        )
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
    )
    assert len(responder.requests) == before
