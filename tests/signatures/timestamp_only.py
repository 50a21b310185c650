"""A PDF that carries a document time-stamp and no signature, and the text on its page."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.timestamps import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from docex.devpki.pdf import minimal_pdf
from docex.devpki.pki import ISSUING_CA, TSA, DevPki

# The page's text, short and unique in the file, so that a test can find and change it.
TEXT = "AAAA"


def make_timestamp_only_pdf(pki: DevPki) -> bytes:
    """A PDF with one document time-stamp by the development TSA and no signature."""
    registry: SimpleCertificateStore = SimpleCertificateStore.from_certs([pki.cert(ISSUING_CA)])  # type: ignore[no-untyped-call]
    timestamper = DummyTimeStamper(
        tsa_cert=pki.cert(TSA),
        tsa_key=pki.key(TSA),
        certs_to_embed=registry,
        fixed_dt=datetime.now(UTC),
    )
    writer = IncrementalPdfFileWriter(BytesIO(minimal_pdf(TEXT)))
    out: BytesIO = signers.PdfTimeStamper(timestamper, field_name="DocTimeStamp1").timestamp_pdf(
        writer, "sha256"
    )
    return out.getvalue()
