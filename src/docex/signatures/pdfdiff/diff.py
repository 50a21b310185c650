"""What one revision changed against the revision before it, in words.

Each difference becomes a :class:`Change` of a :class:`ChangeKind`; whether a kind is
acceptable after a given signature is decided in :mod:`.rules`, which knows the
signature's DocMDP and FieldMDP settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from pyhanko.pdf_utils import generic

from docex.signatures.pdfdiff.graph import Budget, Comparer, Key, key_of, raw
from docex.signatures.pdfdiff.snapshot import (
    INHERITED_PAGE_KEYS,
    FormField,
    Snapshot,
    has_action,
    is_visible,
    name_of,
)


class ChangeKind(Enum):
    """Classes of change, from always acceptable to never."""

    TIMESTAMP = "timestamp"
    """A document time-stamp field (invisible) filled in its own revision."""
    SIGNATURE = "signature"
    """A signature field filled (and its widget drawn) in the signature's own revision."""
    EMPTY_SIGNATURE_FIELD = "empty_signature_field"
    """An unsigned signature field without a visible widget added."""
    STRUCTURE = "structure"
    """Bookkeeping signing tools do in a signature revision (structure tree, form resources)."""
    INVISIBLE_ANNOTATION = "invisible_annotation"
    """An annotation that cannot show (hidden or of zero size) and has no action."""
    FORM_FILL = "form_fill"
    """A form field's value or appearance changed; acceptable only in a signature's revision."""
    ANNOTATION = "annotation"
    """A visible annotation added, changed or removed; acceptable only under DocMDP P=3."""
    OTHER = "other"
    """Anything else: page content, page tree, document actions, field flags..."""


@dataclass(frozen=True)
class Change:
    """One difference between a revision and the one before."""

    revision: int
    kind: ChangeKind
    text: str
    """What changed, for a person: ``field "diagnosis" changed``."""
    field: str | None = None
    """The fully qualified name of the form field concerned, if any."""
    carrier: str | None = None
    """For form filling: the signature whose own revision this is (``signature 2``)."""


@dataclass(frozen=True)
class SignedField:
    """A signature or document time-stamp made in the revision being compared."""

    kind: str
    """``/Sig`` or ``/DocTimeStamp``."""
    label: str
    """How the report names it: ``signature 2`` or ``document time-stamp``."""


IGNORED_CATALOG_KEYS = frozenset(
    {"/Type", "/Pages", "/AcroForm", "/DSS", "/Metadata", "/Perms", "/Extensions", "/Version"}
    | {"/PieceInfo", "/LastModified"}
)
"""Catalog entries that are not content: validation data, metadata, signing permissions,
extension and version declarations, private application data. Pages and the form are
compared on their own."""

SIGNING_CATALOG_KEYS = frozenset({"/StructTreeRoot", "/MarkInfo"})
"""Entries signing tools update to tag the signature widget they add."""

IGNORED_FORM_KEYS = frozenset({"/Fields", "/SigFlags"})
SIGNING_FORM_KEYS = frozenset({"/DR", "/DA"})
"""Form defaults a signing tool may extend for its signature appearance."""

PAGE_SKIP = frozenset(
    {"/Contents", "/Resources", "/Annots", "/Parent", "/StructParents", "/Type"}
    | {"/PieceInfo", "/LastModified"}
    | set(INHERITED_PAGE_KEYS)
)

FIELD_KEYS = frozenset(
    {"/T", "/TU", "/TM", "/FT", "/Ff", "/V", "/DV", "/Kids", "/Opt", "/TI", "/I", "/MaxLen"}
    | {"/Lock", "/SV", "/Parent", "/P"}
)
"""Entries of a merged field/widget dictionary that belong to the field, not the widget."""

FIELD_PROPERTY_KEYS = ("/DV", "/Opt", "/MaxLen", "/TU", "/TM", "/TI", "/Lock", "/SV")
WIDGET_NON_APPEARANCE = FIELD_KEYS | {"/F", "/A", "/AA", "/StructParent"}

_READ_ONLY = 1
"""Field flag bit 1 (ISO 32000-1, Table 221)."""

_WORDS = {
    "/OpenAction": "the action run when the document opens",
    "/AA": "the document's actions",
    "/OCProperties": "the layer (optional content) settings",
    "/Outlines": "the bookmarks",
    "/StructTreeRoot": "the document structure tree",
    "/MarkInfo": "the tagging information",
    "/ViewerPreferences": "the viewer preferences",
    "/PageLabels": "the page labels",
}
_NAMES_WORDS = {"/JavaScript": "document JavaScript", "/EmbeddedFiles": "the embedded files"}


def diff_revisions(
    a: Snapshot, b: Snapshot, signed_here: Mapping[str, SignedField], budget: Budget
) -> list[Change]:
    """The changes revision ``b`` made to revision ``a`` (the one just before it)."""
    d = _Diff(a, b, signed_here, Comparer(budget, leaves=frozenset(a.leaves | b.leaves)))
    # Most telling first: the report lists the first few.
    d.pages()
    d.fields()
    d.annotations()
    d.catalog()
    d.form()
    return d.changes


class _Diff:
    def __init__(
        self, a: Snapshot, b: Snapshot, signed_here: Mapping[str, SignedField], cmp: Comparer
    ) -> None:
        self.a, self.b, self.signed_here, self.cmp = a, b, signed_here, cmp
        self.changes: list[Change] = []
        self.signing = bool(signed_here)
        signers = [s.label for s in signed_here.values() if s.kind == "/Sig"]
        self.carrier = signers[0] if signers else None
        # What a signing tool updates in a document time-stamp's revision is part of the
        # time-stamp: DocMDP P=1 accepts it as it accepts the time-stamp.
        self.bookkeeping = ChangeKind.STRUCTURE if signers else ChangeKind.TIMESTAMP

    def add(self, kind: ChangeKind, text: str, field: str | None = None) -> None:
        carrier = self.carrier if kind is ChangeKind.FORM_FILL else None
        self.changes.append(Change(self.b.revision, kind, text, field, carrier))

    def catalog(self) -> None:
        ra, rb = self.a.root, self.b.root
        for name in sorted((set(ra) | set(rb)) - IGNORED_CATALOG_KEYS):
            va, vb = raw(ra, name), raw(rb, name)
            if self.cmp.same(va, vb):
                continue
            if name in SIGNING_CATALOG_KEYS and self.signing:
                self.add(self.bookkeeping, f"{_WORDS[name]} updated for the signature")
            elif name == "/Names":
                self._names(va, vb)
            else:
                what = _WORDS.get(name, f"the document catalog entry {name}")
                self.add(ChangeKind.OTHER, f"{what} {_verb(va, vb)}")

    def _names(self, va: generic.PdfObject | None, vb: generic.PdfObject | None) -> None:
        da, db = _as_dict(va), _as_dict(vb)
        for name in sorted(set(da) | set(db)):
            xa, xb = raw(da, name), raw(db, name)
            if not self.cmp.same(xa, xb):
                what = _NAMES_WORDS.get(name, f"the document's named {name[1:]} entries")
                self.add(ChangeKind.OTHER, f"{what} {_verb(xa, xb)}")

    def form(self) -> None:
        fa, fb = _as_dict(self.a.acroform), _as_dict(self.b.acroform)
        for name in sorted((set(fa) | set(fb)) - IGNORED_FORM_KEYS):
            if self.cmp.same(raw(fa, name), raw(fb, name)):
                continue
            if name in SIGNING_FORM_KEYS and self.signing:
                self.add(self.bookkeeping, f"the form's {name} updated for the signature")
            elif name in SIGNING_FORM_KEYS:
                # Filling in a form may add the fonts the typed text needs.
                self.add(ChangeKind.FORM_FILL, f"the form's default {name} updated")
            else:
                self.add(
                    ChangeKind.OTHER, f"the form's {name} {_verb(raw(fa, name), raw(fb, name))}"
                )

    def pages(self) -> None:
        keys_a = [p.key for p in self.a.pages]
        keys_b = [p.key for p in self.b.pages]
        if keys_a != keys_b:
            set_a, set_b = set(keys_a), set(keys_b)
            for n, k in enumerate(keys_b, start=1):
                if k not in set_a:
                    self.add(ChangeKind.OTHER, f"page {n} added")
            for n, k in enumerate(keys_a, start=1):
                if k not in set_b:
                    self.add(ChangeKind.OTHER, f"page {n} removed")
            if set_a == set_b:
                self.add(ChangeKind.OTHER, "pages reordered")
        before = {p.key: p for p in self.a.pages}
        for n, pb in enumerate(self.b.pages, start=1):
            pa = before.get(pb.key)
            if pa is None:
                continue
            if not self.cmp.same(raw(pa.obj, "/Contents"), raw(pb.obj, "/Contents")):
                self.add(ChangeKind.OTHER, f"page {n} content replaced")
            if not self.cmp.same(pa.inherited.get("/Resources"), pb.inherited.get("/Resources")):
                self.add(ChangeKind.OTHER, f"page {n} resources changed")
            changed = [
                name
                for name in ("/MediaBox", "/CropBox", "/Rotate")
                if not self.cmp.same(pa.inherited.get(name), pb.inherited.get(name))
            ]
            changed += self._differing(pa.obj, pb.obj, skip=PAGE_SKIP)
            if changed:
                self.add(ChangeKind.OTHER, f"page {n} properties changed ({', '.join(changed)})")

    def annotations(self) -> None:
        owners = self.a.widget_owner() | self.b.widget_owner()
        owned = owners.keys()
        self._widget_placement(owners)
        for key, ann in self.b.annotations.items():
            if key in owned:
                continue
            label = _annotation_label(ann.obj)
            old = self.a.annotations.get(key)
            budget = self.cmp.budget
            if old is None:
                if has_action(ann.obj):
                    self.add(ChangeKind.OTHER, f"{label} with an action added on page {ann.page}")
                elif is_visible(ann.obj, budget):
                    self.add(ChangeKind.ANNOTATION, f"{label} added on page {ann.page}")
                else:
                    self.add(
                        ChangeKind.INVISIBLE_ANNOTATION,
                        f"invisible {label} added on page {ann.page}",
                    )
            elif old.page_keys != ann.page_keys or not self.cmp.same(
                old.obj, ann.obj, skip={"/StructParent"}
            ):
                self.add(ChangeKind.ANNOTATION, f"{label} changed on page {ann.page}")
        for key, old in self.a.annotations.items():
            if key not in owned and key not in self.b.annotations:
                label = _annotation_label(old.obj)
                self.add(ChangeKind.ANNOTATION, f"{label} removed from page {old.page}")

    def _widget_placement(self, owners: Mapping[Key, str]) -> None:
        # Where a field's widgets show is part of what the page shows: a widget taken off
        # a page hides the field, one listed on another page shows it there.
        before = self.a.widget_owner()
        for key, name in owners.items():
            if key not in before or name in self.signed_here:
                continue  # a new widget is reported with its field
            old, new = self.a.annotations.get(key), self.b.annotations.get(key)
            pages_a = old.pages if old is not None else []
            pages_b = new.pages if new is not None else []
            if (old.page_keys if old else []) == (new.page_keys if new else []):
                continue
            if not pages_b:
                text = f'widget of field "{name}" removed from page {pages_a[0]}'
            elif not pages_a:
                text = f'widget of field "{name}" placed on page {pages_b[0]}'
            else:
                text = f'widget of field "{name}" moved to page {pages_b[0]}'
            self.add(ChangeKind.OTHER, text, name)

    def fields(self) -> None:
        for name, fb in self.b.fields.items():
            fa = self.a.fields.get(name)
            own = self.signed_here.get(name)
            if own is not None and (fa is None or fa.value is None):
                self._signed_field(fb, own)
            elif fa is None:
                self._field_added(fb)
            else:
                self._field_changed(fa, fb)
        for name in self.a.fields.keys() - self.b.fields.keys():
            self.add(ChangeKind.OTHER, f'form field "{name}" removed', name)

    def _signed_field(self, fb: FormField, own: SignedField) -> None:
        if self._has_action(fb):
            self.add(ChangeKind.OTHER, f'signature field "{fb.name}" carries an action', fb.name)
        elif own.kind == "/DocTimeStamp":
            visible = self._visible_widget_page(fb)
            if visible is None:
                self.add(ChangeKind.TIMESTAMP, "document time-stamp added", fb.name)
            else:
                self.add(
                    ChangeKind.OTHER,
                    f'document time-stamp field "{fb.name}" shows on page {visible}',
                    fb.name,
                )
        else:
            self.add(ChangeKind.SIGNATURE, f'{own.label} added in field "{fb.name}"', fb.name)

    def _field_added(self, fb: FormField) -> None:
        if fb.field_type == "/Sig" and fb.value is None:
            page = self._visible_widget_page(fb)
            if self._has_action(fb):
                self.add(
                    ChangeKind.OTHER,
                    f'signature field "{fb.name}" with an action added',
                    fb.name,
                )
            elif page is None:
                self.add(
                    ChangeKind.EMPTY_SIGNATURE_FIELD,
                    f'empty signature field "{fb.name}" added',
                    fb.name,
                )
            else:
                self.add(
                    ChangeKind.OTHER,
                    f'unsigned signature field "{fb.name}" with a visible appearance '
                    f"added on page {page}",
                    fb.name,
                )
        else:
            self.add(ChangeKind.OTHER, f'form field "{fb.name}" added', fb.name)

    def _field_changed(self, fa: FormField, fb: FormField) -> None:
        name, cmp = fa.name, self.cmp
        is_sig = fb.field_type == "/Sig"
        if fa.field_type != fb.field_type:
            self.add(ChangeKind.OTHER, f'type of field "{name}" changed', name)
        if is_sig:
            if self._sig_state(self.a, fa) != self._sig_state(self.b, fb):
                self.add(ChangeKind.OTHER, f'signature in field "{name}" replaced or removed', name)
        elif not (cmp.same(fa.value, fb.value) and cmp.same(raw(fa.obj, "/I"), raw(fb.obj, "/I"))):
            self.add(ChangeKind.FORM_FILL, f'field "{name}" changed', name)
        appearance = flags = actions = False
        for k in fa.widgets.keys() & fb.widgets.keys():
            wa, wb = fa.widgets[k], fb.widgets[k]
            appearance |= not cmp.same(wa, wb, skip=WIDGET_NON_APPEARANCE)
            flags |= not cmp.same(raw(wa, "/F"), raw(wb, "/F"))
            actions |= not (
                cmp.same(raw(wa, "/A"), raw(wb, "/A")) and cmp.same(raw(wa, "/AA"), raw(wb, "/AA"))
            )
        if appearance:
            kind = ChangeKind.OTHER if is_sig else ChangeKind.FORM_FILL
            self.add(kind, f'appearance of field "{name}" changed', name)
        if fa.flags | _READ_ONLY == fb.flags and fa.flags != fb.flags:
            # Signing tools make the fields a signature locks read-only as they sign.
            self.add(ChangeKind.FORM_FILL, f'field "{name}" made read-only', name)
        elif fa.flags != fb.flags:
            detail = " (read-only cleared)" if fa.flags & 1 and not fb.flags & 1 else ""
            self.add(ChangeKind.OTHER, f'flags of field "{name}" changed{detail}', name)
        if flags:
            self.add(ChangeKind.OTHER, f'display flags of field "{name}" changed', name)
        if actions or not cmp.same(raw(fa.obj, "/AA"), raw(fb.obj, "/AA")):
            self.add(ChangeKind.OTHER, f'actions of field "{name}" changed', name)
        changed = [k for k in FIELD_PROPERTY_KEYS if not cmp.same(raw(fa.obj, k), raw(fb.obj, k))]
        if changed:
            self.add(
                ChangeKind.OTHER,
                f'properties of field "{name}" changed ({", ".join(changed)})',
                name,
            )
        for k in fb.widgets.keys() - fa.widgets.keys():
            kind = (
                ChangeKind.OTHER
                if is_visible(fb.widgets[k], cmp.budget)
                else (ChangeKind.INVISIBLE_ANNOTATION)
            )
            self.add(kind, f'widget added to field "{name}"', name)
        if fa.widgets.keys() - fb.widgets.keys():
            self.add(ChangeKind.OTHER, f'widget removed from field "{name}"', name)

    @staticmethod
    def _has_action(f: FormField) -> bool:
        return raw(f.obj, "/AA") is not None or any(has_action(w) for w in f.widgets.values())

    def _visible_widget_page(self, f: FormField) -> int | None:
        for k, w in f.widgets.items():
            if is_visible(w, self.cmp.budget):
                ann = self.b.annotations.get(k)
                return ann.page if ann is not None else 1
        return None

    @staticmethod
    def _sig_state(s: Snapshot, f: FormField) -> object:
        # A signature dictionary is compared by which object it is and where that object's
        # current definition is stored: redefining it in an update changes the location.
        k = key_of(f.value)
        if k is None:
            return None if f.value is None else ("direct", id(f.value))
        ref = generic.Reference(k[0], k[1], s.resolver.reader)
        return k, s.resolver.reader.xrefs.get_historical_ref(ref, s.revision)

    def _differing(
        self, da: generic.DictionaryObject, db: generic.DictionaryObject, *, skip: frozenset[str]
    ) -> list[str]:
        return [
            name
            for name in sorted((set(da) | set(db)) - skip)
            if not self.cmp.same(raw(da, name), raw(db, name))
        ]


# pyHanko leaves the DictionaryObject constructor unannotated.
_EMPTY: generic.DictionaryObject = generic.DictionaryObject()  # type: ignore[no-untyped-call]


def _as_dict(value: generic.PdfObject | None) -> generic.DictionaryObject:
    if isinstance(value, generic.IndirectObject):
        value = value.reference.get_object()
    return value if isinstance(value, generic.DictionaryObject) else _EMPTY


def _annotation_label(annot: generic.DictionaryObject) -> str:
    subtype = name_of(raw(annot, "/Subtype"))
    return f"{subtype[1:]} annotation" if subtype else "annotation"


def _verb(before: object, after: object) -> str:
    if before is None:
        return "added"
    if after is None:
        return "removed"
    return "changed"
