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

Time-stamping services (:class:`TsaService`) are named by the configuration too, never
inferred from a timeStamping extended key usage alone (ETSI EN 319 102-1 takes the TSA's
trust anchors from the validation constraints; docex's are these):

* a trusted list's services of type ``…/Svctype/TSA/QTST`` (qualified) and ``…/Svctype/TSA``
  (not qualified), with their status history: a service is accepted while its status is
  granted (or, for a non-qualified one, recognised at national level);
* a time-stamping certificate (timeStamping EKU, no cA) among the configured certificates:
  Ukraine's bundle (``CACertificates.p7b``) and UAPKI's test folder list each qualified
  provider's TSP certificate beside its CA, and that listing is how Ukrainian software
  tells which TSAs to trust. Like a configured CA, it is declared qualified;
* the ``tsa/`` subfolder of a trust folder: every certificate there is a TSA anchor. A
  time-stamping certificate there is a configured TSA; a CA certificate there makes every
  time-stamping certificate it (or a CA under it) issued one. These certificates mark
  TSAs only: they are offered to path building, but are no trust anchors and qualify no
  signer, so the TSA's path must still end at a configured anchor.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

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
TSA_FOLDER = "tsa"
"""The subfolder of a trust folder whose certificates are TSA anchors."""

QTST_URI = "http://uri.etsi.org/TrstSvc/Svctype/TSA/QTST"
TSA_URI = "http://uri.etsi.org/TrstSvc/Svctype/TSA"
_STATUS = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/"
_GRANTED = _STATUS + "granted"
_RECOGNISED = _STATUS + "recognisedatnationallevel"
# TS 119 612 v1 (before eIDAS) statuses under which a supervised TSA was trusted.
_LEGACY_ACCEPTED = frozenset(
    {
        "http://uri.etsi.org/TrstSvc/Svcstatus/undersupervision",
        "http://uri.etsi.org/TrstSvc/Svcstatus/accredited",
    }
)
_TSL_NS = "http://uri.etsi.org/02231/v2#"


@dataclass(frozen=True)
class TsaPeriod:
    """A stretch of time during which a time-stamping service is accepted."""

    start: datetime
    end: datetime | None
    """``None``: the status still holds."""
    qualified: bool
    """A qualified time-stamping service (QTST, granted) during this stretch."""

    def holds_at(self, at: datetime) -> bool:
        """Whether ``at`` falls in this stretch (start included, end excluded)."""
        return self.start <= at and (self.end is None or at < self.end)


@dataclass(frozen=True)
class TsaService:
    """A time-stamping service the trust configuration names (see the module docstring)."""

    identities: tuple[x509.Certificate, ...]
    """The service's certificates: a TSA's own, or a CA whose TSA certificates it covers."""
    name: str
    periods: tuple[TsaPeriod, ...]
    source: str
    """Where the configuration says so: a trusted list, a configured certificate, ``tsa/``."""

    def period_at(self, at: datetime) -> TsaPeriod | None:
        """The accepted stretch that contains ``at``, if any."""
        return next((p for p in self.periods if p.holds_at(at)), None)


@dataclass(frozen=True)
class TsaMatch:
    """A configured time-stamping service covering a TSA certificate at a time."""

    service: TsaService
    qualified: bool


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
    tsa_services: tuple[TsaService, ...] = ()
    """The time-stamping services the configuration names (see the module docstring)."""

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

    def tsa_services_for(self, path: Sequence[x509.Certificate]) -> list[TsaService]:
        """The configured services covering a TSA whose validated path is ``path``.

        ``path`` starts at the TSA certificate and runs up to the anchor. A service covers
        it when one of its identities is the TSA certificate, or is a CA on the path (a
        service identified by its CA, as some trusted lists and ``tsa/`` anchors do).
        Identities match by subject and public key, so that a re-issued certificate of
        the same key is the same service, as TS 119 612 §5.5.3 allows.
        """
        if not path:
            return []
        tsa, cas = path[0], path[1:]
        found = []
        for service in self.tsa_services:
            for identity in service.identities:
                if _same_key(identity, tsa) or (
                    is_ca_certificate(identity) and any(_same_key(identity, ca) for ca in cas)
                ):
                    found.append(service)
                    break
        return found

    def tsa_service_at(self, path: Sequence[x509.Certificate], at: datetime) -> TsaMatch | None:
        """The configured service covering the TSA at ``at``; a qualified one first."""
        matches = []
        for service in self.tsa_services_for(path):
            period = service.period_at(at)
            if period is not None:
                matches.append(TsaMatch(service=service, qualified=period.qualified))
        matches.sort(key=lambda m: not m.qualified)
        return matches[0] if matches else None


def _same_key(a: x509.Certificate, b: x509.Certificate) -> bool:
    if a.sha256 == b.sha256:
        return True
    same_subject: bool = a.subject == b.subject
    return same_subject and a.public_key.dump() == b.public_key.dump()


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
    tsa_services: list[TsaService] = []
    tsa_anchor_certs: list[x509.Certificate] = []
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
                tl_anchors, tl_tsas = _register_trusted_list(
                    registry,
                    file,
                    data,
                    signers=signers,
                    allow_unsigned=allow_unsigned_trusted_list,
                )
                anchors.extend(tl_anchors)
                tsa_services.extend(tl_tsas)
            else:
                configured.extend(c for c in _parse_certificates(file, data) if c not in configured)
        tsa_folder = path / TSA_FOLDER
        if path.is_dir() and tsa_folder.is_dir():
            # Marked apart from the rest: "tsa/" is part of this source's content.
            digest.update(b"tsa-anchors:")
            for file in _expand(tsa_folder, certificates_only=True):
                data = _read(file)
                digest.update(hashlib.sha256(data).digest())
                for cert in _parse_certificates(file, data):
                    tsa_services.append(_configured_tsa(cert, f"TSA anchor {file}"))
                    if cert not in tsa_anchor_certs:
                        tsa_anchor_certs.append(cert)
    roots, others = _classify(configured)
    for cert in configured:
        if cert in roots or is_ca_certificate(cert):
            _register_qualified_ca(registry, cert)
    anchors.extend(c for c in roots if c not in anchors)
    # A time-stamping server certificate listed with the CAs names its TSA (Ukraine's way).
    for cert in others:
        if _is_time_stamping(cert) and not is_ca_certificate(cert):
            tsa_services.append(_configured_tsa(cert, "configured TSA certificate"))
    others.extend(c for c in tsa_anchor_certs if c not in configured)
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
        tsa_services=tuple(tsa_services),
    )


def _is_time_stamping(cert: x509.Certificate) -> bool:
    try:
        eku = cert.extended_key_usage_value
    except (ValueError, TypeError):
        return False  # an unreadable EKU claims nothing
    return eku is not None and "time_stamping" in eku.native


def _configured_tsa(cert: x509.Certificate, source: str) -> TsaService:
    """A TSA named by a configured certificate: qualified, as a configured CA is."""
    return TsaService(
        identities=(cert,),
        name=cert.subject.human_friendly,
        periods=(TsaPeriod(start=cert.not_valid_before, end=None, qualified=True),),
        source=source,
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
    certs: Iterable[x509.Certificate],
    *,
    name: str = "certificates",
    tsas: Iterable[x509.Certificate] = (),
) -> TrustStore:
    """A trust store declaring the given CA certificates qualified (used by tests and tools).

    ``tsas`` are TSA anchors, as in a trust folder's ``tsa/``: time-stamping certificates,
    or CAs whose time-stamping certificates are accepted, all declared qualified.
    """
    registry = TSPRegistry()
    anchors = tuple(certs)
    marked = tuple(tsas)
    digest = hashlib.sha256()
    for cert in anchors:
        _register_qualified_ca(registry, cert)
        digest.update(cert.sha256)
    for cert in marked:
        digest.update(b"tsa:" + cert.sha256)
    return TrustStore(
        registry=registry,
        anchors=anchors,
        sources=(name,),
        fingerprint=digest.hexdigest(),
        certificates=tuple(c for c in marked if c not in anchors),
        tsa_services=tuple(_configured_tsa(c, f"TSA anchor in {name}") for c in marked),
    )


def _expand(path: Path, *, certificates_only: bool = False) -> list[Path]:
    if path.is_dir():
        files = sorted(
            p
            for p in path.iterdir()
            if p.is_file()
            and (
                p.suffix.lower() in CERT_SUFFIXES
                or p.suffix.lower() in BUNDLE_SUFFIXES
                or (p.suffix.lower() == ".xml" and not certificates_only)
            )
        )
        if not files:
            what = "certificate" if certificates_only else "certificate, bundle or trusted list"
            raise TrustConfigError(f"trust folder {path} holds no {what}")
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
) -> tuple[list[x509.Certificate], list[TsaService]]:
    """Register a list's qualified CAs; return its CA anchors and its TSA services."""
    # lxml and pyHanko's trusted-list binding cost about half a second to import; only
    # a trusted list needs them, and `docex verify` with certificate anchors must start fast.
    from lxml import etree
    from pyhanko.sign.validation.qualified.eutl_parse import (
        _validate_and_extract_tl_data_multiple_certs,
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
        # What pyHanko's trust_list_to_registry does, in two steps: the TSA services are
        # read from the same signature-verified XML (never from the raw file, where an
        # unsigned wrapper could add services), and pyHanko's binding does not read
        # non-qualified TSA services or keep status history in a form we can query.
        verified = (
            _validate_and_extract_tl_data_multiple_certs(text, list(signers), validation_time=None)
            if signers
            else text
        )
        _, problems = trust_list_to_registry_unsafe(verified, registry)
        tsas = _tsa_services(etree.fromstring(verified.encode("utf-8"), parser=parser), file)
    except SignatureValidationError as exc:
        raise TrustConfigError(
            f"trusted list {file} is refused: its XML signature does not verify with the "
            f"configured trusted-list signer certificate(s): {exc.failure_message}"
        ) from exc
    except TrustConfigError:
        raise
    except Exception as exc:  # the XML binding raises many kinds of parse errors
        raise TrustConfigError(f"trusted list {file} cannot be parsed: {exc}") from exc
    new = [a for a in registry.known_certificate_authorities if a not in before]
    if not new and not tsas and problems:
        raise TrustConfigError(f"trusted list {file} declares no usable CA: {problems[0]}")
    certs: list[x509.Certificate] = []
    for authority in new:
        cert = getattr(authority, "certificate", None)
        if isinstance(cert, x509.Certificate):
            certs.append(cert)
    return certs, tsas


def _tsa_services(root: Any, file: Path) -> list[TsaService]:
    """The list's TSA/QTST and TSA services with the periods their status history gives.

    Each status (the current one and every history entry) holds from its starting time
    until the next one starts; the stretches with an accepting status are kept.
    """
    ns = {"tsl": _TSL_NS}
    services: list[TsaService] = []
    for service in root.iterfind(".//tsl:TSPService", ns):
        info = service.find("tsl:ServiceInformation", ns)
        if info is None:
            continue
        entries = [info, *service.iterfind("tsl:ServiceHistory/tsl:ServiceHistoryInstance", ns)]
        statuses: list[tuple[datetime, str, str]] = []
        identities: list[x509.Certificate] = []
        for entry in entries:
            kind = (entry.findtext("tsl:ServiceTypeIdentifier", "", ns) or "").strip()
            if kind not in (QTST_URI, TSA_URI):
                continue
            status = (entry.findtext("tsl:ServiceStatus", "", ns) or "").strip()
            since = (entry.findtext("tsl:StatusStartingTime", "", ns) or "").strip()
            try:
                start = datetime.fromisoformat(since.replace("Z", "+00:00"))
            except ValueError:
                raise TrustConfigError(
                    f"trusted list {file}: a TSA service status has no valid starting time"
                ) from None
            if start.tzinfo is None:
                raise TrustConfigError(
                    f"trusted list {file}: a TSA service status starting time has no time zone"
                )
            statuses.append((start, status, kind))
            for element in entry.iterfind(
                "tsl:ServiceDigitalIdentity/tsl:DigitalId/tsl:X509Certificate", ns
            ):
                try:
                    cert = _certificate(base64.b64decode("".join(element.text.split())))
                except (ValueError, TypeError, AttributeError) as exc:
                    raise TrustConfigError(
                        f"trusted list {file}: a TSA service certificate cannot be read"
                    ) from exc
                if all(c.sha256 != cert.sha256 for c in identities):
                    identities.append(cert)
        if not statuses or not identities:
            continue
        statuses.sort(key=lambda item: item[0])
        periods = []
        for index, (start, status, kind) in enumerate(statuses):
            end = statuses[index + 1][0] if index + 1 < len(statuses) else None
            qualified = kind == QTST_URI and (status == _GRANTED or status in _LEGACY_ACCEPTED)
            if status in (_GRANTED, _RECOGNISED) or status in _LEGACY_ACCEPTED:
                periods.append(TsaPeriod(start=start, end=end, qualified=qualified))
        name = (info.findtext("tsl:ServiceName/tsl:Name", "", ns) or "").strip()
        services.append(
            TsaService(
                identities=tuple(identities),
                name=name or identities[0].subject.human_friendly,
                periods=tuple(periods),
                source=f"trusted list {file}",
            )
        )
    return services
