"""Verifiers built from a configuration, guarded in process, and budget reports.

:class:`VerifierConfig` is the picklable recipe of a verifier (trust sources, online,
input and work limits), so that a worker process of :mod:`docex.signatures.isolation`
can build its own; :class:`GuardedVerifier` is the in-process verifier that still turns
a ``RecursionError`` or ``MemoryError`` into a report; :func:`budget_report` is the
INDETERMINATE report of a verification stopped by a budget or by recursion.

Nothing heavy is imported here at module level: the process that only hands work to
workers (the CLI's) does not pay for pyHanko's imports.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from docex.outbound.policy import OutboundPolicy
from docex.signatures.failures import RECURSION_MESSAGE
from docex.signatures.limits import DEFAULT_LIMITS, Limits
from docex.signatures.report import (
    Check,
    CheckOutcome,
    DocumentInfo,
    Indication,
    Qualification,
    SignatureReport,
    SubIndication,
    ValidationReport,
)

if TYPE_CHECKING:
    from docex.signatures.detached import ContentDigests
    from docex.signatures.trust import TrustStore
    from docex.signatures.verifier import Verifier

# The verifier's own default (docex.signatures.inputs), repeated to keep imports light.
DEFAULT_MAX_INPUT_BYTES = 64 * 1024 * 1024
GiB = 1024 * 1024 * 1024


class SignatureVerifier(Protocol):
    """What the service and the CLI need of a verifier, in process or isolated."""

    online: bool
    config: VerifierConfig
    """How the verifier (or each of its workers) was built."""

    def verify(
        self,
        data: bytes,
        *,
        content: bytes | ContentDigests | None = None,
        at: datetime | None = None,
        content_if_detached: bytes | None = None,
    ) -> ValidationReport: ...

    async def averify(
        self,
        data: bytes,
        *,
        content: bytes | ContentDigests | None = None,
        at: datetime | None = None,
        content_if_detached: bytes | None = None,
    ) -> ValidationReport: ...

    def close(self) -> None: ...

    def __enter__(self) -> SignatureVerifier: ...

    def __exit__(self, *exc: object) -> None: ...


@dataclass(frozen=True)
class VerifierConfig:
    """How to build a verifier: picklable, so that a worker process can build its own."""

    trust: tuple[str, ...]
    """Trust sources, as :func:`~docex.signatures.trust.load_trust_store` takes them."""
    trusted_list_signers: tuple[str, ...] = ()
    """Certificates whose signature a trusted list must carry."""
    allow_unsigned_trusted_list: bool = False
    """Read trusted lists without checking their signature (development PKI only)."""
    online: bool = False
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES
    limits: Limits = DEFAULT_LIMITS
    outbound: OutboundPolicy | None = None
    """What online fetching may contact; the production policy when ``None``."""

    def trust_store(self) -> TrustStore:
        """The trust store these sources make.

        :raises TrustConfigError: a source cannot be read, or a trusted list's signature
            does not verify.
        """
        from docex.signatures.trust import load_trust_store

        return load_trust_store(
            list(self.trust),
            trusted_list_signers=self.trusted_list_signers,
            allow_unsigned_trusted_list=self.allow_unsigned_trusted_list,
        )

    def build(self, trust_store: TrustStore | None = None) -> Verifier:
        """A verifier for this configuration, in this process; ``trust_store`` is
        :meth:`trust_store`'s, when the caller has loaded it already."""

        return bounded_verifier(
            self.trust_store() if trust_store is None else trust_store,
            online=self.online,
            max_input_bytes=self.max_input_bytes,
            limits=self.limits,
            outbound=self.outbound,
        )


def bounded_verifier(
    trust: TrustStore,
    *,
    online: bool = False,
    max_input_bytes: int,
    limits: Limits,
    outbound: OutboundPolicy | None = None,
) -> Verifier:
    """A :class:`Verifier` whose certificate evaluator applies ``limits``.

    :class:`Verifier` does not take limits itself; its evaluator is the one object every
    part of a validation reaches (``engine.evaluator``), so the limits travel with it.
    """
    from docex.signatures.paths import CertificateEvaluator
    from docex.signatures.verifier import Verifier

    verifier = Verifier(trust, online=online, max_input_bytes=max_input_bytes, outbound=outbound)
    verifier.evaluator = CertificateEvaluator(
        trust, online=online, limits=limits, outbound=outbound
    )
    return verifier


def budget_report(
    data: bytes, *, content: bytes | ContentDigests | None, at: datetime, message: str
) -> ValidationReport:
    """The INDETERMINATE report of a verification stopped for ``message``."""
    from docex.signatures.inputs import is_pdf

    kind = "pades" if is_pdf(data) else "cades"
    signature = SignatureReport(
        id="document",
        format="PAdES" if kind == "pades" else "CAdES",
        indication=Indication.INDETERMINATE,
        sub_indication=SubIndication.SIG_CONSTRAINTS_FAILURE,
        qualification=Qualification.NA,
        signer=None,
        claimed_signing_time=None,
        timestamp_time=None,
        best_signature_time=at,
        certificate_chain=(),
        revocation=(),
        timestamps=(),
        checks=(Check("budget", CheckOutcome.INDETERMINATE, message),),
    )
    return ValidationReport(
        indication=Indication.INDETERMINATE,
        sub_indication=SubIndication.SIG_CONSTRAINTS_FAILURE,
        qualification=Qualification.NA,
        validation_time=at,
        document=DocumentInfo(
            kind=kind,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            detached=content is not None,
        ),
        signatures=(signature,),
    )


def time_message(seconds: float) -> str:
    """The message of a report whose verification ran out of time."""
    return f"verification exceeded its time budget of {seconds:g} s"


def memory_message(memory_bytes: int | None) -> str:
    """The message of a report whose verification ran out of memory."""
    if memory_bytes is None:
        return "verification ran out of memory"
    return f"verification exceeded its memory budget of {size_text(memory_bytes)}"


def size_text(value: int) -> str:
    """A byte count as people write it: ``1 GiB``, ``384 MiB``."""
    for unit, factor in (("GiB", GiB), ("MiB", 1024 * 1024)):
        if value >= factor:
            return f"{value / factor:g} {unit}"
    return f"{value} bytes"


def validation_time(at: datetime | None) -> datetime:
    """``at``, checked to be timezone-aware, or now."""
    if at is not None and at.tzinfo is None:
        raise ValueError("the validation time must be timezone-aware")
    return at or datetime.now(UTC)


class GuardedVerifier:
    """A verifier in this process whose recursion or memory exhaustion gives a report.

    No time or memory budget: for ``workers=0``, tests and platforms without processes.
    """

    def __init__(self, config: VerifierConfig) -> None:
        self.config = config
        self.online = config.online
        self.verifier = config.build()

    def verify(
        self,
        data: bytes,
        *,
        content: bytes | ContentDigests | None = None,
        at: datetime | None = None,
        content_if_detached: bytes | None = None,
    ) -> ValidationReport:
        """As :meth:`Verifier.verify`."""
        moment = validation_time(at)
        try:
            return self.verifier.verify(
                data, content=content, at=moment, content_if_detached=content_if_detached
            )
        except RecursionError:
            return budget_report(data, content=content, at=moment, message=RECURSION_MESSAGE)
        except MemoryError:
            return budget_report(data, content=content, at=moment, message=memory_message(None))

    async def averify(
        self,
        data: bytes,
        *,
        content: bytes | ContentDigests | None = None,
        at: datetime | None = None,
        content_if_detached: bytes | None = None,
    ) -> ValidationReport:
        """As :meth:`Verifier.averify`, in a thread (the verifier's loop is per thread)."""
        return await asyncio.to_thread(
            self.verify, data, content=content, at=at, content_if_detached=content_if_detached
        )

    def close(self) -> None:
        """Release the verifier's event loops."""
        self.verifier.close()

    def __enter__(self) -> GuardedVerifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = [
    "DEFAULT_MAX_INPUT_BYTES",
    "RECURSION_MESSAGE",
    "GuardedVerifier",
    "SignatureVerifier",
    "VerifierConfig",
    "bounded_verifier",
    "budget_report",
    "memory_message",
    "size_text",
    "time_message",
    "validation_time",
]
