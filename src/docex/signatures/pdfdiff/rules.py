"""Which later changes a signature accepts: the base rules, DocMDP and FieldMDP.

Base rules (every signature): validation data, metadata, document time-stamps, further
signatures, empty invisible signature fields, invisible annotations without actions, and
form filling *inside a later signature's own revision* are accepted; anything else is not.

DocMDP (a certification signature's ``/TransformParams /P``, or ``/Lock /P``) only ever
narrows the base rules: ``1`` accepts nothing beyond validation data and document
time-stamps; ``2`` accepts signing but no annotation, not even an invisible one; ``3``
adds nothing the base rules refuse. ISO 32000-1 (Table 254) lets a certifier grant form
filling and commenting by anyone with ``2`` and ``3``; the gate does not take up that
grant: a field value changed, or a visible annotation added, without a later signature
over it is exactly how a signed finding is forged ("fit for work" → "unfit"), so it fails
the signature whatever DocMDP allows. The report says when DocMDP would have allowed it.

FieldMDP (``/Reference`` ``/TransformMethod /FieldMDP``, or the signature field's
``/Lock``): a locked field may not change after the locking signature, whoever signs.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from pyhanko.pdf_utils import generic

from docex.signatures.pdfdiff.diff import Change, ChangeKind
from docex.signatures.pdfdiff.graph import raw
from docex.signatures.pdfdiff.snapshot import name_of


@dataclass(frozen=True)
class Lock:
    """A FieldMDP lock: ``All`` fields, or those ``Include``-d or not ``Exclude``-d."""

    action: str
    fields: frozenset[str]

    def locks(self, name: str) -> bool:
        """Whether the field with this fully qualified name is locked."""
        if self.action == "/All":
            return True
        if self.action == "/Include":
            return name in self.fields
        return name not in self.fields  # /Exclude, and any unknown action errs on locking


@dataclass(frozen=True)
class Permissions:
    """What a signature declares about later changes."""

    label: str
    """How the report names the signature: ``signature 1``."""
    docmdp: int | None
    lock: Lock | None


def read_permissions(
    label: str, sig_object: generic.DictionaryObject, sig_field: generic.DictionaryObject
) -> Permissions:
    """Read DocMDP and FieldMDP from the signature dictionary and its field's ``/Lock``."""
    docmdp: int | None = None
    lock: Lock | None = None
    references = _deref(raw(sig_object, "/Reference"))
    for item in references if isinstance(references, generic.ArrayObject) else ():
        ref = _deref(item)
        if not isinstance(ref, generic.DictionaryObject):
            continue
        method = name_of(_deref(raw(ref, "/TransformMethod")))
        params = _deref(raw(ref, "/TransformParams"))
        if not isinstance(params, generic.DictionaryObject):
            continue
        if method == "/DocMDP":
            docmdp = _docmdp(params, default=2)
        elif method == "/FieldMDP":
            lock = _lock(params)
    field_lock = _deref(raw(sig_field, "/Lock"))
    if isinstance(field_lock, generic.DictionaryObject):
        lock = lock or _lock(field_lock)
        if docmdp is None and raw(field_lock, "/P") is not None:
            docmdp = _docmdp(field_lock, default=None)
    return Permissions(label, docmdp, lock)


@dataclass(frozen=True)
class Judgement:
    """The changes after one signature, sorted into refused and accepted."""

    violations: tuple[str, ...]
    accepted: tuple[str, ...]
    carried_by: tuple[str, ...]
    """The later signatures whose own revisions changed form fields."""


def judge(
    perms: Permissions, changes: list[Change], *, signed_fields: Collection[str] = ()
) -> Judgement:
    """Apply the rules to the changes made after the signature's revision.

    ``signed_fields`` are the fields that existed when the signature was made: a FieldMDP
    lock protects what was signed, a field added later is governed by the other rules.
    """
    violations: list[str] = []
    accepted: list[str] = []
    carriers: list[str] = []
    for ch in changes:
        refusal = _refusal(perms, ch, signed_fields)
        if refusal is not None:
            violations.append(refusal)
        elif ch.kind is ChangeKind.FORM_FILL:
            accepted.append(f"{ch.text} by {ch.carrier} in its signed revision")
            if ch.carrier not in carriers:
                carriers.append(str(ch.carrier))
        else:
            accepted.append(ch.text)
    return Judgement(tuple(_unique(violations)), tuple(_unique(accepted)), tuple(carriers))


def _refusal(perms: Permissions, ch: Change, signed_fields: Collection[str]) -> str | None:
    who = perms.label
    locked = perms.lock is not None and ch.field is not None and perms.lock.locks(ch.field)
    if locked and ch.field in signed_fields:
        if ch.kind is not ChangeKind.TIMESTAMP:
            return f'{ch.text}, but {who} locks field "{ch.field}" (FieldMDP)'
    kind = ch.kind
    if kind is ChangeKind.TIMESTAMP:
        return None
    if perms.docmdp == 1:
        return f"DocMDP of {who} forbids any change; {ch.text}"
    if perms.docmdp == 2 and kind in (ChangeKind.ANNOTATION, ChangeKind.INVISIBLE_ANNOTATION):
        return f"DocMDP of {who} allows only form filling and signing; {ch.text}"
    if kind is ChangeKind.OTHER:
        return f"{ch.text} after {who}"
    granted = perms.docmdp in (2, 3) if kind is ChangeKind.FORM_FILL else perms.docmdp == 3
    unsigned = kind is ChangeKind.ANNOTATION or (
        kind is ChangeKind.FORM_FILL and ch.carrier is None
    )
    if unsigned and granted:
        return (
            f"{ch.text} after {who} with no signature over it "
            f"(DocMDP of {who} permits it; the gate does not accept unsigned changes)"
        )
    if unsigned:
        return f"{ch.text} after {who}"
    return None


def _docmdp(params: generic.DictionaryObject, *, default: int | None) -> int | None:
    value = _deref(raw(params, "/P"))
    if isinstance(value, generic.NumberObject) and int(value) in (1, 2, 3):
        return int(value)
    # ISO 32000-1 Table 254: a missing /P means 2; an invalid one is read as the strictest.
    return default if value is None else 1


def _lock(params: generic.DictionaryObject) -> Lock:
    action = _deref(raw(params, "/Action"))
    names = _deref(raw(params, "/Fields"))
    fields: set[str] = set()
    for item in names if isinstance(names, generic.ArrayObject) else ():
        value = _deref(item)
        if isinstance(value, generic.TextStringObject):
            fields.add(str(value))
        elif isinstance(value, generic.ByteStringObject):
            fields.add(value.decode("latin-1"))
    return Lock(
        str(action) if isinstance(action, generic.NameObject) else "/All", frozenset(fields)
    )


def _deref(value: generic.PdfObject | None) -> generic.PdfObject | None:
    if isinstance(value, generic.IndirectObject):
        return value.reference.get_object()
    return value


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
