"""Trust anchors and trusted lists: what a deployment declares trustworthy and qualified.

Two sources are supported, and may be combined:

* certificates (a PEM or DER file, or a folder of them). Every such anchor is declared a
  qualified CA (``http://uri.etsi.org/TrstSvc/Svctype/CA/QC``): a deployment that puts a CA
  in its trust folder says it issues qualified certificates;
* an ETSI TS 119 612 trusted list (XML), the format of Ukraine's and the EU's trusted
  lists, which says per service whether and when it is qualified.

The trusted list is configuration chosen by the operator, read from local disk; its XML
signature is not checked here (pyHanko's parser does not check it either).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import pem, x509
from pyhanko.sign.validation.qualified.eutl_parse import trust_list_to_registry_unsafe
from pyhanko.sign.validation.qualified.tsp import (
    CA_QC_URI,
    BaseServiceInformation,
    CAServiceInformation,
    TSPRegistry,
    TSPTrustManager,
)

from docex.errors import TrustConfigError

CERT_SUFFIXES = frozenset({".pem", ".crt", ".cer", ".der"})
MAX_TRUST_FILE_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class TrustStore:
    """The trust configuration a verifier works with.

    ``fingerprint`` identifies the configuration's content; caches key on it so that a
    changed trust configuration never reuses results proven under another.
    """

    registry: TSPRegistry
    anchors: tuple[x509.Certificate, ...]
    sources: tuple[str, ...]
    fingerprint: str

    def trust_manager(self) -> TSPTrustManager:
        """A certvalidator trust manager over this store."""
        return TSPTrustManager(self.registry)

    def describe(self) -> str:
        """A one-line description for people."""
        return f"{len(self.anchors)} trust anchor(s) from {', '.join(self.sources)}"


def load_trust_store(paths: Sequence[str | Path]) -> TrustStore:
    """Build a trust store from certificate files, folders and trusted-list XML files.

    :raises TrustConfigError: a path is missing, unreadable, or yields no anchor.
    """
    if not paths:
        raise TrustConfigError("no trust source given")
    registry = TSPRegistry()
    anchors: list[x509.Certificate] = []
    digest = hashlib.sha256()
    for raw_path in paths:
        path = Path(raw_path)
        for file in _expand(path):
            data = _read(file)
            digest.update(hashlib.sha256(data).digest())
            if _looks_like_xml(data):
                anchors.extend(_register_trusted_list(registry, file, data))
            else:
                for cert in _parse_certificates(file, data):
                    _register_qualified_ca(registry, cert)
                    anchors.append(cert)
    if not anchors:
        raise TrustConfigError(f"no trust anchor found in {', '.join(map(str, paths))}")
    return TrustStore(
        registry=registry,
        anchors=tuple(anchors),
        sources=tuple(str(p) for p in paths),
        fingerprint=digest.hexdigest(),
    )


def trust_store_from_certificates(
    certs: Iterable[x509.Certificate], *, name: str = "certificates"
) -> TrustStore:
    """A trust store declaring the given CA certificates qualified (used by tests and tools)."""
    registry = TSPRegistry()
    anchors = tuple(certs)
    digest = hashlib.sha256()
    for cert in anchors:
        _register_qualified_ca(registry, cert)
        digest.update(cert.sha256)
    return TrustStore(
        registry=registry, anchors=anchors, sources=(name,), fingerprint=digest.hexdigest()
    )


def _expand(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(
            p
            for p in path.iterdir()
            if p.is_file() and (p.suffix.lower() in CERT_SUFFIXES or p.suffix.lower() == ".xml")
        )
        if not files:
            raise TrustConfigError(f"trust folder {path} holds no certificate or trusted list")
        return files
    if path.is_file():
        return [path]
    raise TrustConfigError(f"trust source {path} does not exist")


def _read(file: Path) -> bytes:
    try:
        size = file.stat().st_size
        if size > MAX_TRUST_FILE_BYTES:
            raise TrustConfigError(f"trust source {file} is larger than {MAX_TRUST_FILE_BYTES}")
        return file.read_bytes()
    except OSError as exc:
        raise TrustConfigError(f"cannot read trust source {file}: {exc.strerror}") from exc


def _looks_like_xml(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"


def _parse_certificates(file: Path, data: bytes) -> list[x509.Certificate]:
    try:
        if pem.detect(data):
            return [
                x509.Certificate.load(der)
                for kind, _, der in pem.unarmor(data, multiple=True)
                if kind == "CERTIFICATE"
            ]
        cert = x509.Certificate.load(data)
        _ = cert.subject  # force a parse of the parts we rely on
        return [cert]
    except (ValueError, TypeError) as exc:
        raise TrustConfigError(f"{file} is not a certificate in PEM or DER form") from exc


def _register_qualified_ca(registry: TSPRegistry, cert: x509.Certificate) -> None:
    info = BaseServiceInformation(
        service_type=CA_QC_URI,
        service_name=cert.subject.human_friendly,
        valid_from=cert.not_valid_before,
        valid_until=None,
        provider_certs=(cert,),
        additional_info_certificate_type=frozenset(),
        other_additional_info=frozenset(),
    )
    registry.register_ca(
        CAServiceInformation(
            base_info=info, qualifications=frozenset(), expired_certs_revocation_info=None
        )
    )


def _register_trusted_list(
    registry: TSPRegistry, file: Path, data: bytes
) -> list[x509.Certificate]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TrustConfigError(f"trusted list {file} is not UTF-8 XML") from exc
    before = set(registry.known_certificate_authorities)
    try:
        _, problems = trust_list_to_registry_unsafe(text, registry)
    except Exception as exc:  # the XML binding raises many kinds of parse errors
        raise TrustConfigError(f"trusted list {file} cannot be parsed: {exc}") from exc
    new = [a for a in registry.known_certificate_authorities if a not in before]
    if not new and problems:
        raise TrustConfigError(f"trusted list {file} declares no usable CA: {problems[0]}")
    certs: list[x509.Certificate] = []
    for authority in new:
        cert = getattr(authority, "certificate", None)
        if isinstance(cert, x509.Certificate):
            certs.append(cert)
    return certs
