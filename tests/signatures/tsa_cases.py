"""Signatures time-stamped by a TSA whose certificate is revoked later, for PoE tests.

The development PKI's configuration (``dev-pki.yml``) is loaded with one more certificate,
``tsa-revoked``: the development TSA's key and profile under the issuing CA, revoked on
:data:`TSA_REVOKED_AT`. certomancer signs it and lists it on the issuing CA's CRLs from
then on, so the revocation is the PKI's own, not a hand-made result.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from asn1crypto import cms, pem, x509
from certomancer.registry import CertLabel
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, PdfTimeStamper
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation.dss import DocumentSecurityStore

from docex.devpki import signing
from docex.devpki.pdf import minimal_pdf
from docex.devpki.pki import ISSUING_CA, OCSP_RESPONDER, ROOT_CA, TSA, DevPki, config_path

REVOKED_TSA = "tsa-revoked"
TSA_REVOKED_AT = datetime(2026, 6, 1, tzinfo=UTC)
SIGNED_AT = datetime(2026, 2, 2, 10, 0, tzinfo=UTC)
"""When the signatures are made and time-stamped: the TSA's certificate is good then."""
ARCHIVED_AT = datetime(2026, 4, 1, 10, 0, tzinfo=UTC)
"""When the later document time-stamp (by the good TSA) is made: before the revocation."""
VALIDATED_AT = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
"""The validation time: after the revocation."""
SIGNER = "doctor-ecdsa"

_EXTRA_CERT = f"""      {REVOKED_TSA}:
        template: {TSA}
        subject: {TSA}
        revocation:
          revoked-since: "{TSA_REVOKED_AT.strftime("%Y-%m-%dT%H:%M:%S+0000")}"
          reason: key_compromise

"""
_MARKER = "      # --- End entities"


@dataclass(frozen=True)
class RevokedTsaPki:
    """The development PKI plus a TSA certificate revoked on :data:`TSA_REVOKED_AT`."""

    pki: DevPki
    revoked_tsa: x509.Certificate
    trust_folder: Path
    """The root CA as anchor, and ``tsa/`` naming both TSA certificates (TSA anchors)."""


def load(folder: Path) -> RevokedTsaPki:
    """Load the extended PKI from a copy of ``dev-pki.yml`` written under ``folder``."""
    source = config_path()
    text = source.read_text()
    assert _MARKER in text, "dev-pki.yml changed: the extra certificate has no place to go"
    (folder / source.name).write_text(text.replace(_MARKER, _EXTRA_CERT + _MARKER, 1))
    shutil.copytree(source.parent / "keys", folder / "keys")
    pki = DevPki.load(folder / source.name)
    revoked = x509.Certificate.load(pki.arch.get_cert(CertLabel(REVOKED_TSA)).dump())
    trust = folder / "trust"
    (trust / "tsa").mkdir(parents=True)
    (trust / f"{ROOT_CA}.pem").write_bytes(pem.armor("CERTIFICATE", pki.cert(ROOT_CA).dump()))
    for name, cert in ((TSA, pki.cert(TSA)), (REVOKED_TSA, revoked)):
        (trust / "tsa" / f"{name}.pem").write_bytes(pem.armor("CERTIFICATE", cert.dump()))
    return RevokedTsaPki(pki=pki, revoked_tsa=revoked, trust_folder=trust)


def _timestamper(
    setup: RevokedTsaPki, tsa_cert: x509.Certificate, at: datetime
) -> DummyTimeStamper:
    # Both TSA certificates hold the development TSA's key.
    return DummyTimeStamper(
        tsa_cert=tsa_cert,
        tsa_key=setup.pki.key(TSA),
        certs_to_embed=signing._cert_store([setup.pki.cert(ISSUING_CA)]),
        fixed_dt=at,
    )


def _validation_data(setup: RevokedTsaPki, *moments: datetime) -> signing.ValidationData:
    """Certificates, the signer's and the good TSA's OCSP, both CAs' CRLs, at each moment."""
    pki = setup.pki
    certs = (pki.cert(ISSUING_CA), pki.cert(TSA), setup.revoked_tsa, pki.cert(OCSP_RESPONDER))
    ocsps = tuple(pki.ocsp_response(label, at=at) for at in moments for label in (SIGNER, TSA))
    crls = tuple(
        pki.crl(at=at, issuer=issuer) for at in moments for issuer in (ISSUING_CA, ROOT_CA)
    )
    return signing.ValidationData(certs=certs, ocsps=ocsps, crls=crls)


def cades_by_revoked_tsa(setup: RevokedTsaPki, content: bytes, *moments: datetime) -> bytes:
    """A detached CAdES signature time-stamped at :data:`SIGNED_AT` by the revoked TSA.

    It carries revocation data as of each of ``moments``.
    """
    info: cms.ContentInfo = asyncio.run(
        signing._simple_signer(setup.pki, SIGNER).async_sign_general_data(
            content,
            "sha256",
            detached=True,
            use_cades=True,
            timestamper=_timestamper(setup, setup.revoked_tsa, SIGNED_AT),
            signed_attr_settings=PdfCMSSignedAttributes(signing_time=SIGNED_AT),
        )
    )
    signing._add_cades_validation_data(info, _validation_data(setup, *moments))
    der: bytes = info.dump()
    return der


def pades_by_revoked_tsa(setup: RevokedTsaPki, *, archived: bool) -> bytes:
    """A PAdES signature time-stamped at :data:`SIGNED_AT` by the revoked TSA, with a DSS.

    With ``archived``, a document time-stamp by the good TSA at :data:`ARCHIVED_AT`
    follows: it proves the signature (and its time-stamp) existed then.
    """
    meta = PdfSignatureMetadata(
        field_name="Signature1", md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES
    )
    pdf_signer = PdfSigner(
        meta,
        signer=signing._simple_signer(setup.pki, SIGNER),
        timestamper=_timestamper(setup, setup.revoked_tsa, SIGNED_AT),
    )
    out: BytesIO = pdf_signer.sign_pdf(
        IncrementalPdfFileWriter(BytesIO(minimal_pdf()), strict=False)
    )
    data = _validation_data(setup, SIGNED_AT, ARCHIVED_AT, VALIDATED_AT)
    DocumentSecurityStore.add_dss(
        out,
        sig_contents=None,
        certs=list(data.certs),
        ocsps=list(data.ocsps),
        crls=list(data.crls),
        force_write=True,
    )
    if archived:
        stamper = PdfTimeStamper(
            _timestamper(setup, setup.pki.cert(TSA), ARCHIVED_AT), field_name="DocTimeStamp1"
        )
        out = stamper.timestamp_pdf(IncrementalPdfFileWriter(out, strict=False), "sha256")
    return out.getvalue()
