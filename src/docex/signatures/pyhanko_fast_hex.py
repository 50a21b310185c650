"""A bulk reader of PDF hex strings for pyHanko's parser (issue 12: a one-file PDF verify).

Why it exists: pyHanko 0.38's ``generic.read_hex_string_from_stream`` reads a hex string
one digit at a time (a ``stream.read(1)`` inside ``misc.read_non_whitespace`` and one
generator step per digit). A signature's ``/Contents`` is tens of thousands of hex digits,
so a PDF verify spent about 0.03 s of CPU (twice that under load) in that loop, a tenth
of the whole command, reading the two strings of the development sample.

:func:`read_hex_string_from_stream` reads the string in blocks instead. It answers for
itself only when the bytes up to the first ``>`` are hex digits and PDF whitespace, the
case where pyHanko's result is plainly the digits, a ``0`` appended to an odd count,
decoded with :func:`binascii.unhexlify` and passed to ``generic.pdf_string``; the stream
is then left just after that ``>``, where pyHanko leaves it. For anything else (a comment
inside the string, a byte that is neither, the end of the stream before a ``>``) it puts
the stream back where it was and calls pyHanko's own function, which raises its own error
with its own message and leaves the stream where it leaves it. A ``%`` before the first
``>`` always takes that path, so a ``>`` inside a comment is never taken for the end.

:func:`install` puts it in place of pyHanko's function in ``pyhanko.pdf_utils.generic``
(whose ``read_object`` looks the name up there on every call) only for the pyHanko
versions in :data:`CHECKED_VERSIONS`: another version keeps its own function, whatever it
became. ``tests/signatures/test_pyhanko_fast_hex.py`` holds the two equal (the same
object or the same exception type and message, the same stream position after) on every
PDF of the repository and on generated inputs, malformed ones included.
"""

from __future__ import annotations

import binascii
import os
import threading
from typing import Any, BinaryIO

from pyhanko.pdf_utils import generic

CHECKED_VERSIONS = frozenset({"0.38.0"})
"""The pyHanko versions whose ``read_hex_string_from_stream`` (and the ``read_non_whitespace``
and ``skip_over_comments`` it calls) this module was compared with, line by line and by
the tests. Another version's parser may have changed; it keeps its own function."""

PYHANKO_READ_HEX_STRING = generic.read_hex_string_from_stream
"""pyHanko's own function, as its module defined it before :func:`install` replaced it:
the fallback for every input the bulk path does not answer, and the tests' reference."""

_WHITESPACE = b" \n\r\t\f\x00"
"""``pyhanko.pdf_utils.misc.PDF_WHITESPACE``: what ``read_non_whitespace`` skips."""
_HEX_DIGITS = b"0123456789abcdefABCDEF"
"""``pyhanko.pdf_utils.generic.HEX_DIGITS``: what pyHanko accepts as a digit."""

_FIRST_BLOCK = 256
_MAX_BLOCK = 1 << 16
# Most hex strings are short (a document /ID, a few glyph codes), and the bytes read past
# the closing ">" are read for nothing: the first block is small and each next one is
# larger, up to 64 KiB, so that a /Contents of 30,000 digits takes a handful of reads.

_lock = threading.Lock()


def read_hex_string_from_stream(stream: BinaryIO) -> Any:
    """Read a hex string from ``stream`` (at its ``<``) into a PDF string object.

    The same result, exception and stream position after as pyHanko's
    ``generic.read_hex_string_from_stream`` (see the module docstring).
    """
    start = stream.tell()
    # The "<": pyHanko reads it without looking at it, so does this.
    stream.read(1)
    blocks: list[bytes] = []
    size = _FIRST_BLOCK
    while True:
        block = stream.read(size)
        end = block.find(b">")
        if end >= 0:
            blocks.append(block[:end])
            past = len(block) - end - 1
            break
        if not block:
            # The stream ended before a ">": pyHanko's error, from where it stops.
            return _pyhanko_from(stream, start)
        blocks.append(block)
        size = min(size * 4, _MAX_BLOCK)
    digits = b"".join(blocks).translate(None, _WHITESPACE)
    if digits.translate(None, _HEX_DIGITS):
        # A comment ("%"), or a byte pyHanko refuses: its own reading decides.
        return _pyhanko_from(stream, start)
    if past:
        stream.seek(-past, os.SEEK_CUR)
    if len(digits) % 2:
        # An odd count: pyHanko appends a "0" (ISO 32000-1, 7.3.4.3).
        digits += b"0"
    return generic.pdf_string(binascii.unhexlify(digits))


def _pyhanko_from(stream: BinaryIO, start: int) -> Any:
    stream.seek(start)
    return PYHANKO_READ_HEX_STRING(stream)


def install() -> bool:
    """Use :func:`read_hex_string_from_stream` in pyHanko's parser, if its version was checked.

    Returns whether it is in place. A pyHanko version outside :data:`CHECKED_VERSIONS`,
    or a parser whose function someone else has replaced (before or after this module
    was imported), is left as it is. Calling this
    again changes nothing.
    """
    from pyhanko.version import __version__

    with _lock:
        current = generic.read_hex_string_from_stream
        if current is read_hex_string_from_stream:
            return True
        if __version__ not in CHECKED_VERSIONS or current is not PYHANKO_READ_HEX_STRING:
            return False
        if not _is_pyhankos(current):
            # Replaced before this module was imported: not the function it was checked
            # against, and not one to fall back on in its place.
            return False
        generic.read_hex_string_from_stream = read_hex_string_from_stream
        return True


def _is_pyhankos(function: object) -> bool:
    return (
        getattr(function, "__module__", None) == generic.__name__
        and getattr(function, "__qualname__", None) == "read_hex_string_from_stream"
    )
