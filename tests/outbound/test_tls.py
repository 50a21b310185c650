"""HTTPS to a pinned address: the certificate is verified against the name, not the address."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from docex.outbound.client import FailureKind, OutboundFailedError, request
from docex.outbound.policy import IPAddress, OutboundPolicy


def _certificate(folder: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / f"{name}.pem", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@contextmanager
def _tls_server(cert: Path, key: Path, sni: list[str | None]) -> Iterator[int]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    def remember(_sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        sni.append(name)

    context.sni_callback = remember
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(5)

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        try:
            with context.wrap_socket(conn, server_side=True) as tls:
                # The whole request (head, then the two-byte body): closing with unread
                # bytes would reset the connection before the client reads the answer.
                received = b""
                while not received.endswith(b"\r\n\r\n{}"):
                    chunk = tls.recv(65536)
                    if not chunk:
                        break
                    received += chunk
                tls.sendall(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
        except (OSError, ssl.SSLError):
            pass  # the client refused our certificate, as one test wants

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        thread.join(timeout=5)
        listener.close()


def _policy() -> OutboundPolicy:
    def resolver(_host: str, _port: int) -> list[IPAddress]:
        return [ipaddress.ip_address("127.0.0.1")]

    return OutboundPolicy(
        allowed_networks=(ipaddress.ip_network("127.0.0.0/8"),), timeout=5, resolver=resolver
    )


def test_https_to_the_checked_address_sends_sni_and_verifies_the_name(tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path, "hooks.clinic.example.org")
    trust = ssl.create_default_context(cafile=str(cert))
    sni: list[str | None] = []
    with _tls_server(cert, key, sni) as port:
        response = request(
            "POST",
            f"https://hooks.clinic.example.org:{port}/in",
            policy=_policy(),
            body=b"{}",
            tls_context=trust,
        )
    assert response.status == 204
    assert sni == ["hooks.clinic.example.org"]


def test_a_certificate_for_another_name_is_a_tls_failure(tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path, "other.example.org")
    trust = ssl.create_default_context(cafile=str(cert))
    with (
        _tls_server(cert, key, []) as port,
        pytest.raises(OutboundFailedError) as caught,
    ):
        request(
            "POST",
            f"https://hooks.clinic.example.org:{port}/in",
            policy=_policy(),
            body=b"{}",
            tls_context=trust,
        )
    assert caught.value.kind is FailureKind.TLS
