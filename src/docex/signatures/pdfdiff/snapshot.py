"""What one revision of a PDF shows: its pages, annotations and form fields.

A :class:`Snapshot` is read through pyHanko's ``HistoricalResolver`` for that revision,
so every reference resolves as it did when the revision was written. Trees are walked
iteratively, each object read spends from the revision's :class:`~.graph.Budget`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import HistoricalResolver

from docex.signatures.pdfdiff.graph import (
    MAX_DEPTH,
    AnalysisLimitError,
    Budget,
    Key,
    deref,
    entry,
    key_of,
    raw,
)

INHERITED_PAGE_KEYS = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")
"""Page attributes a page may inherit from its ancestors in the page tree."""

DIRECT_ANNOTATION = -1_000_000
"""Object numbers below this one stand for direct annotation dictionaries (page, index)."""

_HIDDEN, _NO_VIEW = 2, 32
"""Annotation flags (ISO 32000-1, 12.5.3) that keep an annotation from being shown."""


@dataclass
class Page:
    """A page, with the attributes it inherits resolved."""

    key: Key
    obj: generic.DictionaryObject
    inherited: dict[str, generic.PdfObject]
    annots: list[generic.PdfObject]
    """The raw ``/Annots`` entries: references, or (rarely) direct dictionaries."""


@dataclass
class Annotation:
    """An annotation listed in a page's ``/Annots``."""

    key: Key
    obj: generic.DictionaryObject
    page: int
    """1-based number of the first page listing it."""
    pages: list[int] = field(default_factory=list)
    """Every page listing it (an annotation listed twice shows twice)."""
    page_keys: list[Key] = field(default_factory=list)
    """The same pages as objects: what stays the same when pages are reordered."""


@dataclass
class FormField:
    """A terminal form field, with its inheritable attributes resolved."""

    name: str
    """The fully qualified name (the ``/T`` of the field and its ancestors, dot-joined)."""
    key: Key | None
    obj: generic.DictionaryObject
    field_type: str | None
    flags: int
    value: generic.PdfObject | None
    """The raw ``/V`` (a reference for a signature field)."""
    widgets: dict[Key, generic.DictionaryObject]
    nodes: list[Key] = field(default_factory=list)
    """The field's own object and its ancestors' (for the leaves of graph walks)."""


@dataclass
class Snapshot:
    """The state of the document as of one revision."""

    revision: int
    resolver: HistoricalResolver
    root: generic.DictionaryObject
    root_key: Key | None
    pages: list[Page]
    annotations: dict[Key, Annotation]
    fields: dict[str, FormField]
    acroform: generic.DictionaryObject | None

    @property
    def leaves(self) -> set[Key]:
        """Objects compared on their own, which a graph walk compares by identity."""
        keys: set[Key] = {p.key for p in self.pages} | set(self.annotations)
        for f in self.fields.values():
            keys.update(f.nodes)
            keys.update(f.widgets)
            if f.field_type == "/Sig" and (k := key_of(f.value)) is not None:
                keys.add(k)
        if self.root_key is not None:
            keys.add(self.root_key)
        return keys

    def widget_owner(self) -> dict[Key, str]:
        """Which field each widget belongs to."""
        return {w: f.name for f in self.fields.values() for w in f.widgets}


def read_snapshot(resolver: HistoricalResolver, revision: int, budget: Budget) -> Snapshot:
    """Describe the document as the given revision leaves it."""
    root = resolver.root
    root_key = (resolver.root_ref.idnum, resolver.root_ref.generation)
    pages = _pages(root, budget)
    annotations: dict[Key, Annotation] = {}
    for number, page in enumerate(pages, start=1):
        for index, ref in enumerate(page.annots):
            # A direct annotation has no object number: it is known by its place.
            akey = key_of(ref) or (DIRECT_ANNOTATION - number, index)
            if akey in annotations:
                annotations[akey].pages.append(number)
                annotations[akey].page_keys.append(page.key)
                continue
            annot = _deref_dict(ref, budget)
            if annot is not None:
                annotations[akey] = Annotation(akey, annot, number, [number], [page.key])
    acroform_value = raw(root, "/AcroForm")
    acroform = None
    fields: dict[str, FormField] = {}
    if acroform_value is not None:
        acroform_obj = deref(acroform_value, budget)
        if isinstance(acroform_obj, generic.DictionaryObject):
            acroform = acroform_obj
            fields = _fields(acroform, budget)
    return Snapshot(revision, resolver, root, root_key, pages, annotations, fields, acroform)


def is_visible(annot: generic.DictionaryObject, budget: Budget) -> bool:
    """Whether an annotation can show: not hidden and not of zero size."""
    flags = entry(annot, "/F", budget)
    if isinstance(flags, generic.NumberObject) and int(flags) & (_HIDDEN | _NO_VIEW):
        return False
    rect = entry(annot, "/Rect", budget)
    if isinstance(rect, generic.ArrayObject) and len(rect) == 4:
        try:
            x1, y1, x2, y2 = (float(deref(v, budget)) for v in rect)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return True
        return abs(x2 - x1) > 0 and abs(y2 - y1) > 0
    return True


def name_of(value: generic.PdfObject | None) -> str | None:
    """A name object's text (``/Widget``), None for anything else."""
    return str(value) if isinstance(value, generic.NameObject) else None


def has_action(annot: generic.DictionaryObject) -> bool:
    """Whether an annotation carries an action (run on click, page open, focus...)."""
    return raw(annot, "/A") is not None or raw(annot, "/AA") is not None


def _deref_dict(value: generic.PdfObject, budget: Budget) -> generic.DictionaryObject | None:
    obj = deref(value, budget)
    return obj if isinstance(obj, generic.DictionaryObject) else None


def _pages(root: generic.DictionaryObject, budget: Budget) -> list[Page]:
    top = raw(root, "/Pages")
    if top is None:
        return []
    pages: list[Page] = []
    seen: set[Key] = set()
    # Depth-first, children in order: (node, inherited attributes, depth).
    work: list[tuple[generic.PdfObject, dict[str, generic.PdfObject], int]] = [(top, {}, 0)]
    while work:
        node_value, inherited, depth = work.pop()
        if depth > MAX_DEPTH:
            raise AnalysisLimitError(f"the page tree is deeper than {MAX_DEPTH} levels")
        node_key = key_of(node_value)
        if node_key is not None:
            if node_key in seen:
                continue  # a loop or a page listed twice: the first place counts
            seen.add(node_key)
        node = _deref_dict(node_value, budget)
        if node is None:
            continue
        here = dict(inherited)
        for name in INHERITED_PAGE_KEYS:
            if (value := raw(node, name)) is not None:
                here[name] = value
        kids = entry(node, "/Kids", budget)
        if isinstance(kids, generic.ArrayObject) and name_of(raw(node, "/Type")) != "/Page":
            work.extend((kid, here, depth + 1) for kid in reversed(kids))
            continue
        if node_key is None:
            continue  # pages are indirect objects; a direct one cannot be told apart
        annots = entry(node, "/Annots", budget)
        refs: list[generic.PdfObject] = []
        if isinstance(annots, generic.ArrayObject):
            budget.spend(len(annots))
            refs = list(annots)
        pages.append(Page(node_key, node, here, refs))
    return pages


_Inherited = dict[str, generic.PdfObject]


def _fields(acroform: generic.DictionaryObject, budget: Budget) -> dict[str, FormField]:
    top = entry(acroform, "/Fields", budget)
    if not isinstance(top, generic.ArrayObject):
        return {}
    fields: dict[str, FormField] = {}
    seen: set[Key] = set()
    # (node, parent name, inherited /FT /Ff /V, ancestor keys, depth)
    work: list[tuple[generic.PdfObject, str, _Inherited, list[Key], int]] = [
        (kid, "", {}, [], 0) for kid in reversed(top)
    ]
    while work:
        value, parent_name, inherited, ancestors, depth = work.pop()
        if depth > MAX_DEPTH:
            raise AnalysisLimitError(f"the form field tree is deeper than {MAX_DEPTH} levels")
        node_key = key_of(value)
        if node_key is not None:
            if node_key in seen:
                continue
            seen.add(node_key)
        node = _deref_dict(value, budget)
        if node is None:
            continue
        partial = entry(node, "/T", budget)
        name = parent_name
        if isinstance(partial, generic.TextStringObject | generic.ByteStringObject):
            text = str(partial) if isinstance(partial, str) else partial.decode("latin-1")
            name = f"{parent_name}.{text}" if parent_name else text
        here = dict(inherited)
        for attr in ("/FT", "/Ff", "/V"):
            if (v := raw(node, attr)) is not None:
                here[attr] = v
        nodes = [*ancestors, node_key] if node_key is not None else list(ancestors)
        kids = entry(node, "/Kids", budget)
        kid_fields: list[generic.PdfObject] = []
        widgets: dict[Key, generic.DictionaryObject] = {}
        if name_of(raw(node, "/Subtype")) == "/Widget" and node_key is not None:
            widgets[node_key] = node
        if isinstance(kids, generic.ArrayObject):
            budget.spend(len(kids))
            for kid in kids:
                kid_obj = _deref_dict(kid, budget)
                if kid_obj is None:
                    continue
                if raw(kid_obj, "/T") is not None or (
                    raw(kid_obj, "/Kids") is not None
                    and name_of(raw(kid_obj, "/Subtype")) != "/Widget"
                ):
                    kid_fields.append(kid)
                elif (k := key_of(kid)) is not None:
                    widgets[k] = kid_obj
        for kid in reversed(kid_fields):
            work.append((kid, name, here, nodes, depth + 1))
        if kid_fields and not widgets:
            continue  # a non-terminal field: its terminal descendants carry the state
        field_type = deref(here["/FT"], budget) if "/FT" in here else None
        flags = deref(here["/Ff"], budget) if "/Ff" in here else 0
        unique = name or "(unnamed)"
        n = 2
        while unique in fields:
            unique = f"{name} ({n})"
            n += 1
        fields[unique] = FormField(
            name=unique,
            key=node_key,
            obj=node,
            field_type=str(field_type) if isinstance(field_type, generic.NameObject) else None,
            flags=int(flags) if isinstance(flags, int) else 0,
            value=here.get("/V"),
            widgets=widgets,
            nodes=nodes,
        )
    return fields
