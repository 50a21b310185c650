"""Generated PDFs for the modification analysis: legitimate workflows and attacks.

Every case starts from :func:`form_pdf` (one page, a text field "diagnosis" reading
"fit for work", and, hidden in the signed revision, the objects a "hide" attack later
points at), signed B-LT by the development PKI. Attacks come in up to three variants:

* ``incremental`` -- the update adds new objects and re-points references at them;
* ``replace`` -- the update redefines existing object numbers with new content;
* ``hide`` -- the update only re-points a reference at an object that was already in the
  signed revision, unused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import (
    FieldMDPAction,
    FieldMDPSpec,
    MDPPerm,
    SigFieldSpec,
    SigSeedSubFilter,
)
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, SimpleSigner
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator.registry import SimpleCertificateStore

from docex.devpki.pdf import minimal_pdf
from docex.devpki.pki import ISSUING_CA, TSA, DevPki
from docex.devpki.signing import sign_pades, validation_data

SIGNER = "doctor-ecdsa"
COSIGNER = "doctor2-ecdsa"
FIT = b"fit for work"
UNFIT = b"UNFIT - epilepsy"
HIDDEN_TEXT = b"BT /F1 24 Tf 72 600 Td (This patient is unfit for work) Tj ET"


def _appearance(text: bytes) -> generic.StreamObject:
    data = b"/Tx BMC BT /F1 12 Tf 2 6 Td (" + text + b") Tj ET EMC"
    return generic.StreamObject(
        {
            pdf_name("/Type"): pdf_name("/XObject"),
            pdf_name("/Subtype"): pdf_name("/Form"),
            pdf_name("/BBox"): generic.ArrayObject([_number(n) for n in (0, 0, 200, 20)]),
        },
        stream_data=data,
    )


def _dict(
    entries: Mapping[generic.NameObject, generic.PdfObject] | None = None,
) -> generic.DictionaryObject:
    return generic.DictionaryObject(entries)  # type: ignore[no-untyped-call]  # pyHanko leaves it unannotated


def _number(value: int) -> generic.NumberObject:
    return generic.NumberObject(value)  # type: ignore[no-untyped-call]  # pyHanko leaves it unannotated


def _update_root(writer: IncrementalPdfFileWriter) -> None:
    writer.update_root()  # type: ignore[no-untyped-call]  # pyHanko leaves it unannotated


def _write(writer: IncrementalPdfFileWriter) -> bytes:
    out = BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]  # pyHanko leaves it unannotated
    return out.getvalue()


def _field(writer: IncrementalPdfFileWriter) -> generic.DictionaryObject:
    field: generic.DictionaryObject = writer.root["/AcroForm"]["/Fields"][0].get_object()
    return field


def _page(writer: IncrementalPdfFileWriter) -> generic.DictionaryObject:
    page: generic.DictionaryObject = writer.root["/Pages"]["/Kids"][0].get_object()
    return page


def form_pdf() -> bytes:
    """The unsigned document: a text field, and hidden objects for the "hide" variants."""
    writer = IncrementalPdfFileWriter(BytesIO(minimal_pdf()))
    page_ref = writer.root["/Pages"]["/Kids"][0]
    field = _dict(
        {
            pdf_name("/FT"): pdf_name("/Tx"),
            pdf_name("/T"): pdf_string("diagnosis"),
            pdf_name("/V"): pdf_string(FIT.decode()),
            pdf_name("/Ff"): _number(1),
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name("/Widget"),
            pdf_name("/F"): _number(4),
            pdf_name("/P"): page_ref,
            pdf_name("/Rect"): generic.ArrayObject([_number(n) for n in (72, 700, 272, 720)]),
            pdf_name("/DA"): pdf_string("/F1 12 Tf 0 g"),
            pdf_name("/AP"): _dict({pdf_name("/N"): writer.add_object(_appearance(FIT))}),
        }
    )
    field_ref = writer.add_object(field)
    page = page_ref.get_object()
    hidden = _annotation((72, 690, 300, 730))
    hidden["/F"] = _number(2)  # Hidden
    hidden["/AP"] = _dict({pdf_name("/N"): writer.add_object(_appearance(UNFIT))})
    page["/Annots"] = generic.ArrayObject([field_ref, writer.add_object(hidden)])
    writer.update_container(page)
    writer.root["/AcroForm"] = _dict({pdf_name("/Fields"): generic.ArrayObject([field_ref])})
    # Unused in the signed revision; a "hide" attack points at them after signing.
    writer.root["/Names"] = _dict()
    writer.add_object(_appearance(UNFIT))
    writer.add_object(generic.StreamObject(stream_data=HIDDEN_TEXT))
    _update_root(writer)
    return _write(writer)


def _hidden(writer: IncrementalPdfFileWriter, marker: bytes) -> generic.IndirectObject:
    """The unused object of the signed revision whose stream contains ``marker``."""
    reader = writer.prev
    for idnum in range(1, reader.xrefs.get_xref_container_info(0).size + 200):
        ref = generic.Reference(idnum, 0, reader)
        try:
            obj = ref.get_object()
        except Exception:  # noqa: S112 -- probing object numbers; most do not exist
            continue
        if isinstance(obj, generic.StreamObject) and marker in obj.data:
            return generic.IndirectObject(idnum, 0, reader)  # type: ignore[no-untyped-call]  # pyHanko leaves it unannotated
    raise LookupError(marker)


# --- attacks -----------------------------------------------------------------------------


def field_rewritten(signed: bytes, variant: str) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    field = _field(writer)
    field["/V"] = pdf_string(UNFIT.decode())
    if variant == "incremental":
        field["/AP"] = _dict({pdf_name("/N"): writer.add_object(_appearance(UNFIT))})
    elif variant == "replace":
        ap_ref = field["/AP"].raw_get("/N")
        writer.objects[(ap_ref.generation, ap_ref.idnum)] = _appearance(UNFIT)
    else:  # hide
        field["/AP"] = _dict({pdf_name("/N"): _hidden(writer, b"UNFIT")})
    writer.update_container(field)
    return _write(writer)


def field_rewritten_and_restored(signed: bytes) -> bytes:
    """A forged value in one update, overridden by the signed value in the next."""
    forged = field_rewritten(signed, "incremental")
    writer = IncrementalPdfFileWriter(BytesIO(forged))
    field = _field(writer)
    field["/V"] = pdf_string(FIT.decode())
    field["/AP"] = _dict({pdf_name("/N"): writer.add_object(_appearance(FIT))})
    writer.update_container(field)
    return _write(writer)


def read_only_cleared(signed: bytes, variant: str) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    field = _field(writer)
    field["/Ff"] = _number(0)
    if variant == "replace":
        ref = writer.root["/AcroForm"]["/Fields"].raw_get(0)
        writer.objects[(ref.generation, ref.idnum)] = field
    else:
        writer.update_container(field)
    return _write(writer)


def page_content_replaced(signed: bytes, variant: str) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    page = _page(writer)
    if variant == "incremental":
        page["/Contents"] = writer.add_object(generic.StreamObject(stream_data=HIDDEN_TEXT))
        writer.update_container(page)
    elif variant == "replace":
        ref = page.raw_get("/Contents")
        writer.objects[(ref.generation, ref.idnum)] = generic.StreamObject(stream_data=HIDDEN_TEXT)
    else:
        page["/Contents"] = _hidden(writer, b"unfit for work")
        writer.update_container(page)
    return _write(writer)


def content_recompressed(signed: bytes) -> bytes:
    """The page content written again, compressed or not: other bytes, the same content."""
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    ref = _page(writer).raw_get("/Contents")
    old = ref.get_object()
    same = generic.StreamObject(stream_data=old.data)
    if "/Filter" not in old:
        same.compress()  # type: ignore[no-untyped-call]  # pyHanko leaves it unannotated
    writer.objects[(ref.generation, ref.idnum)] = same
    return _write(writer)


def _annotation(
    rect: tuple[int, int, int, int], *, subtype: str = "/FreeText"
) -> generic.DictionaryObject:
    return _dict(
        {
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name(subtype),
            pdf_name("/Rect"): generic.ArrayObject([_number(n) for n in rect]),
            pdf_name("/Contents"): pdf_string("UNFIT"),
            pdf_name("/DA"): pdf_string("/F1 12 Tf 0 g"),
            pdf_name("/AP"): _dict({pdf_name("/N"): generic.NullObject()}),
        }
    )


def annotation_added(signed: bytes, variant: str) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    page = _page(writer)
    if variant == "hide":
        # The comment was in the signed revision all along, hidden; now it shows.
        hidden = page["/Annots"][1]
        hidden["/F"] = _number(4)
        writer.update_container(hidden)
        return _write(writer)
    annot = _annotation((72, 690, 300, 730))
    annot["/AP"] = _dict({pdf_name("/N"): writer.add_object(_appearance(UNFIT))})
    ref = writer.add_object(annot)
    annots = page["/Annots"]
    if variant == "replace":
        # Reuse the field's widget slot: the page lists a new object under the old number.
        field_ref = writer.root["/AcroForm"]["/Fields"].raw_get(0)
        writer.objects[(field_ref.generation, field_ref.idnum)] = annot
    elif variant == "direct":
        # A dictionary written into /Annots itself: no object number to follow.
        annots.append(annot)
        writer.update_container(page)
    else:
        annots.append(ref)
        writer.update_container(page)
    return _write(writer)


def invisible_annotation(signed: bytes) -> bytes:
    """A comment of zero size: nothing a reader can see."""
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    page = _page(writer)
    page["/Annots"].append(writer.add_object(_annotation((0, 0, 0, 0))))
    writer.update_container(page)
    return _write(writer)


def empty_signature_field(signed: bytes) -> bytes:
    """An unsigned signature field with an invisible widget, as signing tools prepare."""
    return unsigned_signature_widget(signed, "invisible")


def deep_page_tree(signed: bytes) -> bytes:
    """The page moved under a chain of page-tree nodes deeper than the analysis goes."""
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    pages = writer.root["/Pages"]
    kids = pages["/Kids"]
    for _ in range(600):
        node = _dict(
            {
                pdf_name("/Type"): pdf_name("/Pages"),
                pdf_name("/Kids"): kids,
                pdf_name("/Count"): _number(1),
            }
        )
        kids = generic.ArrayObject([writer.add_object(node)])
    pages["/Kids"] = kids
    writer.update_container(pages)
    return _write(writer)


def many_revisions(signed: bytes, count: int) -> bytes:
    """``count`` tiny updates, each giving the document a new /Info, written directly."""
    reader = IncrementalPdfFileWriter(BytesIO(signed)).prev
    root = reader.root_ref
    size = int(reader.trailer["/Size"])
    prev = reader.last_startxref
    # Typed optional for a writer that starts from nothing; a file that was read has one.
    assert prev is not None
    out = bytearray(signed)
    for i in range(count):
        number = size + i
        offset = len(out)
        out += b"%d 0 obj\n<< /Producer (tool %d) >>\nendobj\n" % (number, i)
        xref = len(out)
        out += b"xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n" % (number, offset)
        out += b"trailer\n<< /Size %d /Root %d %d R /Info %d 0 R /Prev %d >>\n" % (
            number + 1,
            root.idnum,
            root.generation,
            number,
            prev,
        )
        out += b"startxref\n%d\n%%%%EOF\n" % xref
        prev = xref
    return bytes(out)


def fake_end_marker(signed: bytes) -> bytes:
    """Appended bytes that end with their own startxref (to the real xref) and %%EOF."""
    tail = signed[signed.rindex(b"startxref") :]
    return signed + b"\n(UNFIT - epilepsy)\n" + tail


def unsigned_signature_widget(signed: bytes, variant: str) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    page = _page(writer)
    rect = (0, 0, 0, 0) if variant == "invisible" else (0, 0, 595, 842)
    widget = _annotation(rect, subtype="/Widget")
    widget["/FT"] = pdf_name("/Sig")
    widget["/T"] = pdf_string("Overlay")
    widget["/F"] = _number(4)
    widget["/AP"] = _dict({pdf_name("/N"): writer.add_object(_appearance(UNFIT))})
    ref = writer.add_object(widget)
    page["/Annots"].append(ref)
    writer.update_container(page)
    writer.root["/AcroForm"]["/Fields"].append(ref)
    writer.update_container(writer.root["/AcroForm"])
    _update_root(writer)
    return _write(writer)


def widget_unlisted(signed: bytes, variant: str) -> bytes:
    """The field's widget taken off the page: the signed value no longer shows."""
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    page = _page(writer)
    if variant == "replace":
        ref = page.raw_get("/Annots")
        if isinstance(ref, generic.IndirectObject):
            writer.objects[(ref.generation, ref.idnum)] = generic.ArrayObject()
            return _write(writer)
    page["/Annots"] = generic.ArrayObject()
    writer.update_container(page)
    return _write(writer)


def open_action_added(signed: bytes) -> bytes:
    """JavaScript run when the document opens."""
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    writer.root["/OpenAction"] = _javascript(writer)
    _update_root(writer)
    return _write(writer)


def document_javascript_added(signed: bytes) -> bytes:
    """A document-level script in the /Names tree."""
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    writer.root["/Names"]["/JavaScript"] = _dict(
        {pdf_name("/Names"): generic.ArrayObject([pdf_string("x"), _javascript(writer)])}
    )
    _update_root(writer)
    return _write(writer)


def _javascript(writer: IncrementalPdfFileWriter) -> generic.IndirectObject:
    return writer.add_object(
        _dict(
            {
                pdf_name("/S"): pdf_name("/JavaScript"),
                pdf_name("/JS"): pdf_string("this.getField('diagnosis').value = 'UNFIT';"),
            }
        )
    )


def pages_reordered(signed: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    pages = writer.root["/Pages"]
    kids = pages["/Kids"]
    pages["/Kids"] = generic.ArrayObject([kids.raw_get(1), kids.raw_get(0)])
    writer.update_container(pages)
    return _write(writer)


def page_added(signed: bytes, variant: str) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    _add_page(writer)
    return _write(writer)


def _add_page(writer: IncrementalPdfFileWriter) -> None:
    pages_ref = writer.root.raw_get("/Pages")
    pages = pages_ref.get_object()
    old = pages["/Kids"][0].get_object()
    new_page = _dict(
        {
            pdf_name("/Type"): pdf_name("/Page"),
            pdf_name("/Parent"): pages_ref,
            pdf_name("/MediaBox"): old["/MediaBox"],
            pdf_name("/Resources"): old.raw_get("/Resources"),
            pdf_name("/Contents"): writer.add_object(generic.StreamObject(stream_data=HIDDEN_TEXT)),
        }
    )
    pages["/Kids"].append(writer.add_object(new_page))
    pages["/Count"] = _number(len(pages["/Kids"]))
    writer.update_container(pages)


def page_removed(signed: bytes, variant: str) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    pages = writer.root["/Pages"]
    pages["/Kids"] = generic.ArrayObject()
    pages["/Count"] = _number(0)
    writer.update_container(pages)
    return _write(writer)


def trailing_garbage(signed: bytes, variant: str) -> bytes:
    return signed + b"\n% UNFIT - epilepsy\n"


# --- signing helpers -----------------------------------------------------------------------


def _timestamper(pki: DevPki, at: datetime) -> DummyTimeStamper:
    store = SimpleCertificateStore.from_certs([pki.cert(ISSUING_CA)])  # type: ignore[no-untyped-call]
    return DummyTimeStamper(
        tsa_cert=pki.cert(TSA), tsa_key=pki.key(TSA), certs_to_embed=store, fixed_dt=at
    )


class _LaxSigner(PdfSigner):
    """A signing tool that ignores earlier signatures' DocMDP, as an attacker's would."""

    def _enforce_certification_constraints(self, reader: object) -> None:
        return None


def sign_in_writer(
    pki: DevPki,
    writer: IncrementalPdfFileWriter,
    *,
    signer: str,
    field_name: str,
    certify: MDPPerm | None = None,
    lock: FieldMDPSpec | None = None,
) -> bytes:
    """Sign what ``writer`` holds (with its pending changes) in one revision, then add a DSS."""
    now = datetime.now(UTC)
    chain = pki.chain(signer)
    meta = PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        certify=certify is not None,
        docmdp_permissions=certify or MDPPerm.FILL_FORMS,
    )
    simple = SimpleSigner(
        signing_cert=chain[0],
        signing_key=pki.key(signer),
        cert_registry=SimpleCertificateStore.from_certs(chain[1:]),  # type: ignore[no-untyped-call]
        embed_roots=False,
    )
    field_spec = SigFieldSpec(field_name, field_mdp_spec=lock) if lock is not None else None
    pdf_signer = _LaxSigner(
        meta, signer=simple, timestamper=_timestamper(pki, now), new_field_spec=field_spec
    )
    out: BytesIO = pdf_signer.sign_pdf(writer)
    data = validation_data(pki, signer=signer, at=now)
    DocumentSecurityStore.add_dss(
        out,
        sig_contents=None,
        certs=list(data.certs),
        ocsps=list(data.ocsps),
        crls=list(data.crls),
        force_write=True,
    )
    return out.getvalue()


def signed_form(
    pki: DevPki, *, certify: MDPPerm | None = None, lock: FieldMDPSpec | None = None
) -> bytes:
    """:func:`form_pdf` signed B-LT as "Signature1", optionally certifying or locking."""
    writer = IncrementalPdfFileWriter(BytesIO(form_pdf()))
    return sign_in_writer(
        pki, writer, signer=SIGNER, field_name="Signature1", certify=certify, lock=lock
    )


def signed_two_pages(pki: DevPki) -> bytes:
    """:func:`form_pdf` with a second page, signed B-LT as "Signature1"."""
    writer = IncrementalPdfFileWriter(BytesIO(form_pdf()))
    _add_page(writer)
    return sign_in_writer(pki, writer, signer=SIGNER, field_name="Signature1")


def fill_and_sign(pki: DevPki, signed: bytes, *, value: bytes = UNFIT) -> bytes:
    """A second signer changes the field and signs, in one revision."""
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    field = _field(writer)
    field["/V"] = pdf_string(value.decode())
    field["/AP"] = _dict({pdf_name("/N"): writer.add_object(_appearance(value))})
    writer.update_container(field)
    return sign_in_writer(pki, writer, signer=COSIGNER, field_name="Signature2")


def cosign(pki: DevPki, signed: bytes) -> bytes:
    return sign_pades(pki, signed, signer=COSIGNER, level="B-LT", field_name="Signature2")


def lta_extended(pki: DevPki, signed: bytes) -> bytes:
    """A document time-stamp with its DSS (B-LTA), then the DSS extended again."""
    lta = sign_pades(pki, signed, signer=COSIGNER, level="B-LTA", field_name="Signature2")
    out = BytesIO(lta)
    data = validation_data(pki, signer=TSA, at=datetime.now(UTC))
    DocumentSecurityStore.add_dss(
        out,
        sig_contents=None,
        certs=list(data.certs),
        ocsps=list(data.ocsps),
        crls=list(data.crls),
        force_write=True,
    )
    return out.getvalue()


Attack = Callable[[bytes, str], bytes]
LOCK_DIAGNOSIS = FieldMDPSpec(FieldMDPAction.INCLUDE, fields=["diagnosis"])
