"""docex's bulk hex-string reader against pyHanko's own (docex.signatures.pyhanko_fast_hex).

The reader takes the place of ``pyhanko.pdf_utils.generic.read_hex_string_from_stream`` in
pyHanko's parser, so on any input it must do what pyHanko's function does: the same string
object (type, value, detected encoding) or the same exception (type, message), and the
stream left at the same position. pyHanko's function is kept by reference
(``PYHANKO_READ_HEX_STRING``) and both run on the same bytes: at every ``<`` of every PDF the
repository holds (its raw bytes and its decoded streams, object streams included), and on
generated strings, well-formed and not.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from docex.signatures import pyhanko_fast_hex
from docex.signatures.pyhanko_fast_hex import PYHANKO_READ_HEX_STRING, read_hex_string_from_stream
from tests.fresh_python import last_json_line

REPO = Path(__file__).resolve().parents[2]
PDFS = sorted(
    [*(REPO / "certs-dev" / "samples").glob("*.pdf"), *(REPO / "tests" / "data").rglob("*.pdf")]
)
MiB = 1024 * 1024

Reader = Callable[[Any], Any]
StreamMaker = Callable[[bytes], Any]


def _bytes_io(data: bytes) -> Any:
    return io.BytesIO(data)


def _buffered(data: bytes) -> Any:
    # A stream that is not a BytesIO, with a buffer smaller than the reader's blocks: what
    # a reader over an open file gives pyHanko.
    return io.BufferedReader(io.BytesIO(data), buffer_size=97)


def _outcome(
    read: Reader, data: bytes, offset: int, make: StreamMaker = _bytes_io
) -> tuple[Any, ...]:
    stream = make(data)
    stream.seek(offset)
    try:
        result = read(stream)
    except Exception as exc:  # every exception counts: type, message and position
        return ("raised", type(exc), str(exc), exc.args, stream.tell())
    return (
        "read",
        type(result),
        result,
        getattr(result, "autodetected_encoding", None),
        stream.tell(),
    )


def _same(data: bytes, offset: int = 0, make: StreamMaker = _bytes_io) -> tuple[Any, ...]:
    ours = _outcome(read_hex_string_from_stream, data, offset, make)
    theirs = _outcome(PYHANKO_READ_HEX_STRING, data, offset, make)
    assert ours == theirs
    return ours


def _openings(data: bytes) -> Iterator[int]:
    offset = data.find(b"<")
    while offset >= 0:
        yield offset
        offset = data.find(b"<", offset + 1)


def _decoded_streams(pdf: Path) -> Iterator[bytes]:
    # Hex strings inside object streams and content streams reach the parser only decoded.
    try:
        reader = PdfFileReader(io.BytesIO(pdf.read_bytes()), strict=False)
        revisions = range(reader.xrefs.total_revisions)
        refs = {
            ref
            for revision in revisions
            for ref in reader.xrefs.explicit_refs_in_revision(revision)
        }
        for revision in revisions:
            # pyHanko leaves it unannotated.
            refs |= set(reader.xrefs.object_streams_used_in(revision))  # type: ignore[no-untyped-call]
    except Exception:  # a PDF pyHanko cannot open: its raw bytes are still compared
        return
    for ref in sorted(refs, key=lambda r: (r.idnum, r.generation)):
        data = _decoded(reader, ref)
        if data is not None:
            yield data


def _decoded(reader: PdfFileReader, ref: generic.Reference) -> bytes | None:
    try:
        obj = reader.get_object(ref)  # type: ignore[no-untyped-call]  # pyHanko leaves it unannotated
        if isinstance(obj, generic.StreamObject):
            return obj.data
    except Exception:  # a broken stream: nothing decoded to compare
        return None
    return None


@pytest.mark.parametrize("pdf", PDFS, ids=lambda p: p.name)
def test_every_opening_of_the_repository_pdfs_reads_the_same(pdf: Path) -> None:
    read = 0
    for data in (pdf.read_bytes(), *_decoded_streams(pdf)):
        for offset in _openings(data):
            if _same(data, offset)[0] == "read":
                read += 1
    # A signed PDF has at least its /Contents (and usually an /ID) as hex strings.
    assert read >= 1


def test_the_development_sample_s_contents_take_the_bulk_path() -> None:
    # The string the reader exists for: a /Contents of tens of thousands of digits.
    data = (REPO / "certs-dev" / "samples" / "examination-result.pdf").read_bytes()
    # The signature dictionary's /Contents (a page's is a reference to a content stream).
    found = re.search(rb"/Contents\s*<(?!<)", data)
    assert found is not None
    start = found.end() - 1
    kind, cls, value, _, position = _same(data, start)
    assert (kind, cls) == ("read", generic.ByteStringObject)
    assert position == data.index(b">", start) + 1
    assert len(value) > 4000
    assert value[:1] == b"\x30"  # a DER SEQUENCE: the CMS
    # And in a handful of reads, where pyHanko's function reads once per digit.
    counting = _CountingReads(data)
    counting.seek(start)
    assert read_hex_string_from_stream(counting) == value
    assert counting.reads <= 6


class _CountingReads(io.BytesIO):
    reads = 0

    def read(self, size: int | None = -1, /) -> bytes:
        self.reads += 1
        return super().read(size)


_PIECES = st.sampled_from(
    [
        b"0",
        b"7",
        b"a",
        b"F",
        b"e",
        b" ",
        b"\n",
        b"\r",
        b"\r\n",
        b"\t",
        b"\f",
        b"\x00",
        b"%",
        b"% a comment > with a bracket\n",
        b"%\r",
        b">",
        b"<",
        b"g",
        b"G",
        b"x",
        b"\xff",
        b"(",
        b"/",
        b"\xfe\xff",
        b"FEFF",
        b"EFBBBF",
    ]
)
_HEX_RUN = st.text(alphabet="0123456789abcdefABCDEF", max_size=600).map(str.encode)
_BODY = st.lists(st.one_of(_PIECES, _HEX_RUN, st.binary(max_size=3)), max_size=40).map(b"".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=st.binary(max_size=8), body=_BODY, buffered=st.booleans())
@example(prefix=b"", body=b"", buffered=False)  # "<" then the end of the stream
@example(prefix=b"", body=b"abc>", buffered=False)  # an odd count of digits
@example(prefix=b"", body=b"ab % c>\n d>", buffered=False)  # a ">" inside a comment
@example(prefix=b"", body=b"ab %", buffered=False)  # a comment to the end of the stream
@example(prefix=b"", body=b"ab %x\n", buffered=False)  # whitespace after it, then the end
@example(prefix=b"", body=b"ab\x00cd\x0b>", buffered=False)  # \x0b is not PDF whitespace
@example(prefix=b"", body=b"FEFF00410042>", buffered=False)  # UTF-16 BOM: a text string
@example(prefix=b"", body=b"EFBBBF41>", buffered=False)  # UTF-8 BOM
@example(prefix=b"xy", body=b"0 1\r2\n3\t4\f5>tail", buffered=True)
def test_generated_strings_read_the_same(prefix: bytes, body: bytes, buffered: bool) -> None:
    data = prefix + b"<" + body
    _same(data, len(prefix), _buffered if buffered else _bytes_io)


@given(
    first=st.sampled_from([256, 256 + 1024, 256 + 1024 + 4096, 256 + 1024 + 4096 + 16384]),
    shift=st.integers(-2, 2),
    closing=st.sampled_from([b">", b" >", b"%>\n>", b"g>", b""]),
)
@settings(max_examples=60, deadline=None)
def test_strings_ending_at_the_reader_s_block_edges_read_the_same(
    first: int, shift: int, closing: bytes
) -> None:
    # The reader reads in growing blocks; a ">" (or the byte that stops pyHanko) just
    # before, at or after the end of one must make no difference.
    digits = b"a1" * ((first + shift) // 2) + b"b" * ((first + shift) % 2)
    _same(b"<" + digits + closing + b"rest", 0)


@pytest.mark.parametrize(
    "tail",
    [b"7>", b"", b"q>"],
    ids=["closed-odd", "unclosed", "bad-last-byte"],
)
def test_a_string_of_a_mebibyte_reads_the_same(tail: bytes) -> None:
    # 1 MiB of digits: pyHanko's decode limit for a certificate stream, and a string of
    # the size a signature's /Contents with its validation data can reach; closed, never
    # closed before the end of the stream, and spoilt at its very end.
    digits = b"0123456789abcdef" * (MiB // 16)
    _same(b"<" + digits + tail, 0)


def test_installed_for_the_checked_version_only() -> None:
    # A fresh process each: this one installed the reader when it imported the PDF side.
    checked = last_json_line(
        "import json\n"
        "import docex.signatures.pades\n"
        "from pyhanko.pdf_utils import generic\n"
        "from docex.signatures import pyhanko_fast_hex as fast\n"
        "print(json.dumps([generic.read_hex_string_from_stream is fast.read_hex_string_from_stream,"
        " fast.install()]))"
    )
    other = last_json_line(
        "import json\n"
        "import pyhanko.version\n"
        "pyhanko.version.__version__ = '0.39.0'\n"
        "import docex.signatures.pades\n"
        "from pyhanko.pdf_utils import generic\n"
        "from docex.signatures import pyhanko_fast_hex as fast\n"
        "print(json.dumps([generic.read_hex_string_from_stream is fast.PYHANKO_READ_HEX_STRING,"
        " fast.install()]))"
    )
    assert checked == [True, True]
    assert other == [True, False]


def test_a_parser_someone_else_replaced_is_left_alone() -> None:
    out = last_json_line(
        "import json\n"
        "from pyhanko.pdf_utils import generic\n"
        "def theirs(stream):\n"
        "    raise NotImplementedError\n"
        "original = generic.read_hex_string_from_stream\n"
        "generic.read_hex_string_from_stream = theirs\n"
        "from docex.signatures import pyhanko_fast_hex as fast\n"
        "installed = fast.install()\n"
        "print(json.dumps([installed, generic.read_hex_string_from_stream is theirs,"
        " fast.PYHANKO_READ_HEX_STRING is theirs]))"
    )
    # The module keeps whatever it found as its fallback, and installs nothing over it.
    assert out == [False, True, True]


def test_the_checked_versions_name_the_installed_pyhanko() -> None:
    # When pyHanko is upgraded this fails: compare its parser with this module again
    # (and the tests above), then add the version, or leave pyHanko's function in place.
    from pyhanko.version import __version__

    assert __version__ in pyhanko_fast_hex.CHECKED_VERSIONS
