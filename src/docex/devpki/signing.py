"""Make CAdES and PAdES signatures with the development PKI.  DEVELOPMENT ONLY.

Used by tests, demos and ``docex sign``. Everything runs in-process: the time-stamps
come from pyHanko's ``DummyTimeStamper`` holding the dev TSA key, the OCSP responses and
CRLs from :class:`~docex.devpki.pki.DevPki`. No network is touched.

Levels (ETSI EN 319 122-1 / 319 142-1 baseline):

* ``B-B`` -- the signature with signing-certificate-v2 (and, for CAdES, signing-time).
* ``B-T`` -- plus a signature time-stamp from the dev TSA.
* ``B-LT`` -- plus validation data "as of" the time-stamp time: for CAdES the unsigned
  ``certificate-values`` and ``revocation-values`` attributes, for PAdES a DSS.
* ``B-LTA`` -- PAdES only: plus a document time-stamp.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from typing import Final

from asn1crypto import cms, crl, ocsp, x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, PdfTimeStamper, SimpleSigner
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.signers.pdf_signer import PdfSigningSession
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

# Importing cades_asn1 registers certificate_values / revocation_values with asn1crypto.
from docex.devpki.pki import ISSUING_CA, OCSP_RESPONDER, TSA, DevPki, loaded_key
from docex.errors import DevPkiError
from docex.signatures.cades_asn1 import CertificateValues, RevocationValues

CADES_LEVELS: Final = ("B-B", "B-T", "B-LT")
PADES_LEVELS: Final = ("B-B", "B-T", "B-LT", "B-LTA")
DIGESTS: Final = ("sha1", "sha256", "sha384", "sha512")


@dataclass(frozen=True)
class ValidationData:
    """Certificates and revocation data that let a verifier work without a network."""

    certs: tuple[x509.Certificate, ...]
    ocsps: tuple[ocsp.OCSPResponse, ...]
    crls: tuple[crl.CertificateList, ...]


def validation_data(pki: DevPki, *, signer: str, at: datetime) -> ValidationData:
    """What a B-LT signature by ``signer`` embeds, with revocation status as of ``at``.

    Certificates: the signer, its CAs below the root, the TSA and the OCSP responder.
    OCSP responses for the signer and for the TSA; the CRL of every CA on their paths
    (the root's CRL is what covers the issuing CA, which has no OCSP of its own).
    """
    certs: list[x509.Certificate] = []
    for cert in [*pki.chain(signer)[:-1], pki.cert(TSA), pki.cert(OCSP_RESPONDER)]:
        if cert not in certs:
            certs.append(cert)
    ocsps = (pki.ocsp_response(signer, at=at), pki.ocsp_response(TSA, at=at))
    crl_issuers: list[str] = []
    for label in (signer, TSA):
        for cert_label in _chain_labels(pki, label)[:-1]:
            issuer = pki.issuer_label(cert_label)
            if issuer not in crl_issuers:
                crl_issuers.append(issuer)
    crls = tuple(pki.crl(at=at, issuer=issuer) for issuer in crl_issuers)
    return ValidationData(certs=tuple(certs), ocsps=ocsps, crls=crls)


def sign_cades(
    pki: DevPki,
    content: bytes,
    *,
    signer: str,
    detached: bool = True,
    level: str = "B-B",
    digest: str = "sha256",
    signing_time: datetime | None = None,
    timestamp_time: datetime | None = None,
) -> bytes:
    """Sign ``content`` as CAdES and return the DER-encoded ``ContentInfo``.

    ``signing_time`` defaults to now, ``timestamp_time`` to ``signing_time``; pass
    either to backdate. Revocation data for B-LT is as of ``timestamp_time``.
    """
    _check_choice("level", level, CADES_LEVELS, note="B-LTA exists for PAdES only")
    _check_choice("digest", digest, DIGESTS)
    signing_time, timestamp_time = _times(signing_time, timestamp_time)
    timestamper = _timestamper(pki, timestamp_time) if level != "B-B" else None
    content_info = asyncio.run(
        _simple_signer(pki, signer).async_sign_general_data(
            content,
            digest,
            detached=detached,
            use_cades=True,
            timestamper=timestamper,
            signed_attr_settings=PdfCMSSignedAttributes(signing_time=signing_time),
        )
    )
    if level == "B-LT":
        _add_cades_validation_data(
            content_info, validation_data(pki, signer=signer, at=timestamp_time)
        )
    der: bytes = content_info.dump()
    return der


def sign_pades(
    pki: DevPki,
    pdf: bytes,
    *,
    signer: str,
    level: str = "B-B",
    field_name: str | None = None,
    digest: str = "sha256",
    signing_time: datetime | None = None,
    timestamp_time: datetime | None = None,
) -> bytes:
    """Sign ``pdf`` as PAdES (an incremental update) and return the signed PDF.

    ``signing_time`` (default now) becomes the signature dictionary's ``/M``; PAdES
    forbids the CMS signing-time attribute. ``timestamp_time`` (default
    ``signing_time``) dates the signature time-stamp, the validation data and, for
    B-LTA, the document time-stamp.
    """
    _check_choice("level", level, PADES_LEVELS)
    _check_choice("digest", digest, DIGESTS)
    signing_time, timestamp_time = _times(signing_time, timestamp_time)
    timestamper = _timestamper(pki, timestamp_time) if level != "B-B" else None
    meta = PdfSignatureMetadata(
        field_name=field_name or "Signature1",
        md_algorithm=digest,
        subfilter=SigSeedSubFilter.PADES,
    )
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    except (PdfError, ValueError, OSError) as exc:
        raise DevPkiError(f"not a PDF that can be signed: {exc}") from exc
    pdf_signer = _FixedTimePdfSigner(
        meta, signer=_simple_signer(pki, signer), timestamper=timestamper, system_time=signing_time
    )
    out: BytesIO = pdf_signer.sign_pdf(writer)

    if level in ("B-LT", "B-LTA"):
        # pyHanko's own embed_validation_info first validates the signer's certificate
        # and refuses to sign when that fails, which would make it impossible to build
        # B-LT samples for the revoked, expired and untrusted labels. The DSS is
        # therefore written here, from the same data the CAdES B-LT path embeds.
        data = validation_data(pki, signer=signer, at=timestamp_time)
        DocumentSecurityStore.add_dss(
            out,
            sig_contents=None,
            certs=list(data.certs),
            ocsps=list(data.ocsps),
            crls=list(data.crls),
            force_write=True,
        )
    if level == "B-LTA" and timestamper is not None:
        out = PdfTimeStamper(timestamper, field_name="DocTimeStamp1").timestamp_pdf(
            IncrementalPdfFileWriter(out, strict=False),
            digest,
            validation_context=_validation_context(pki, at=timestamp_time),
        )
    return out.getvalue()


def _chain_labels(pki: DevPki, label: str) -> list[str]:
    labels = [label]
    while (issuer := pki.issuer_label(labels[-1])) != labels[-1]:
        labels.append(issuer)
    return labels


def _times(
    signing_time: datetime | None, timestamp_time: datetime | None
) -> tuple[datetime, datetime]:
    signing_time = signing_time or datetime.now(UTC)
    timestamp_time = timestamp_time or signing_time
    for name, moment in (("signing_time", signing_time), ("timestamp_time", timestamp_time)):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise DevPkiError(f"{name} must be a timezone-aware datetime")
    return signing_time, timestamp_time


def _check_choice(what: str, value: str, allowed: tuple[str, ...], *, note: str = "") -> None:
    if value not in allowed:
        hint = f" ({note})" if note else ""
        raise DevPkiError(f"unsupported {what} {value!r}; choose one of {', '.join(allowed)}{hint}")


def _simple_signer(pki: DevPki, label: str) -> SimpleSigner:
    chain = pki.chain(label)
    # Real qualified signatures carry the signer and its intermediates, not the root:
    # the verifier must find the trust anchor in its own trust store.
    return _LoadedKeySigner(
        signing_cert=chain[0],
        signing_key=pki.key(label),
        cert_registry=_cert_store(chain[1:]),
        embed_roots=False,
    )


class _LoadedKeySigner(SimpleSigner):
    """A ``SimpleSigner`` that signs with the key loaded once per process.

    pyHanko's loads (and so checks) the private key for every signature: tens of
    milliseconds for an RSA key, more than the rest of a B-B signature.
    """

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        if digest_algorithm in DIGESTS and mechanism in ("rsassa_pkcs1v15", "ecdsa"):
            key = loaded_key(self.signing_key)
            digest = getattr(hashes, digest_algorithm.upper())()
            if isinstance(key, rsa.RSAPrivateKey) and mechanism == "rsassa_pkcs1v15":
                return key.sign(data, padding.PKCS1v15(), digest)
            if isinstance(key, ec.EllipticCurvePrivateKey) and mechanism == "ecdsa":
                return key.sign(data, ec.ECDSA(digest))
        # Anything else (RSASSA-PSS, EdDSA, other digests) as pyHanko signs it.
        return super().sign_raw(data, digest_algorithm)


def _cert_store(certs: list[x509.Certificate]) -> SimpleCertificateStore:
    # pyhanko-certvalidator leaves this constructor unannotated.
    store: SimpleCertificateStore = SimpleCertificateStore.from_certs(certs)  # type: ignore[no-untyped-call]
    return store


def _timestamper(pki: DevPki, at: datetime) -> DummyTimeStamper:
    return DummyTimeStamper(
        tsa_cert=pki.cert(TSA),
        tsa_key=pki.key(TSA),
        certs_to_embed=_cert_store([pki.cert(ISSUING_CA)]),
        fixed_dt=at,
    )


def _validation_context(pki: DevPki, *, at: datetime) -> ValidationContext:
    data = validation_data(pki, signer=TSA, at=at)
    return ValidationContext(
        trust_roots=pki.trust_anchors(),
        other_certs=list(data.certs),
        ocsps=list(data.ocsps),
        crls=list(data.crls),
        allow_fetching=False,
        moment=at,
    )


def _add_cades_validation_data(content_info: cms.ContentInfo, data: ValidationData) -> None:
    basic_ocsps = [resp["response_bytes"]["response"].parsed for resp in data.ocsps]
    revocation_values = RevocationValues({"crl_vals": list(data.crls), "ocsp_vals": basic_ocsps})
    signer_info = content_info["content"]["signer_infos"][0]
    unsigned = list(signer_info["unsigned_attrs"]) if signer_info["unsigned_attrs"] else []
    unsigned.append(
        cms.CMSAttribute(
            {"type": "certificate_values", "values": [CertificateValues(list(data.certs))]}
        )
    )
    unsigned.append(cms.CMSAttribute({"type": "revocation_values", "values": [revocation_values]}))
    # asn1crypto tracks the mutation and re-encodes only the changed parts on dump() --
    # but every enclosing value it changed encodes its children twice (for the length,
    # then the contents), and a value whose length ends in a 0x80 byte is taken for
    # one of indefinite length and encoded afresh, with all it holds, every time: at
    # five levels down, 23 times per dump (0.4 s for a B-LT signature's certificates
    # and revocation data). Replace the changed signer info by a parse of its encoding,
    # which the enclosing values take as it is.
    signer_info["unsigned_attrs"] = cms.CMSAttributes(unsigned)
    signer_infos = content_info["content"]["signer_infos"]
    signer_infos[0] = cms.SignerInfo.load(signer_info.dump())


class _FixedTimePdfSigner(PdfSigner):
    """A ``PdfSigner`` whose signing session uses a given time for ``/M``."""

    def __init__(
        self,
        signature_meta: PdfSignatureMetadata,
        *,
        signer: SimpleSigner,
        timestamper: DummyTimeStamper | None,
        system_time: datetime,
    ) -> None:
        super().__init__(signature_meta, signer=signer, timestamper=timestamper)
        self._system_time = system_time

    def init_signing_session(
        self, pdf_out: BasePdfFileWriter, existing_fields_only: bool = False
    ) -> PdfSigningSession:
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        # pyHanko always takes "now" here; tests need reproducible, backdated /M.
        session.system_time = self._system_time
        return session
