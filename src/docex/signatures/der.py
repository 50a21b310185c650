"""A minimal reader of DER, for the few structures read on every signature.

asn1crypto reads any ASN.1 through general machinery (a spec resolved per field, lazily
parsed children, conversions on every ``.native``), which is most of what reading an own-
evidence signature's new revocation data costs. :class:`DerReader` walks the encoding of a
known structure element by element instead, and accepts only DER: definite, minimal
lengths, the tag the structure expects next, nothing left over. Whatever else it meets
raises :class:`NotDerError`, and its callers then read the same bytes with asn1crypto, so
that every input is still read, and read as asn1crypto reads it.
"""

from __future__ import annotations

SEQUENCE = 0x30
SET = 0x31
INTEGER = 0x02
BIT_STRING = 0x03
OCTET_STRING = 0x04
ENUMERATED = 0x0A
OID = 0x06
GENERALIZED_TIME = 0x18


def context(number: int, *, constructed: bool = True) -> int:
    """The tag of ``[number]`` (a context-specific tag below 31)."""
    return 0x80 | (0x20 if constructed else 0) | number


class NotDerError(Exception):
    """What the reader met is not what it reads (not DER, or not the expected element)."""


class DerReader:
    """The elements of one DER value's contents, in order."""

    __slots__ = ("data", "end", "pos")

    def __init__(self, data: bytes, start: int = 0, end: int | None = None) -> None:
        self.data = data
        self.pos = start
        self.end = len(data) if end is None else end

    def peek(self) -> int | None:
        """The next element's tag, or None at the end."""
        return self.data[self.pos] if self.pos < self.end else None

    def next(self, tag: int) -> tuple[int, int]:
        """The next element, which must have ``tag``: the start and end of its contents."""
        data, pos, end = self.data, self.pos, self.end
        if pos + 2 > end or data[pos] != tag:
            raise NotDerError
        length = data[pos + 1]
        pos += 2
        if length & 0x80:
            count = length & 0x7F
            # Indefinite (0, BER), or longer than anything a signature may hold.
            if count == 0 or count > 4 or pos + count > end or data[pos] == 0:
                raise NotDerError
            length = int.from_bytes(data[pos : pos + count], "big")
            if length < 0x80:
                raise NotDerError  # DER uses the short form below 128
            pos += count
        if pos + length > end:
            raise NotDerError
        self.pos = pos + length
        return pos, pos + length

    def element(self, tag: int) -> tuple[int, int]:
        """The next element with its header: the start and end of its whole encoding."""
        start = self.pos
        _, end = self.next(tag)
        return start, end

    def inside(self, tag: int) -> DerReader:
        """A reader of the next element's contents."""
        start, end = self.next(tag)
        return DerReader(self.data, start, end)

    def only(self, tag: int) -> DerReader:
        """A reader of the contents of the one element this value holds (an EXPLICIT tag's)."""
        inner = self.inside(tag)
        self.done()
        return inner

    def done(self) -> None:
        """Raise unless every element of the value has been read."""
        if self.pos != self.end:
            raise NotDerError
