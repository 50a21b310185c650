"""The indexed object-stream reading gives what pyHanko's own reading gives."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from docex.signatures.pdfdiff.resolver import ObjectStreams, RevisionResolver

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "pdf" / "pades-signed-annot-added.pdf"


def test_object_stream_members_read_as_pyhanko_reads_them() -> None:
    data = SAMPLE.read_bytes()
    ours_reader = PdfFileReader(BytesIO(data), strict=False)
    theirs_reader = PdfFileReader(BytesIO(data), strict=False)
    streams = ObjectStreams(ours_reader)
    compared = 0
    for revision in range(ours_reader.xrefs.total_revisions):
        ours = RevisionResolver(ours_reader, revision, streams)
        theirs = theirs_reader.get_historical_resolver(revision)
        for r in range(revision + 1):
            for idnum in ours_reader.xrefs.get_xref_data(r).xrefs_in_objstm:
                ref = generic.Reference(idnum, 0, ours)
                assert ours.get_object(ref) == theirs.get_object(
                    generic.Reference(idnum, 0, theirs)
                ), (revision, idnum)
                compared += 1
    assert compared > 60
