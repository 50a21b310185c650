"""A PDF's filled signature fields, read without pyHanko's PDF validation package (issue 12).

docex reads each signature field through pyHanko's ``EmbeddedPdfSignature`` for a handful
of facts: the signature dictionary, its ``/ByteRange`` and ``/Contents``, the CMS inside,
the revision that introduced it and the byte-range digest. Importing
``pyhanko.sign.validation.pdf_embedded`` for that also imports pyHanko's PDF
modification analysis (``diff_analysis``), its validation statuses (``status``), the
signing-side field machinery (``pyhanko.sign.fields``: layout, fonts, text boxes and the
PDF writer) and ``generic_cms``, about 0.07 s of CPU of a one-file ``docex verify`` for
code it never runs: docex has its own modification analysis (:mod:`docex.signatures.pdfdiff`).

This module is that reading, as pyHanko 0.38 does it (``pdf_embedded.EmbeddedPdfSignature``
and ``sign.fields.enumerate_sig_fields``/``pdf_utils.form_tools.enumerate_fields_in``), on
the lighter modules it rests on (``pdf_utils.generic``/``misc``/``reader``, ``sign.general``).
A field whose CMS holds several SignerInfos, which pyHanko's constructor refuses, is read
around the first one, as docex did before with a subclass; every signer is still validated
(:func:`docex.signatures.pades.read_signature`). ``tests/signatures/test_pdf_embedded.py``
holds it to pyHanko's class field by field on the repository's and the corpora's PDFs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from asn1crypto import cms
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import (
    CMSExtractionError,
    MultivaluedAttributeError,
    NonexistentAttributeError,
    byte_range_digest,
    extract_signer_info,
    find_unique_cms_attribute,
)

logger = logging.getLogger("docex.signatures")


def filled_signature_fields(
    reader: PdfFileReader,
) -> Iterator[tuple[str, generic.PdfObject, generic.IndirectObject]]:
    """The filled signature fields of the PDF's form: ``(qualified name, /V, field ref)``.

    What pyHanko's ``enumerate_sig_fields(reader, filled_status=True)`` yields, in the
    same order (depth first, in ``/Fields`` and ``/Kids`` order).

    :raises PdfReadError: the form's field tree refers back to one of its own fields.
    """
    try:
        fields = reader.root["/AcroForm"]["/Fields"]
    except KeyError:
        return
    yield from _fields_in(fields, parent_name="", parents=(), refs_seen=frozenset())


def _fields_in(
    field_list: Any,
    *,
    parent_name: str,
    parents: tuple[generic.DictionaryObject, ...],
    refs_seen: frozenset[generic.Reference],
) -> Iterator[tuple[str, generic.PdfObject, generic.IndirectObject]]:
    if not isinstance(field_list, generic.ArrayObject):
        logger.warning("a PDF form field list is a %s, not an array: skipped", type(field_list))
        return
    for field_ref in field_list:
        if not isinstance(field_ref, generic.IndirectObject):
            logger.warning("a PDF form field list holds a direct object: skipped")
            continue
        if field_ref.reference in refs_seen:
            raise PdfReadError("Circular reference in form tree")
        field = field_ref.get_object()  # type: ignore[no-untyped-call]  # pyHanko leaves get_object untyped
        if not isinstance(field, generic.DictionaryObject):
            logger.warning("a PDF form field is a %s, not a dictionary: skipped", type(field))
            continue
        try:
            # /T is the field's name; an entry without one is a bare widget, not a field.
            field_name = field["/T"]
        except KeyError:
            continue
        fq_name = f"{parent_name}.{field_name}" if parent_name else field_name
        # /FT is inheritable: the nearest field up the chain that has one says the type.
        current_path = (field, *parents)
        field_type = None
        for parent_field in current_path:
            try:
                field_type = parent_field["/FT"]
                break
            except KeyError:
                continue
        if field_type == "/Sig":
            field_value = field.get("/V")
            if field_value:
                yield fq_name, field_value, field_ref
        try:
            # As in pyHanko, a KeyError anywhere below (no /Kids, or a kid's) ends this
            # field's subtree and moves on to its next sibling.
            yield from _fields_in(
                field["/Kids"],
                parent_name=fq_name,
                parents=current_path,
                refs_seen=refs_seen | {field_ref.reference},
            )
        except KeyError:
            continue


def extract_contents(sig_object: generic.DictionaryObject) -> bytes:
    """The DER bytes of a signature dictionary's ``/Contents``, as written (never decrypted).

    :raises PdfReadError: there is no ``/Contents``, or it is not a string.
    """
    try:
        cms_content = sig_object.raw_get("/Contents", decrypt=generic.EncryptedObjAccess.RAW)
    except KeyError:
        raise PdfReadError("Could not read /Contents entry in signature") from None
    if not isinstance(cms_content, generic.TextStringObject | generic.ByteStringObject):
        raise PdfReadError("/Contents must be string-like")
    contents: bytes = cms_content.original_bytes
    return contents


class EmbeddedPdfSignature:
    """One filled signature field of a PDF: what docex reads of pyHanko's class of that name.

    The attribute names are pyHanko's, so that the two can stand for each other; nothing
    of pyHanko's validation (``compute_integrity_info``, seed values, DocMDP) is here.
    """

    reader: PdfFileReader
    sig_field: generic.DictionaryObject
    """The form field's dictionary."""
    sig_object: generic.DictionaryObject
    """The signature dictionary (the field's ``/V``)."""
    byte_range: Any
    """The ``/ByteRange`` array as written."""
    pkcs7_content: bytes
    """The ``/Contents`` bytes: the DER CMS, with whatever padding follows it."""
    signed_data: cms.SignedData
    signer_info: cms.SignerInfo
    """The SignerInfo (the first, when the CMS holds several)."""
    md_algorithm: str
    """The signer's digest algorithm as named in the SignerInfo."""
    external_md_algorithm: str
    """The algorithm of the byte-range digest: the signer's, or for a document
    time-stamp the message imprint's."""
    signed_revision: int
    """The revision that last changed the signature dictionary."""
    external_digests: dict[str, bytes]
    fq_name: str

    def __init__(self, reader: PdfFileReader, sig_field: Any, fq_name: str) -> None:
        """Read the field.

        :raises PdfReadError, ValueError, KeyError, ...: the signature dictionary or its
            CMS is malformed (pyHanko's exceptions, as its constructor raises them).
        """
        self.reader = reader
        if isinstance(sig_field, generic.IndirectObject):
            sig_field = sig_field.get_object()  # type: ignore[no-untyped-call]  # pyHanko leaves get_object untyped
        self.sig_field = sig_field
        sig_object_ref = sig_field.raw_get("/V")
        sig_object = sig_object_ref.get_object()
        if not isinstance(sig_object, generic.DictionaryObject):
            # pyHanko asserts this; docex's caller has read /V's /SubFilter already.
            raise PdfReadError("the signature value is not a dictionary")
        self.sig_object = sig_object
        try:
            self.byte_range = sig_object.raw_get("/ByteRange")
        except KeyError:
            raise PdfReadError("Could not read /ByteRange entry in signature") from None
        self.pkcs7_content = extract_contents(sig_object)
        signed_data: cms.SignedData = cms.ContentInfo.load(self.pkcs7_content)["content"]
        self.signed_data = signed_data
        try:
            self.signer_info = extract_signer_info(signed_data)
        except CMSExtractionError:
            # Not exactly one SignerInfo. Nothing read here depends on the signer beyond
            # the byte-range digest's default algorithm, so read around the first (none:
            # IndexError, a malformed signature); the caller validates every signer.
            self.signer_info = signed_data["signer_infos"][0]
            self.md_algorithm = str(self.signer_info["digest_algorithm"]["algorithm"].native)
            self.external_md_algorithm = self.md_algorithm
        else:
            self.md_algorithm = self.signer_info["digest_algorithm"]["algorithm"].native.lower()
            eci = signed_data["encap_content_info"]
            content_type = eci["content_type"].native
            if content_type == "data":
                self.external_md_algorithm = self.md_algorithm
            elif content_type == "tst_info":
                # A document time-stamp: the message imprint's algorithm digests the byte
                # range, whatever the signer's digest algorithm (RFC 8933 only recommends
                # that they agree).
                imprint = eci["content"].parsed["message_imprint"]
                self.external_md_algorithm = imprint["hash_algorithm"]["algorithm"].native
            # Any other content type leaves external_md_algorithm unset, as in pyHanko:
            # reading it fails, and the caller reports the signature as unreadable.
        # The revision that last changed the signature dictionary, as pyHanko takes it; the
        # coverage check then asks whether the byte range covers that revision.
        self.signed_revision = reader.xrefs.get_last_change(sig_object_ref.reference)
        self.external_digests = {}
        self.fq_name = fq_name

    @property
    def sig_object_type(self) -> generic.NameObject:
        """``/Sig`` for a signature, ``/DocTimeStamp`` for a document time-stamp."""
        sig_type: generic.NameObject = self.sig_object.get("/Type", generic.pdf_name("/Sig"))
        return sig_type

    @property
    def field_name(self) -> str:
        """The field's fully qualified name."""
        return self.fq_name

    @property
    def self_reported_timestamp(self) -> datetime | None:
        """The signing time the signer claims: its ``signingTime`` attribute, else the
        signature dictionary's ``/M``."""
        try:
            signing_time = find_unique_cms_attribute(
                self.signer_info["signed_attrs"], "signing_time"
            )
        except (NonexistentAttributeError, MultivaluedAttributeError):
            pass
        else:
            claimed: datetime | None = signing_time.native
            if claimed is not None:
                return claimed
        try:
            pdf_date = self.sig_object["/M"]
        except KeyError:
            return None
        parsed: datetime = generic.parse_pdf_date(pdf_date, strict=self.reader.strict)
        return parsed

    def compute_digest(self, hash_algo: str | None = None) -> bytes:
        """The ``/ByteRange`` digest with ``hash_algo`` (default: the byte range's own
        algorithm), computed once per algorithm."""
        algorithm = hash_algo or self.external_md_algorithm
        try:
            return self.external_digests[algorithm]
        except KeyError:
            pass
        _, digest = byte_range_digest(
            self.reader.stream, byte_range=self.byte_range, md_algorithm=algorithm
        )
        self.external_digests[algorithm] = digest
        return digest
