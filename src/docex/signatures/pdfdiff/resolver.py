"""Reading objects of any revision, with object streams indexed once.

pyHanko finds an object in an object stream by reading the stream's header from the
start each time, which costs the square of the stream's size for a file whose objects
live in large object streams (tagged PDFs saved by Acrobat). Reading every revision of
such a file took seconds. Here each object stream's header is read once per file, and the
objects found in it are kept by where they are stored, for every revision to share.

Like pyHanko, an object stream is read as it stands in the latest revision; the analysis
refuses a file whose update redefines an earlier revision's object stream.
"""

from __future__ import annotations

from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfError, read_non_whitespace
from pyhanko.pdf_utils.reader import HistoricalResolver, PdfFileReader
from pyhanko.pdf_utils.xref import ObjStreamRef

from docex.signatures.pdfdiff.graph import MAX_OBJECTS_PER_REVISION

_Index = tuple[BytesIO, int, dict[int, int]]
"""The decoded stream, where its first object starts, and each object's offset."""


class ObjectStreams:
    """The object streams of one PDF file, each indexed on first use."""

    def __init__(self, reader: PdfFileReader) -> None:
        self._reader = reader
        self._indexes: dict[int, _Index | None] = {}
        self._objects: dict[tuple[int, ObjStreamRef], generic.PdfObject] = {}

    def read(self, idnum: int, where: ObjStreamRef) -> generic.PdfObject | None:
        """Object ``idnum`` stored at ``where``; None to let pyHanko read it instead."""
        found = self._objects.get((idnum, where))
        if found is not None:
            return found
        index = self._index(where.obj_stream_id)
        if index is None or idnum not in index[2]:
            return None
        data, first, offsets = index
        data.seek(first + offsets[idnum])
        try:
            obj = generic.read_object(data, generic.Reference(idnum, 0, self._reader))
        except (PdfError, ValueError, TypeError, KeyError):
            return None
        if isinstance(obj, generic.StreamObject | generic.IndirectObject):
            return None  # not allowed in an object stream: leave it to pyHanko's handling
        self._objects[(idnum, where)] = obj
        return obj

    def _index(self, stream_id: int) -> _Index | None:
        if stream_id in self._indexes:
            return self._indexes[stream_id]
        index: _Index | None = None
        try:
            ref = generic.Reference(stream_id, 0, self._reader)
            stream = self._reader.get_object(ref)  # type: ignore[no-untyped-call]
            if isinstance(stream, generic.StreamObject) and stream.get("/Type") == "/ObjStm":
                count = int(stream["/N"])
                first = int(stream["/First"])
                if 0 <= count <= MAX_OBJECTS_PER_REVISION:
                    data = BytesIO(stream.data)
                    offsets: dict[int, int] = {}
                    for _ in range(count):
                        objnum, offset = _number(data), _number(data)
                        # The first entry wins, as it does for pyHanko's reading.
                        offsets.setdefault(objnum, offset)
                    index = (data, first, offsets)
        except (PdfError, ValueError, TypeError, KeyError):
            index = None
        self._indexes[stream_id] = index
        return index


_NULL: generic.PdfObject = generic.NullObject()


def _number(data: BytesIO) -> int:
    # pyHanko leaves its object readers unannotated.
    read_non_whitespace(data, seek_back=True)  # type: ignore[no-untyped-call]
    value = generic.NumberObject.read_from_stream(data)  # type: ignore[no-untyped-call]
    return int(value)


class RevisionResolver(HistoricalResolver):
    """pyHanko's view of one revision, reading object-stream members through the index."""

    def __init__(self, reader: PdfFileReader, revision: int, streams: ObjectStreams) -> None:
        super().__init__(reader, revision)
        self._streams = streams

    def get_object(
        self, ref: generic.Reference, as_metadata_stream: bool = False
    ) -> generic.PdfObject:
        if ref not in self.cache and not as_metadata_stream:
            where = self.reader.xrefs.get_historical_ref(ref, self.revision)
            if where is None:
                # Free or never defined: null, as pyHanko reads it, without its log line.
                self.cache[ref] = _NULL
            elif isinstance(where, ObjStreamRef) and ref.generation == 0:
                obj = self._streams.read(ref.idnum, where)
                if obj is not None:
                    # Subsuming makes the object's references resolve in this revision.
                    self.cache[ref] = self._subsume_object(obj)  # type: ignore[no-untyped-call]
        found: generic.PdfObject = super().get_object(ref, as_metadata_stream)
        return found
