"""Comparing PDF object graphs between two revisions, within bounds.

Two revisions are compared by what their objects say, not by which object numbers changed:
an update that redefines an existing object number, or that re-points a reference at an
object hidden in the signed revision, is seen as the content change it is. The walk is
iterative (no Python recursion), and every walk spends from a :class:`Budget` so that a
hostile file cannot make it run without end.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfError

Key = tuple[int, int]
"""An object number and generation."""

MAX_OBJECTS_PER_REVISION = 200_000
"""Indirect objects read while describing and comparing one revision with the one before."""

MAX_DEPTH = 512
"""Nesting depth of one object graph walk (page tree, field tree, compared values)."""

LINK_KEYS = frozenset({"/P", "/Parent"})
"""Back-links (to a page, a parent field or node) that a walk does not follow: what they
point to is compared on its own."""


class AnalysisLimitError(Exception):
    """A bound on the analysis was reached; the message says which."""


@dataclass
class Budget:
    """The objects a revision's analysis may still read."""

    remaining: int = MAX_OBJECTS_PER_REVISION

    def spend(self, count: int = 1) -> None:
        """Take ``count`` objects from the budget, or raise :class:`AnalysisLimitError`."""
        self.remaining -= count
        if self.remaining < 0:
            raise AnalysisLimitError(
                f"the PDF has more than {MAX_OBJECTS_PER_REVISION} objects to compare in "
                "one revision"
            )


def key_of(value: object) -> Key | None:
    """The object number of an indirect reference, None for a direct object."""
    if isinstance(value, generic.IndirectObject):
        return (value.idnum, value.generation)
    return None


def deref(value: generic.PdfObject, budget: Budget) -> generic.PdfObject:
    """The object a reference points to (in the reference's revision), or the value itself."""
    seen = 0
    while isinstance(value, generic.IndirectObject):
        budget.spend()
        seen += 1
        if seen > MAX_DEPTH:
            raise AnalysisLimitError("a chain of references to references is too long")
        value = value.reference.get_object()
    return value


def raw(d: generic.DictionaryObject, name: str) -> generic.PdfObject | None:
    """A dictionary entry without dereferencing it; None when absent."""
    value: generic.PdfObject | None = dict.get(d, name)
    return value


def entry(d: generic.DictionaryObject, name: str, budget: Budget) -> generic.PdfObject | None:
    """A dictionary entry, dereferenced; None when absent or null."""
    value = raw(d, name)
    if value is None:
        return None
    value = deref(value, budget)
    return None if isinstance(value, generic.NullObject) else value


@dataclass
class Comparer:
    """Compares values of revision ``a`` with values of revision ``b``.

    ``leaves`` are objects compared elsewhere (pages, annotations, fields, signature
    dictionaries): a walk that reaches one compares only which object it is.
    """

    budget: Budget
    leaves: frozenset[Key] = frozenset()
    _equal: set[tuple[Key, Key]] = field(default_factory=set)

    def same(
        self,
        a: generic.PdfObject | None,
        b: generic.PdfObject | None,
        *,
        skip: Iterable[str] = (),
    ) -> bool:
        """True when ``a`` and ``b`` describe the same content.

        ``skip`` names entries of the top-level dictionaries to leave out.
        """
        if a is None or b is None:
            return a is None and b is None
        skipped = frozenset(skip)
        work: list[tuple[generic.PdfObject, generic.PdfObject, int, frozenset[str]]] = [
            (a, b, 0, skipped)
        ]
        visited: set[tuple[Key, Key]] = set()
        while work:
            x, y, depth, skip_here = work.pop()
            if depth > MAX_DEPTH:
                raise AnalysisLimitError(f"the PDF nests objects deeper than {MAX_DEPTH} levels")
            kx, ky = key_of(x), key_of(y)
            if kx is not None or ky is not None:
                if (kx in self.leaves or ky in self.leaves) and kx != ky:
                    return False
                if kx is not None and ky is not None:
                    if kx in self.leaves or ky in self.leaves:
                        continue
                    pair = (kx, ky)
                    if pair in visited or pair in self._equal:
                        continue
                    visited.add(pair)
                try:
                    x, y = deref(x, self.budget), deref(y, self.budget)
                except PdfError:
                    return False
            if not _shallow_equal(x, y, skip_here):
                return False
            if isinstance(x, generic.DictionaryObject):
                if not isinstance(y, generic.DictionaryObject):
                    return False
                # A stream's data was compared whole, whatever its filters.
                ignored = _STREAM_KEYS if isinstance(x, generic.StreamObject) else {"/Length"}
                for name, value in dict.items(x):
                    if name in skip_here or name in ignored:
                        continue
                    other = dict.__getitem__(y, name)
                    if name in LINK_KEYS and (key_of(value) is not None or key_of(other)):
                        if key_of(value) != key_of(other):
                            return False
                        continue
                    work.append((value, other, depth + 1, frozenset()))
            elif isinstance(x, generic.ArrayObject):
                if not isinstance(y, generic.ArrayObject):
                    return False
                work.extend((u, v, depth + 1, frozenset()) for u, v in zip(x, y, strict=True))
        # Every pair visited is equal only once the whole walk found no difference.
        self._equal |= visited
        return True


_STREAM_KEYS = frozenset({"/Length", "/Filter", "/DecodeParms"})


def _shallow_equal(x: generic.PdfObject, y: generic.PdfObject, skip: frozenset[str]) -> bool:
    """Same kind, same atom, same dictionary keys or array length, same stream data."""
    if isinstance(x, generic.StreamObject) or isinstance(y, generic.StreamObject):
        if not (isinstance(x, generic.StreamObject) and isinstance(y, generic.StreamObject)):
            return False
        if not _stream_data_equal(x, y):
            return False
        # A stream re-encoded with other filters but the same content is the same stream.
        skip = skip | _STREAM_KEYS
    if isinstance(x, generic.DictionaryObject) or isinstance(y, generic.DictionaryObject):
        if not (
            isinstance(x, generic.DictionaryObject) and isinstance(y, generic.DictionaryObject)
        ):
            return False
        ignored = skip | {"/Length"}
        return {k for k in x if k not in ignored} == {k for k in y if k not in ignored}
    if isinstance(x, generic.ArrayObject) or isinstance(y, generic.ArrayObject):
        return (
            isinstance(x, generic.ArrayObject)
            and isinstance(y, generic.ArrayObject)
            and len(x) == len(y)
        )
    return _atom(x) == _atom(y)


def _stream_data_equal(x: generic.StreamObject, y: generic.StreamObject) -> bool:
    try:
        if x.encoded_data == y.encoded_data and dict.get(x, "/Filter") == dict.get(y, "/Filter"):
            return True
        # Decoding stays within pyHanko's decode limits for untrusted input.
        return x.data == y.data
    except (PdfError, ValueError, TypeError):
        return False


def _atom(value: generic.PdfObject) -> tuple[str, object]:
    if isinstance(value, generic.NameObject):
        return ("name", str(value))
    if isinstance(value, generic.TextStringObject | generic.ByteStringObject):
        return ("string", bytes(value.original_bytes))
    if isinstance(value, generic.BooleanObject):
        return ("bool", bool(value))
    if isinstance(value, generic.NumberObject | generic.FloatObject):
        return ("number", value)
    if isinstance(value, generic.NullObject):
        return ("null", None)
    return (type(value).__name__, repr(value))
