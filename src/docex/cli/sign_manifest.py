"""``docex sign manifest``: the signed manifest a ``medical_document`` travels with.

The manifest is a FHIR DocumentReference (``document-manifest/1``) naming the signed
payload by SHA-256: the PDF itself for PAdES, the (attached or detached) content for
CAdES, as the gate computes it (:func:`docex.signatures.payload.signed_payload`). It is
always attached CAdES, signed by the same signer as the document.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from docex.cli.sign_formats import (
    Signing,
    fail,
    patient_option,
    sign_json,
    signer_option,
    signing_options,
)
from docex.domain import DocumentKind
from docex.errors import DocexError

if TYPE_CHECKING:
    from docex.formats.facts import Author


@click.command("manifest")
@click.argument(
    "file",
    type=click.Path(path_type=Path),
    help="The signed document the manifest names: a signed PDF, or a .p7s (with "
    "--content when it is detached).",
)
@patient_option
@signer_option
@click.option(
    "--content", type=click.Path(path_type=Path), help="The content of a detached FILE.p7s."
)
@click.option("--recipient", help="EDRPOU the document is addressed to.")
@click.option("--content-type", help="Media type of the payload [default: guessed from its name].")
@click.option("--type-code", default="11488-4", help="LOINC code of the document type.")
@click.option("--type-text", default="Consult note", help="The document type, in words.")
@signing_options(detachable=False)
def manifest(
    file: Path,
    patient: str,
    content: Path | None,
    recipient: str | None,
    content_type: str | None,
    type_code: str,
    type_text: str,
    signing: Signing,
) -> None:
    """[development only] Sign the manifest of a medical document: a DocumentReference.

    It names FILE's signed payload by SHA-256 (the PDF itself for PAdES, the content for
    CAdES) and is always attached CAdES: send it as `manifest` beside FILE, signed by the
    same signer. Written to OUT [default: FILE.manifest.p7s].
    """
    import hashlib

    from docex.formats import building

    try:
        payload, payload_name = _payload(file, content)
    except (DocexError, OSError) as exc:
        fail(exc)
    media_type = content_type or _guess_type(payload, payload_name)

    def build(author: Author) -> dict[str, Any]:
        return building.manifest(
            payload_sha256=hashlib.sha256(payload).hexdigest(),
            patient=patient,
            author_rnokpp=author.rnokpp,
            author_edrpou=author.edrpou,
            content_type=media_type,
            size=len(payload),
            recipient_edrpou=recipient,
            type_code=type_code,
            type_text=type_text,
        )

    sign_json(
        DocumentKind.MEDICAL_DOCUMENT,
        build,
        signing,
        default_out=file.with_name(f"{file.name}.manifest.p7s"),
    )


def _payload(file: Path, content: Path | None) -> tuple[bytes, str]:
    """The payload FILE's signatures are over, and the name to guess its type from."""
    from docex.errors import DevPkiError, NotASignatureError
    from docex.signatures.inputs import is_pdf
    from docex.signatures.payload import signed_payload

    signed = file.read_bytes()
    detached = content.read_bytes() if content is not None else None
    if is_pdf(signed):
        if detached is not None:
            raise DevPkiError("--content is for a detached .p7s; a PDF carries its signature")
        if b"/ByteRange" not in signed:
            # The manifest names the bytes submitted; signing the PDF afterwards would
            # change them and the manifest would name a file nobody sends.
            raise DevPkiError(f"{file} is not signed yet: sign it first (docex sign {file})")
        return signed, file.name
    try:
        payload = signed_payload(signed, detached)
    except NotASignatureError as exc:
        raise DevPkiError(f"{file}: {exc}") from exc
    name = content.name if content is not None else file.name.removesuffix(".p7s")
    return payload.data, name


def _guess_type(payload: bytes, name: str) -> str:
    from docex.signatures.inputs import is_pdf

    if is_pdf(payload):
        return "application/pdf"
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"
