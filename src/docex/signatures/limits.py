"""Bounds on the work one verification may cost, whatever its input.

A signature file is untrusted input, and the costs that matter do not grow with its size:
a 14 KB CMS whose certificates form a lattice of same-name CAs makes certificate path
building explore an exponential number of paths; a 19 MB PDF whose DSS streams are
deflated zeros inflates to gigabytes. Each bound below caps one such cost. A verification
that reaches a bound stops that part of the work and gets a verdict, INDETERMINATE with a
message naming the bound (see :meth:`Limits.exceeded`); it never runs on unbounded.

Each bound, its default, and what it caps (``docs/limits.md`` has the settings):

* ``max_certificates`` (256): certificates embedded in one signature or document (CMS
  ``certificates``, CAdES ``certificate-values``, the PDF DSS);
* ``max_crls`` (64): CRLs embedded in one signature or document;
* ``max_ocsp_responses`` (256): OCSP responses embedded in one signature or document;
* ``max_validation_data_bytes`` (32 MiB): decoded size of all of them together; a PDF
  stream that would inflate past what is left is not inflated further;
* ``max_path_length`` (10): certificates on one candidate path, the end entity included
  and the trust anchor not;
* ``max_issuer_candidates_per_step`` (8): candidate issuers tried for one certificate of
  a path (after filtering by the authority key identifier, when both certificates carry
  key identifiers);
* ``max_issuer_candidates`` (256): candidate issuers tried in one certificate evaluation,
  over all steps and all paths.
* ``max_envelope_depth`` (4): CMS SignedData layers of one nested CAdES envelope (a
  doctor's CMS sealed by the facility is two), the outermost included.

Recursion: asn1crypto parses lazily and recursively, so a deeply nested structure can
raise ``RecursionError`` wherever it is first read. The certificate evaluator turns one
into a verdict, and :mod:`docex.signatures.isolation` turns one raised anywhere else into
an INDETERMINATE report. docex's own walks over embedded data (here and in
:mod:`docex.signatures.evidence`) are iterative and bounded by the counts above.

Time and memory: :mod:`docex.signatures.isolation` runs each verification in a worker
process with an address-space limit and a wall-clock deadline; those two budgets are the
backstop for any cost these bounds do not foresee. The table in ``docs/limits.md`` lists
every bound with its setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Imported where used: the limits are also read by processes that never open a PDF.
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.decode_limits import DecodeLimits

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """The bounds one verifier applies to every verification (see the module docstring)."""

    max_certificates: int = 256
    max_crls: int = 64
    max_ocsp_responses: int = 256
    max_validation_data_bytes: int = 32 * MiB
    max_path_length: int = 10
    max_issuer_candidates_per_step: int = 8
    max_issuer_candidates: int = 256
    max_envelope_depth: int = 4

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if value < 1:
                raise ValueError(f"{name} must be at least 1, not {value}")

    def exceeded(self, bound: str, *, what: str) -> str:
        """The message of a verdict that stopped at ``bound``, naming it and its value."""
        value = getattr(self, bound)
        shown = _size(value) if bound.endswith("_bytes") else str(value)
        return f"{what} exceeds the bound {bound} = {shown}; the signature was not evaluated"

    def pdf_decode_limits(self) -> DecodeLimits:
        """pyHanko decode limits for a PDF reader that match these bounds.

        For the reader a PAdES validation opens, so that pyHanko's own reads of validation
        data streams (during difference analysis, for instance) are held to the same cap.
        """
        from pyhanko.pdf_utils.decode_limits import (
            DEFAULT_PURPOSE_LIMITS,
            DecodeLimits,
            DecodePurpose,
            StreamDecodeLimits,
        )

        cap = StreamDecodeLimits(max_ratio=None, max_output_size=self.max_validation_data_bytes)
        per_purpose = dict(DEFAULT_PURPOSE_LIMITS)
        per_purpose[DecodePurpose.CRL] = cap
        return DecodeLimits(per_purpose=per_purpose)


DEFAULT_LIMITS = Limits()


class LimitExceededError(Exception):
    """A bound was reached; the message says which (see :meth:`Limits.exceeded`).

    Internal to the verifier: it is turned into an INDETERMINATE verdict where it is
    caught, never raised to a caller of :class:`~docex.signatures.verifier.Verifier`.
    """


def read_stream_bounded(stream: generic.StreamObject, *, max_bytes: int) -> bytes:
    """The decoded data of a PDF stream, decoding no more than ``max_bytes`` of it.

    Flate streams are inflated incrementally (``zlib`` with ``max_length``), so a stream
    that would inflate past the cap stops there instead of being inflated in full.
    The decoded data is not kept on the stream object: holding it is the caller's choice.

    :raises LimitExceededError: the stream decodes to more than ``max_bytes``.
    :raises PdfStreamError: the stream cannot be decoded.
    """
    from pyhanko.pdf_utils.misc import PdfDecodeLimitError

    cached = stream._data  # already decoded by an earlier reader call
    if cached is not None:
        if len(cached) > max_bytes:
            raise LimitExceededError(f"a stream of {_size(len(cached))}")
        return bytes(cached)
    data = stream.encoded_data
    # pyHanko's decoders stop early when given a cap (FlateDecode uses decompressobj with
    # max_length); its public read_data would apply the reader's limits, not ours, and
    # keep the decoded data on the stream.
    for decoder, params in stream._stream_decoders():  # type: ignore[no-untyped-call]  # pyHanko leaves it unannotated
        try:
            data = decoder.decode_bounded(data, params, max_bytes)
        except PdfDecodeLimitError as exc:
            raise LimitExceededError(f"a stream decoding to more than {_size(max_bytes)}") from exc
    if len(data) > max_bytes:
        raise LimitExceededError(f"a stream of {_size(len(data))}")
    return data


def _size(value: int) -> str:
    for unit, factor in (("GiB", 1024 * MiB), ("MiB", MiB), ("KiB", 1024)):
        if value >= factor and value % factor == 0:
            return f"{value // factor} {unit}"
    return f"{value} bytes"


__all__ = [
    "DEFAULT_LIMITS",
    "LimitExceededError",
    "Limits",
    "read_stream_bounded",
]
