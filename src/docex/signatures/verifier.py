"""The verifier: the one entry point that turns signature bytes into a validation report.

    verifier = Verifier(load_trust_store(["certs-dev/trust"]))
    report = verifier.verify(signature_bytes, content=detached_content)
    report.indication, report.qualification, report.to_json()

A :class:`Verifier` is long-lived and thread-safe: it keeps the cache of certificate
evaluations (see :mod:`docex.signatures.paths`), so a service or a batch run should make one
and reuse it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

from docex.errors import InputError, InputTooLargeError
from docex.outbound.policy import OutboundPolicy
from docex.signatures.cades import validate_cades
from docex.signatures.cms_signature import Engine
from docex.signatures.detached import ContentDigests
from docex.signatures.failures import error_report
from docex.signatures.inputs import (
    DEFAULT_MAX_INPUT_BYTES,
    CmsInput,
    PdfInput,
    check_size,
    decode_signature,
)
from docex.signatures.parsed import ParsedCache
from docex.signatures.paths import CertificateEvaluator
from docex.signatures.report import DocumentInfo, ValidationReport, summarize
from docex.signatures.trust import TrustStore

_T = TypeVar("_T")

logger = logging.getLogger("docex.signatures")


class Verifier:
    """Verifies CAdES and PAdES signatures against one trust configuration.

    :param trust: the trust anchors and trusted lists to validate against.
    :param online: fetch revocation data from the URLs in certificates that chain to a
        trust anchor. Off by default: a document's URLs are never followed unless asked.
    :param outbound: what online fetching may contact (:mod:`docex.outbound.policy`);
        the production policy by default.
    :param max_input_bytes: the largest signature file or detached content accepted.
    """

    def __init__(
        self,
        trust: TrustStore,
        *,
        online: bool = False,
        max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES,
        outbound: OutboundPolicy | None = None,
    ) -> None:
        self.trust = trust
        self.online = online
        self.max_input_bytes = max_input_bytes
        self.evaluator = CertificateEvaluator(trust, online=online, outbound=outbound)
        self._local = threading.local()
        self._loops: list[asyncio.AbstractEventLoop] = []
        self._loops_lock = threading.Lock()

    def close(self) -> None:
        """Release the event loops made for synchronous callers."""
        with self._loops_lock:
            loops, self._loops = self._loops, []
        for loop in loops:
            if not loop.is_running():
                loop.close()

    def __enter__(self) -> Verifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def verify(
        self,
        data: bytes,
        *,
        content: bytes | ContentDigests | None = None,
        at: datetime | None = None,
        content_if_detached: bytes | None = None,
    ) -> ValidationReport:
        """Verify a signature file (CMS in DER/PEM/base64, or PDF).

        :param content: the signed content of a detached CAdES signature, or its
            :class:`~docex.signatures.detached.ContentDigests` when it is too large to hold.
        :param at: validate as of this time instead of now (timezone-aware).
        :param content_if_detached: content to check a CMS signature against only if it
            is detached (the file beside a ``.p7s``); an attached signature is checked
            against its own content, and a PDF never reads it. Not with ``content``.
        :raises NotASignatureError: the bytes are not a signature at all.
        :raises InputTooLargeError: an input exceeds ``max_input_bytes``.
        """
        return self._run(
            self.averify(data, content=content, at=at, content_if_detached=content_if_detached)
        )

    async def averify(
        self,
        data: bytes,
        *,
        content: bytes | ContentDigests | None = None,
        at: datetime | None = None,
        content_if_detached: bytes | None = None,
    ) -> ValidationReport:
        """The coroutine behind :meth:`verify`, for callers already in an event loop."""
        if at is not None and at.tzinfo is None:
            raise ValueError("the validation time must be timezone-aware")
        if content is not None and content_if_detached is not None:
            raise ValueError("content and content_if_detached exclude each other")
        validation_time = at or datetime.now(UTC)
        decoded = decode_signature(data, limit=self.max_input_bytes)
        if isinstance(content, ContentDigests):
            if content.size > self.max_input_bytes:
                raise InputTooLargeError("signed content", self.max_input_bytes)
        elif content is not None:
            check_size(content, what="signed content", limit=self.max_input_bytes)
        engine = Engine(
            trust=self.trust,
            evaluator=self.evaluator,
            validation_time=validation_time,
            parsed=self.parsed_cache(),
        )
        try:
            if isinstance(decoded, CmsInput):
                document, signatures = await validate_cades(
                    decoded,
                    content=content,
                    engine=engine,
                    content_if_detached=content_if_detached,
                    content_limit=self.max_input_bytes,
                )
            else:
                # The PDF side (pyHanko's reader, docex's change analysis) loads with the
                # first PDF: a CMS file never needs it (issue 12).
                from docex.signatures.pades import validate_pades

                document, signatures = await validate_pades(decoded.data, engine=engine)
        except InputError:
            raise
        except MemoryError:
            raise  # the memory budget's to report, not a signature's
        except Exception as exc:
            # The last line: whatever escaped the per-signature guards is a bug, and the
            # caller still gets a verdict (never a traceback, never an HTTP 500).
            logger.error("verifying a %s signature failed", _kind(decoded), exc_info=exc)
            document = DocumentInfo(
                kind=_kind(decoded),
                sha256=hashlib.sha256(data).hexdigest(),
                size=len(data),
                detached=isinstance(decoded, CmsInput) and content is not None,
            )
            fmt = "CAdES-BASELINE-B" if isinstance(decoded, CmsInput) else "PAdES-BASELINE-B"
            signatures = [error_report("S1", fmt, validation_time, exc)]
        indication, sub_indication, qualification = summarize(signatures)
        return ValidationReport(
            indication=indication,
            sub_indication=sub_indication,
            qualification=qualification,
            validation_time=validation_time,
            document=document,
            signatures=tuple(signatures),
            online=self.online,
        )

    def parsed_cache(self) -> ParsedCache:
        """This thread's cache of parsed embedded certificates and revocation data.

        One per thread: parsed asn1crypto objects must not be read by two threads at once
        (see :mod:`docex.signatures.parsed`). The cache lives as long as the thread does.
        """
        parsed: ParsedCache | None = getattr(self._local, "parsed", None)
        if parsed is None:
            parsed = self._local.parsed = ParsedCache()
        return parsed

    def _run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        # One event loop per thread, kept for the thread's life: creating a loop per call
        # would cost more than a warm verification itself.
        loop: asyncio.AbstractEventLoop | None = getattr(self._local, "loop", None)
        if loop is None or loop.is_closed():
            loop = asyncio.new_event_loop()
            self._local.loop = loop
            with self._loops_lock:
                self._loops.append(loop)
        return loop.run_until_complete(coro)


def _kind(decoded: CmsInput | PdfInput) -> str:
    return "cades" if isinstance(decoded, CmsInput) else "pades"
