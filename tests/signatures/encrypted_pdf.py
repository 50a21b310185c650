"""A PDF encrypted with the standard security handler, then signed by the development PKI.

Shared by the PAdES variant tests and the embedded-signature reader's tests.
"""

from __future__ import annotations

from io import BytesIO

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import copy_into_new_writer
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko_certvalidator.registry import SimpleCertificateStore

from docex.devpki.pdf import minimal_pdf
from docex.devpki.pki import DevPki
from tests.signatures.timestamp_only import TEXT


def _simple_signer(pki: DevPki, label: str) -> signers.SimpleSigner:
    chain = pki.chain(label)
    registry: SimpleCertificateStore = SimpleCertificateStore.from_certs(chain[1:])  # type: ignore[no-untyped-call]
    return signers.SimpleSigner(
        signing_cert=chain[0], signing_key=pki.key(label), cert_registry=registry
    )


def encrypted_signed_pdf(pki: DevPki, *, user_password: str) -> bytes:
    """A one-page PDF encrypted for ``user_password`` (empty: anyone may open it), signed."""
    writer = copy_into_new_writer(PdfFileReader(BytesIO(minimal_pdf(TEXT))))
    # pyHanko leaves its writers' encrypt and write untyped.
    writer.encrypt("owner-secret", user_password)  # type: ignore[no-untyped-call]
    plain = BytesIO()
    writer.write(plain)  # type: ignore[no-untyped-call]
    incremental = IncrementalPdfFileWriter(plain)
    incremental.encrypt(user_password)  # type: ignore[no-untyped-call]
    meta = signers.PdfSignatureMetadata(field_name="Signature1", subfilter=SigSeedSubFilter.PADES)
    out: BytesIO = signers.sign_pdf(incremental, meta, signer=_simple_signer(pki, "doctor-rsa"))
    return out.getvalue()
