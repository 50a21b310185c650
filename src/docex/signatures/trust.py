"""Trust anchors and trusted lists: what a deployment declares trustworthy and qualified.

Three sources are supported, and may be combined:

* certificates (a PEM or DER file, or a folder of them). Every CA among them is declared a
  qualified CA (``http://uri.etsi.org/TrstSvc/Svctype/CA/QC``): a deployment that puts a CA
  in its trust folder says it issues qualified certificates;
* a certificate bundle as Ukrainian software distributes it (``CACertificates.p7b``: a CMS
  SignedData carrying certificates, DER or PEM). Like a PEM bundle, the file is trusted
  because the operator chose it: a signature on it, if any, is not relied on.

Certificate files, folders and bundles mix roots, intermediate CAs and the CAs' OCSP, TSP
and CMP server certificates (Ukraine's bundle and UAPKI's test folder both do). Which of
them a path may end at follows the hierarchy they describe:

* a **trust anchor** is a CA certificate (basicConstraints cA) that is self-issued, or
  whose issuer is not among the configured certificates: paths end at the root the
  operator configured, so a CA under it is checked against it (signature, validity,
  revocation) like any intermediate;
* an **intermediate CA** whose issuer is configured too is registered as a qualified CA,
  so that certificates it issues qualify, and offered to path building, but is no anchor;
* a **server certificate** (no cA: OCSP responders, TSAs) issues nothing and is never an
  anchor, or a signer certificate put there would validate as its own root. It is a known
  certificate: path building and the time-stamp signer lookup may use it, and it must
  then validate like any certificate carried by the signature.

A self-issued certificate without cA (a self-signed test key) is an anchor too: it is a
root by construction, and an operator who configures it trusts exactly that key.
* an ETSI TS 119 612 trusted list (XML), the format of Ukraine's and the EU's trusted
  lists, which says per service whether and when it is qualified. Its XML signature must
  verify with one of the configured list-signer certificates (pyHanko's
  :func:`trust_list_to_registry`, on signxml). A list is read without that check only if
  the caller says explicitly that this is development (``allow_unsigned_trusted_list``;
  the setting ``DOCEX_TRUSTED_LIST_UNSIGNED_DEV_ONLY``, which production refuses).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import cms, pem, x509
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.qualified.tsp import (
    CA_QC_URI,
    BaseServiceInformation,
    CAServiceInformation,
    TSPRegistry,
    TSPTrustManager,
)
from pyhanko_certvalidator.authority import Authority, AuthorityWithCert, TrustAnchor

from docex.errors import TrustConfigError
from docex.signatures.identity_ua import is_ca_certificate

CERT_SUFFIXES = frozenset({".pem", ".crt", ".cer", ".der"})
BUNDLE_SUFFIXES = frozenset({".p7b", ".p7c"})
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
    certificates: tuple[x509.Certificate, ...] = ()
    """Configured certificates that are not anchors: intermediate CAs and servers."""

    def trust_manager(self) -> TSPTrustManager:
        """A certvalidator trust manager whose roots are this store's anchors only."""
        return _AnchorTrustManager(self.registry, self._anchor_keys)

    @functools.cached_property
    def _anchor_keys(self) -> frozenset[object]:
        # Computed once: every path evaluation builds a trust manager.
        return frozenset(AuthorityWithCert(a).hashable for a in self.anchors)

    @property
    def all_certificates(self) -> tuple[x509.Certificate, ...]:
        """Anchors and the other configured certificates, for path building and lookup."""
        return self.anchors + self.certificates

    def describe(self) -> str:
        """A one-line description for people."""
        return f"{len(self.anchors)} trust anchor(s) from {', '.join(self.sources)}"


def load_trust_store(
    paths: Sequence[str | Path],
    *,
    trusted_list_signers: Sequence[str | Path] = (),
    allow_unsigned_trusted_list: bool = False,
) -> TrustStore:
    """Build a trust store from certificate files, bundles, folders and trusted lists.

    ``trusted_list_signers`` are certificate files (PEM or DER) of the trusted lists'
    operators: every trusted list must carry an XML signature that verifies with one of
    them. ``allow_unsigned_trusted_list`` reads trusted lists without any
    signature check and is for the development PKI only.

    :raises TrustConfigError: a path is missing, unreadable, or yields no anchor; a trusted
        list's signature does not verify, or no list signer is configured.
    """
    if not paths:
        raise TrustConfigError("no trust source given")
    signers = _list_signers(trusted_list_signers)
    registry = TSPRegistry()
    anchors: list[x509.Certificate] = []
    configured: list[x509.Certificate] = []
    digest = hashlib.sha256()
    for signer in signers:
        # The same list read under another signer configuration is another configuration.
        digest.update(b"tl-signer:" + signer.sha256)
    if allow_unsigned_trusted_list:
        digest.update(b"tl-unsigned-dev-only")
    for raw_path in paths:
        path = Path(raw_path)
        for file in _expand(path):
            data = _read(file)
            digest.update(hashlib.sha256(data).digest())
            if _looks_like_xml(data):
                anchors.extend(
                    _register_trusted_list(
                        registry,
                        file,
                        data,
                        signers=signers,
                        allow_unsigned=allow_unsigned_trusted_list,
                    )
                )
            else:
                configured.extend(c for c in _parse_certificates(file, data) if c not in configured)
    roots, others = _classify(configured)
    for cert in configured:
        if cert in roots or is_ca_certificate(cert):
            _register_qualified_ca(registry, cert)
    anchors.extend(c for c in roots if c not in anchors)
    if not anchors:
        raise TrustConfigError(
            f"no trust anchor found in {', '.join(map(str, paths))}: none of its "
            "certificates is a CA certificate or self-issued"
        )
    return TrustStore(
        registry=registry,
        anchors=tuple(anchors),
        sources=tuple(str(p) for p in paths),
        fingerprint=digest.hexdigest(),
        certificates=tuple(others),
    )


def _classify(
    certs: Sequence[x509.Certificate],
) -> tuple[list[x509.Certificate], list[x509.Certificate]]:
    """Split configured certificates into anchors and the rest (see the module docstring)."""
    roots: list[x509.Certificate] = []
    others: list[x509.Certificate] = []
    for cert in certs:
        self_issued = cert.subject == cert.issuer
        if self_issued or (is_ca_certificate(cert) and not _issuer_configured(cert, certs)):
            roots.append(cert)
        else:
            others.append(cert)
    return roots, others


def _issuer_configured(cert: x509.Certificate, certs: Sequence[x509.Certificate]) -> bool:
    """Whether another configured CA certificate could have issued ``cert``."""
    for other in certs:
        if other is cert or other.subject != cert.issuer or not is_ca_certificate(other):
            continue
        aki, ski = _key_identifier(cert, authority=True), _key_identifier(other)
        if aki is None or ski is None or aki == ski:
            return True
    return False


def _key_identifier(cert: x509.Certificate, *, authority: bool = False) -> bytes | None:
    """The certificate's AKI or SKI, or ``None`` when absent or unreadable."""
    try:
        value = cert.authority_key_identifier if authority else cert.key_identifier
    except (ValueError, TypeError):
        return None  # a malformed non-critical AKI (a real-world quirk) identifies nothing
    return value if isinstance(value, bytes) else None


class _AnchorTrustManager(TSPTrustManager):
    """A trust manager whose roots are the anchors, while the registry qualifies more.

    The registry holds every qualified CA (intermediates included, so that what they issue
    qualifies); certvalidator, though, treats whatever the trust manager recognises as a
    root. Restricting recognition to the anchors makes paths run to the configured root.
    """

    def __init__(self, registry: TSPRegistry, anchors: frozenset[object]):
        super().__init__(registry)
        self._anchors = anchors

    def as_trust_anchor(self, authority: Authority) -> TrustAnchor | None:
        if authority.hashable not in self._anchors:
            return None
        return super().as_trust_anchor(authority)

    def find_potential_issuers(self, cert: x509.Certificate) -> Generator[TrustAnchor, None, None]:
        for anchor in super().find_potential_issuers(cert):
            if anchor.authority.hashable in self._anchors:
                yield anchor


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
            if p.is_file()
            and (
                p.suffix.lower() in CERT_SUFFIXES
                or p.suffix.lower() in BUNDLE_SUFFIXES
                or p.suffix.lower() == ".xml"
            )
        )
        if not files:
            raise TrustConfigError(
                f"trust folder {path} holds no certificate, bundle or trusted list"
            )
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
            certs: list[x509.Certificate] = []
            for kind, _, der in pem.unarmor(data, multiple=True):
                if kind == "CERTIFICATE":
                    certs.append(_certificate(der))
                elif kind in ("PKCS7", "CMS"):
                    certs.extend(_bundle_certificates(file, der))
            return certs
        bundle = _signed_data(data)
        if bundle is not None:
            return _bundle_certificates(file, data, bundle)
        return [_certificate(data)]
    except (ValueError, TypeError) as exc:
        raise TrustConfigError(
            f"{file} is not a certificate or certificate bundle in PEM or DER form"
        ) from exc


def _certificate(der: bytes) -> x509.Certificate:
    cert = x509.Certificate.load(der)
    _ = cert.subject  # force a parse of the parts we rely on
    return cert


def _signed_data(der: bytes) -> cms.SignedData | None:
    """The SignedData of a DER ContentInfo, or ``None`` if the bytes are not one."""
    try:
        info = cms.ContentInfo.load(der)
        if info["content_type"].native != "signed_data":
            return None
        content = info["content"]
    except (ValueError, TypeError, KeyError):
        return None
    return content if isinstance(content, cms.SignedData) else None


def _bundle_certificates(
    file: Path, der: bytes, bundle: cms.SignedData | None = None
) -> list[x509.Certificate]:
    bundle = bundle if bundle is not None else _signed_data(der)
    if bundle is None:
        raise TrustConfigError(f"{file} is not a CMS SignedData certificate bundle")
    certs: list[x509.Certificate] = []
    for choice in bundle["certificates"] or []:
        if choice.name != "certificate":
            continue  # attribute certificates and other formats are not anchors
        cert = x509.Certificate.load(choice.chosen.dump())
        if cert not in certs:
            certs.append(cert)
    if not any(is_ca_certificate(c) for c in certs):
        raise TrustConfigError(f"certificate bundle {file} holds no CA certificate")
    return certs


def _list_signers(paths: Sequence[str | Path]) -> tuple[x509.Certificate, ...]:
    signers: list[x509.Certificate] = []
    for raw_path in paths:
        file = Path(raw_path)
        if not file.is_file():
            raise TrustConfigError(f"trusted-list signer certificate {file} does not exist")
        data = _read(file)
        if pem.detect(data):
            found = [
                _certificate(der)
                for kind, _, der in pem.unarmor(data, multiple=True)
                if kind == "CERTIFICATE"
            ]
        else:
            try:
                found = [_certificate(data)]
            except (ValueError, TypeError) as exc:
                raise TrustConfigError(
                    f"trusted-list signer {file} is not a certificate in PEM or DER form"
                ) from exc
        if not found:
            raise TrustConfigError(f"trusted-list signer {file} holds no certificate")
        signers.extend(found)
    return tuple(signers)


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
    registry: TSPRegistry,
    file: Path,
    data: bytes,
    *,
    signers: tuple[x509.Certificate, ...],
    allow_unsigned: bool,
) -> list[x509.Certificate]:
    # lxml and pyHanko's trusted-list binding cost about half a second to import; only
    # a trusted list needs them, and `docex verify` with certificate anchors must start fast.
    from lxml import etree
    from pyhanko.sign.validation.qualified.eutl_parse import (
        trust_list_to_registry,
        trust_list_to_registry_unsafe,
    )

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TrustConfigError(f"trusted list {file} is not UTF-8 XML") from exc
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        # Well-formedness first, so that a broken file says so whatever the signer setup.
        etree.fromstring(data, parser=parser)  # entities and network are off
    except etree.XMLSyntaxError as exc:
        raise TrustConfigError(f"trusted list {file} cannot be parsed: {exc}") from exc
    if not signers and not allow_unsigned:
        raise TrustConfigError(
            f"trusted list {file} cannot be trusted: no trusted-list signer certificate is "
            "configured (DOCEX_TRUSTED_LIST_SIGNER) to check its signature"
        )
    before = set(registry.known_certificate_authorities)
    try:
        if signers:
            _, problems = trust_list_to_registry(text, list(signers), registry)
        else:
            _, problems = trust_list_to_registry_unsafe(text, registry)
    except SignatureValidationError as exc:
        raise TrustConfigError(
            f"trusted list {file} is refused: its XML signature does not verify with the "
            f"configured trusted-list signer certificate(s): {exc.failure_message}"
        ) from exc
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
