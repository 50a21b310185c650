"""The validation report: verdicts as values.

A report is a tree of frozen dataclasses with an explicit ETSI EN 319 102-1 indication at
every level (named as the EU DSS library names them) and a qualification per signature.
``INDETERMINATE`` is neither pass nor fail; nothing here collapses it into a bool.

The JSON form (:meth:`ValidationReport.to_dict`) is a documented, versioned contract:
bump :data:`REPORT_VERSION` on any incompatible change. Its shape is described in
``docs/report.md``.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum, StrEnum
from typing import Any

REPORT_VERSION = "1"

BASELINE_LEVELS = ("B", "T", "LT", "LTA")
"""The ETSI baseline levels (EN 319 122-1 / 319 142-1), lowest first."""


class Indication(StrEnum):
    """The main status of a validation (ETSI EN 319 102-1, clause 5.1.3)."""

    TOTAL_PASSED = "TOTAL_PASSED"
    INDETERMINATE = "INDETERMINATE"
    TOTAL_FAILED = "TOTAL_FAILED"

    @property
    def severity(self) -> int:
        """Order used to pick the worst of several indications."""
        return _INDICATION_SEVERITY[self]


_INDICATION_SEVERITY = {
    Indication.TOTAL_PASSED: 0,
    Indication.INDETERMINATE: 1,
    Indication.TOTAL_FAILED: 2,
}


class SubIndication(StrEnum):
    """Why a validation did not pass (ETSI EN 319 102-1, clause 5.1.3)."""

    # With TOTAL_FAILED.
    FORMAT_FAILURE = "FORMAT_FAILURE"
    HASH_FAILURE = "HASH_FAILURE"
    SIG_CRYPTO_FAILURE = "SIG_CRYPTO_FAILURE"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    # With INDETERMINATE.
    SIG_CONSTRAINTS_FAILURE = "SIG_CONSTRAINTS_FAILURE"
    CHAIN_CONSTRAINTS_FAILURE = "CHAIN_CONSTRAINTS_FAILURE"
    CERTIFICATE_CHAIN_GENERAL_FAILURE = "CERTIFICATE_CHAIN_GENERAL_FAILURE"
    CRYPTO_CONSTRAINTS_FAILURE = "CRYPTO_CONSTRAINTS_FAILURE"
    CRYPTO_CONSTRAINTS_FAILURE_NO_POE = "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"
    NO_SIGNING_CERTIFICATE_FOUND = "NO_SIGNING_CERTIFICATE_FOUND"
    NO_CERTIFICATE_CHAIN_FOUND = "NO_CERTIFICATE_CHAIN_FOUND"
    REVOKED_NO_POE = "REVOKED_NO_POE"
    REVOKED_CA_NO_POE = "REVOKED_CA_NO_POE"
    OUT_OF_BOUNDS_NO_POE = "OUT_OF_BOUNDS_NO_POE"
    OUT_OF_BOUNDS_NOT_REVOKED = "OUT_OF_BOUNDS_NOT_REVOKED"
    REVOCATION_OUT_OF_BOUNDS_NO_POE = "REVOCATION_OUT_OF_BOUNDS_NO_POE"
    TIMESTAMP_ORDER_FAILURE = "TIMESTAMP_ORDER_FAILURE"
    NO_POE = "NO_POE"
    TRY_LATER = "TRY_LATER"
    SIGNED_DATA_NOT_FOUND = "SIGNED_DATA_NOT_FOUND"


class Qualification(StrEnum):
    """Qualification of a signature in the sense of eIDAS and ETSI TS 119 172-4."""

    QESIG = "QESig"
    QESEAL = "QESeal"
    ADESIG_QC = "AdESig-QC"
    ADESEAL_QC = "AdESeal-QC"
    ADESIG = "AdESig"
    ADESEAL = "AdESeal"
    NA = "N/A"

    @property
    def is_qualified(self) -> bool:
        """True for a qualified electronic signature or seal."""
        return self in (Qualification.QESIG, Qualification.QESEAL)

    @property
    def rank(self) -> int:
        """Order used to pick the weakest qualification of several signatures."""
        return _QUALIFICATION_RANK[self]


_QUALIFICATION_RANK = {
    Qualification.NA: 0,
    Qualification.ADESIG: 1,
    Qualification.ADESEAL: 1,
    Qualification.ADESIG_QC: 2,
    Qualification.ADESEAL_QC: 2,
    Qualification.QESIG: 3,
    Qualification.QESEAL: 3,
}


class CheckOutcome(StrEnum):
    """The outcome of one named check."""

    PASSED = "passed"
    FAILED = "failed"
    # The check could not be carried out to a conclusion (missing data, unreachable service).
    INDETERMINATE = "indeterminate"


@dataclass(frozen=True)
class Check:
    """One check made during validation, with a message a person can read."""

    name: str
    outcome: CheckOutcome
    message: str


@dataclass(frozen=True)
class CertificateInfo:
    """A certificate on a validation path, identified by its fingerprint."""

    subject: str
    issuer: str
    serial_number: str
    sha256: str
    not_before: datetime
    not_after: datetime


@dataclass(frozen=True)
class SignerIdentity:
    """Who signed, as the signing certificate's subject says."""

    subject: str
    common_name: str | None
    organization: str | None
    rnokpp: str | None
    """Ukrainian taxpayer number of a natural person (subject ``serialNumber`` ``TINUA-…``)."""
    edrpou: str | None
    """EDRPOU code of a legal person (subject ``organizationIdentifier`` ``NTRUA-…``)."""


@dataclass(frozen=True)
class RevocationEvidence:
    """A piece of revocation data that was used to decide a certificate's status."""

    kind: str
    """``ocsp`` or ``crl``."""
    source: str
    """``embedded`` (in the signature or PDF) or ``fetched`` (online)."""
    issuer: str
    issued_at: datetime
    """OCSP ``producedAt`` or CRL ``thisUpdate``."""
    next_update: datetime | None
    sha256: str


@dataclass(frozen=True)
class TimestampInfo:
    """A time-stamp token and what it proves."""

    kind: str
    """``signature`` (CAdES signature time-stamp), ``content`` or ``document`` (PDF)."""
    time: datetime
    tsa: str
    indication: Indication
    message: str
    sub_indication: SubIndication | None = None
    """Why the token proves nothing, when EN 319 102-1 names it (e.g. an unconfigured TSA)."""
    qualified: bool | None = None
    """A qualified time-stamp (its TSA a granted QTST service at its time); ``None`` when the
    token proves nothing, so that the question does not arise."""
    tsa_service: str | None = None
    """The configured time-stamping service that covers the TSA, and where it is configured."""


@dataclass(frozen=True)
class SignatureReport:
    """The verdict on one signature."""

    id: str
    format: str
    """The signature level found, e.g. ``CAdES-BASELINE-LT`` or ``PAdES-BASELINE-B``.

    A level is claimed only on evidence that holds: a broken time-stamp claims no ``T``.
    ``CMS-NOT-ETSI`` / ``PDF-NOT-ETSI`` (EU DSS's names) for a signature that is not an
    ETSI one at all, such as one without the signing-certificate attribute.
    """
    indication: Indication
    sub_indication: SubIndication | None
    qualification: Qualification
    signer: SignerIdentity | None
    claimed_signing_time: datetime | None
    timestamp_time: datetime | None
    """The earliest time a valid time-stamp proves the signature existed."""
    best_signature_time: datetime
    certificate_chain: tuple[CertificateInfo, ...]
    revocation: tuple[RevocationEvidence, ...]
    timestamps: tuple[TimestampInfo, ...]
    checks: tuple[Check, ...]
    layer: int = 0
    """Which CMS layer of a nested CAdES envelope the signature is in: 0 is the innermost
    (the author's signature over the document), 1 the CMS wrapped around it (a facility's
    seal), and so on; 0 for every PDF signature and every signer of a single CMS."""

    @property
    def baseline_level(self) -> str | None:
        """``B``, ``T``, ``LT`` or ``LTA`` for a baseline signature; None otherwise."""
        _, sep, level = self.format.rpartition("-BASELINE-")
        return level if sep and level in BASELINE_LEVELS else None

    @property
    def message(self) -> str:
        """The reason for the verdict in one line.

        A validation stops at the check that decides a non-passing indication, so that is
        the last check not passed; a passed signature reports its first reservation (such
        as a missing qualification), if any.
        """
        reservations = [c for c in self.checks if c.outcome is not CheckOutcome.PASSED]
        if self.indication is not Indication.TOTAL_PASSED and reservations:
            return reservations[-1].message
        if reservations:
            return reservations[0].message
        return "the signature is valid"


@dataclass(frozen=True)
class DocumentInfo:
    """What was verified."""

    kind: str
    """``cades`` or ``pades``."""
    sha256: str
    size: int
    detached: bool


@dataclass(frozen=True)
class ValidationReport:
    """The verdict on a signed document: the worst of its signatures."""

    indication: Indication
    sub_indication: SubIndication | None
    qualification: Qualification
    validation_time: datetime
    document: DocumentInfo
    signatures: tuple[SignatureReport, ...]
    online: bool = False
    report_version: str = field(default=REPORT_VERSION)

    @property
    def accepted(self) -> bool:
        """True when the document passed and every signature is qualified.

        A shorthand for scripts; what the exchange accepts is decided by an
        :class:`~docex.signatures.policy.AcceptancePolicy`, which asks more (per document
        kind, level, time-stamps).
        """
        return self.indication is Indication.TOTAL_PASSED and self.qualification.is_qualified

    @property
    def message(self) -> str:
        """A one-line reason for the verdict."""
        worst = _worst_signature(self.signatures)
        return worst.message if worst is not None else "no signature found"

    def to_dict(self) -> dict[str, Any]:
        """The versioned JSON-ready form of the report."""
        # Written out rather than walked with dataclasses.fields(): every accepted
        # document stores its report, and the walk cost four times as much CPU. The keys
        # are the fields in declaration order, then the derived message (a test holds
        # the walk as the reference, so a new field cannot be left out).
        return {
            "indication": self.indication.value,
            "sub_indication": _value_or_none(self.sub_indication),
            "qualification": self.qualification.value,
            "validation_time": self.validation_time.isoformat(),
            "document": {
                "kind": self.document.kind,
                "sha256": self.document.sha256,
                "size": self.document.size,
                "detached": self.document.detached,
            },
            "signatures": [_signature_dict(s) for s in self.signatures],
            "online": self.online,
            "report_version": self.report_version,
            "message": self.message,
        }

    def to_json(self, *, indent: int | None = None) -> str:
        """The report as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def __reduce__(self) -> tuple[Any, tuple[tuple[Any, ...]]]:
        """Pickled as its wire form (:func:`report_to_wire`): plain tuples, strings and
        datetimes, which pickle encodes in C, instead of two dozen dataclass and enum
        objects, each reduced in Python. A verification process sends every report it
        makes across a pipe; the caller rebuilds it once (:func:`report_from_wire`)."""
        return (report_from_wire, (report_to_wire(self),))

    @classmethod
    def from_dict(cls, data: Any) -> ValidationReport:
        """The report whose :meth:`to_dict` form ``data`` is (a stored report, read back).

        Strict: every field must be present with its type, except those with a default;
        the derived ``message`` keys are ignored (they follow from the rest).

        :raises ValueError: ``data`` is not a report of :data:`REPORT_VERSION`.
        """
        if not isinstance(data, dict):
            raise ValueError("a validation report is a JSON object")
        version = data.get("report_version", REPORT_VERSION)
        if version != REPORT_VERSION:
            raise ValueError(f"report version {version!r} is not {REPORT_VERSION!r}")
        report: ValidationReport = _from_jsonable(cls, data, "report")
        return report


# -- the wire form: the report as nested tuples of plain values --------------------------
#
# Each dataclass becomes the tuple of its fields in declaration order (so that the class
# rebuilds it positionally), an enum its value, a nested dataclass its own tuple. It is
# not a stored or published format: both ends are this module, in one installation.

Wire = tuple[Any, ...]


def report_to_wire(report: ValidationReport) -> Wire:
    """``report`` as nested tuples of strings, numbers, booleans, ``None`` and datetimes."""
    return (
        report.indication.value,
        _value_or_none(report.sub_indication),
        report.qualification.value,
        _time_to_wire(report.validation_time),
        _document_to_wire(report.document),
        tuple(_signature_to_wire(s) for s in report.signatures),
        report.online,
        report.report_version,
    )


def report_from_wire(wire: Wire) -> ValidationReport:
    """The report whose :func:`report_to_wire` form ``wire`` is (equal field for field)."""
    (indication, sub, qualification, moment, document, signatures, online, version) = wire
    return ValidationReport(
        indication=_INDICATIONS[indication],
        sub_indication=None if sub is None else _SUB_INDICATIONS[sub],
        qualification=_QUALIFICATIONS[qualification],
        validation_time=_required_time_from_wire(moment),
        document=DocumentInfo(*document),
        signatures=tuple(_signature_from_wire(s) for s in signatures),
        online=online,
        report_version=version,
    )


def _time_to_wire(moment: datetime | None) -> datetime | int | None:
    # Pickle reduces every datetime (and its time zone) in a call of its own, the most
    # costly part of a report's pickling; a UTC time travels as its microseconds since
    # the epoch, an int, exactly. Any other zone is sent as it is.
    if moment is not None and moment.tzinfo is UTC:
        return (moment - _EPOCH) // _MICROSECOND
    return moment


def _time_from_wire(value: datetime | int | None) -> datetime | None:
    if isinstance(value, int):
        return _EPOCH + timedelta(microseconds=value)
    return value


def _required_time_from_wire(value: datetime | int) -> datetime:
    if isinstance(value, int):
        return _EPOCH + timedelta(microseconds=value)
    return value


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_INDICATIONS = {member.value: member for member in Indication}
_SUB_INDICATIONS = {member.value: member for member in SubIndication}
_QUALIFICATIONS = {member.value: member for member in Qualification}
_OUTCOMES = {member.value: member for member in CheckOutcome}


def _value_or_none(member: Enum | None) -> Any:
    return None if member is None else member.value


def _document_to_wire(d: DocumentInfo) -> Wire:
    return (d.kind, d.sha256, d.size, d.detached)


def _signature_to_wire(s: SignatureReport) -> Wire:
    signer = s.signer
    return (
        s.id,
        s.format,
        s.indication.value,
        _value_or_none(s.sub_indication),
        s.qualification.value,
        None
        if signer is None
        else (
            signer.subject,
            signer.common_name,
            signer.organization,
            signer.rnokpp,
            signer.edrpou,
        ),
        _time_to_wire(s.claimed_signing_time),
        _time_to_wire(s.timestamp_time),
        _time_to_wire(s.best_signature_time),
        tuple(
            (
                c.subject,
                c.issuer,
                c.serial_number,
                c.sha256,
                _time_to_wire(c.not_before),
                _time_to_wire(c.not_after),
            )
            for c in s.certificate_chain
        ),
        tuple(
            (
                r.kind,
                r.source,
                r.issuer,
                _time_to_wire(r.issued_at),
                _time_to_wire(r.next_update),
                r.sha256,
            )
            for r in s.revocation
        ),
        tuple(
            (
                t.kind,
                _time_to_wire(t.time),
                t.tsa,
                t.indication.value,
                t.message,
                _value_or_none(t.sub_indication),
                t.qualified,
                t.tsa_service,
            )
            for t in s.timestamps
        ),
        tuple((c.name, c.outcome.value, c.message) for c in s.checks),
        s.layer,
    )


def _signature_from_wire(wire: Wire) -> SignatureReport:
    (
        id_,
        format_,
        indication,
        sub,
        qualification,
        signer,
        claimed,
        timestamp_time,
        best,
        chain,
        revocation,
        timestamps,
        checks,
        layer,
    ) = wire
    return SignatureReport(
        id=id_,
        format=format_,
        indication=_INDICATIONS[indication],
        sub_indication=None if sub is None else _SUB_INDICATIONS[sub],
        qualification=_QUALIFICATIONS[qualification],
        signer=None if signer is None else SignerIdentity(*signer),
        claimed_signing_time=_time_from_wire(claimed),
        timestamp_time=_time_from_wire(timestamp_time),
        best_signature_time=_required_time_from_wire(best),
        certificate_chain=tuple(
            CertificateInfo(
                subject,
                issuer,
                serial,
                sha256,
                _required_time_from_wire(not_before),
                _required_time_from_wire(not_after),
            )
            for subject, issuer, serial, sha256, not_before, not_after in chain
        ),
        revocation=tuple(
            RevocationEvidence(
                kind,
                source,
                issuer,
                _required_time_from_wire(issued_at),
                _time_from_wire(next_update),
                sha256,
            )
            for kind, source, issuer, issued_at, next_update, sha256 in revocation
        ),
        timestamps=tuple(
            TimestampInfo(
                kind,
                _required_time_from_wire(moment),
                tsa,
                _INDICATIONS[ts_indication],
                message,
                None if ts_sub is None else _SUB_INDICATIONS[ts_sub],
                qualified,
                service,
            )
            for (
                kind,
                moment,
                tsa,
                ts_indication,
                message,
                ts_sub,
                qualified,
                service,
            ) in timestamps
        ),
        checks=tuple(Check(name, _OUTCOMES[outcome], message) for name, outcome, message in checks),
        layer=layer,
    )


def _worst_signature(signatures: Iterable[SignatureReport]) -> SignatureReport | None:
    ordered = sorted(signatures, key=lambda s: (-s.indication.severity, s.qualification.rank))
    return ordered[0] if ordered else None


def summarize(
    signatures: Iterable[SignatureReport],
) -> tuple[Indication, SubIndication | None, Qualification]:
    """The top-level verdict of several signatures: the worst indication and qualification."""
    sigs = tuple(signatures)
    if not sigs:
        return Indication.TOTAL_FAILED, SubIndication.FORMAT_FAILURE, Qualification.NA
    worst = max(sigs, key=lambda s: s.indication.severity)
    weakest = min((s.qualification for s in sigs), key=lambda q: q.rank)
    return worst.indication, worst.sub_indication, weakest


_DERIVED_KEYS = frozenset({"message"})


def _from_jsonable(kind: Any, value: Any, where: str) -> Any:
    """``value`` (JSON) read as ``kind`` (a type hint of this module's dataclasses)."""
    origin = typing.get_origin(kind)
    if origin in (types.UnionType, typing.Union):
        options = typing.get_args(kind)
        if value is None and type(None) in options:
            return None
        (inner,) = (o for o in options if o is not type(None))
        return _from_jsonable(inner, value, where)
    if origin is tuple:
        item = typing.get_args(kind)[0]
        if not isinstance(value, list):
            raise ValueError(f"{where} is not a list")
        return tuple(_from_jsonable(item, v, f"{where}[{i}]") for i, v in enumerate(value))
    if isinstance(kind, type) and is_dataclass(kind):
        if not isinstance(value, dict):
            raise ValueError(f"{where} is not an object")
        hints = typing.get_type_hints(kind)
        known = {f.name for f in fields(kind)}
        unknown = set(value) - known - _DERIVED_KEYS
        if unknown:
            raise ValueError(f"{where} has unknown fields {sorted(unknown)}")
        args = {
            f.name: _from_jsonable(hints[f.name], value[f.name], f"{where}.{f.name}")
            for f in fields(kind)
            if f.name in value
        }
        try:
            return kind(**args)
        except TypeError as exc:
            raise ValueError(f"{where} lacks a field: {exc}") from exc
    if isinstance(kind, type) and issubclass(kind, Enum):
        try:
            return kind(value)
        except ValueError as exc:
            raise ValueError(f"{where}: {value!r} is not a {kind.__name__}") from exc
    if kind is datetime:
        if not isinstance(value, str):
            raise ValueError(f"{where} is not a time")
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError(f"{where} has no time zone")
        return moment
    if kind is bool or kind is int or kind is str:
        # bool is an int in Python; a JSON true is not a size, nor 1 a boolean.
        if type(value) is not kind:
            raise ValueError(f"{where} is not a {kind.__name__}")
        return value
    raise ValueError(f"{where}: cannot read a {kind!r}")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _signature_dict(s: SignatureReport) -> dict[str, Any]:
    signer = s.signer
    return {
        "id": s.id,
        "format": s.format,
        "indication": s.indication.value,
        "sub_indication": _value_or_none(s.sub_indication),
        "qualification": s.qualification.value,
        "signer": None
        if signer is None
        else {
            "subject": signer.subject,
            "common_name": signer.common_name,
            "organization": signer.organization,
            "rnokpp": signer.rnokpp,
            "edrpou": signer.edrpou,
        },
        "claimed_signing_time": _iso(s.claimed_signing_time),
        "timestamp_time": _iso(s.timestamp_time),
        "best_signature_time": s.best_signature_time.isoformat(),
        "certificate_chain": [
            {
                "subject": c.subject,
                "issuer": c.issuer,
                "serial_number": c.serial_number,
                "sha256": c.sha256,
                "not_before": c.not_before.isoformat(),
                "not_after": c.not_after.isoformat(),
            }
            for c in s.certificate_chain
        ],
        "revocation": [
            {
                "kind": r.kind,
                "source": r.source,
                "issuer": r.issuer,
                "issued_at": r.issued_at.isoformat(),
                "next_update": _iso(r.next_update),
                "sha256": r.sha256,
            }
            for r in s.revocation
        ],
        "timestamps": [
            {
                "kind": t.kind,
                "time": t.time.isoformat(),
                "tsa": t.tsa,
                "indication": t.indication.value,
                "message": t.message,
                "sub_indication": _value_or_none(t.sub_indication),
                "qualified": t.qualified,
                "tsa_service": t.tsa_service,
            }
            for t in s.timestamps
        ],
        "checks": [
            {"name": c.name, "outcome": c.outcome.value, "message": c.message} for c in s.checks
        ],
        "layer": s.layer,
        "message": s.message,
    }
