"""The referral use cases called directly: records with EDRPOUs, taking, paging, filters."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from docex.clock import utcnow
from docex.composition import Container
from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.domain import DocumentKind, ReferralPriority, ReferralStatus
from docex.errors import InputError, NotFoundError, PermissionDeniedError, TransitionError
from docex.services import referrals
from docex.services.referral_records import ReferralRecord, ReferralView
from docex.services.submission import Submission, submit_document
from tests import signed_content
from tests.services.conftest import FACILITY_A, FACILITY_B, Parties

PATIENT = "3333333333"


def _refer(
    runtime: Container, parties: Parties, pki: DevPki, *, to: str | None, code: str = "K-01"
) -> ReferralRecord:
    """A issues a referral (signed by its doctor), addressed to ``to`` or to nobody."""
    content = signed_content.referral(
        pki, "doctor-rsa", patient=PATIENT, performer=to, service_code=code
    )
    signed = sign_cades(pki, content, signer="doctor-rsa", level="B-LT", detached=False)
    result = submit_document(
        runtime,
        principal=parties.a,
        submission=Submission(signed=io.BytesIO(signed), kind=DocumentKind.REFERRAL),
    )
    assert result.referral is not None
    return result.referral


def _steps(view: ReferralView) -> list[tuple[str | None, str, str | None]]:
    return [
        (None if t.from_status is None else t.from_status.value, t.to_status.value, t.actor_edrpou)
        for t in view.history
    ]


def test_a_submitted_referral_comes_back_as_a_frozen_record(
    runtime: Container, parties: Parties, pki: DevPki
) -> None:
    record = _refer(runtime, parties, pki, to=FACILITY_B)
    assert isinstance(record, ReferralRecord)
    assert (record.issuer_edrpou, record.performer_edrpou, record.taken_by_edrpou) == (
        FACILITY_A,
        FACILITY_B,
        None,
    )
    assert (record.status, record.priority, record.service_code) == (
        ReferralStatus.ACTIVE,
        ReferralPriority.ROUTINE,
        "K-01",
    )
    assert record.valid_until.tzinfo is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.status = ReferralStatus.COMPLETED  # type: ignore[misc]
    # What the submission returned is what a later read finds.
    view = referrals.get_referral(
        sessions=runtime.sessions, principal=parties.b, referral_id=record.id
    )
    assert view.referral == record
    assert _steps(view) == [(None, "active", FACILITY_A)]


def test_take_and_release_name_the_performer_by_edrpou(
    runtime: Container, parties: Parties, pki: DevPki
) -> None:
    record = _refer(runtime, parties, pki, to=FACILITY_B)
    taken = referrals.take(
        sessions=runtime.sessions, events=runtime.events, principal=parties.b, referral_id=record.id
    )
    assert (taken.referral.status, taken.referral.taken_by_edrpou) == (
        ReferralStatus.IN_PROGRESS,
        FACILITY_B,
    )
    assert _steps(taken) == [(None, "active", FACILITY_A), ("active", "in_progress", FACILITY_B)]
    assert taken.history[-1].reason == "taken by the performer"
    with pytest.raises(TransitionError, match="only the facility working on the referral"):
        referrals.release(
            sessions=runtime.sessions,
            events=runtime.events,
            principal=parties.a,
            referral_id=record.id,
        )
    released = referrals.release(
        sessions=runtime.sessions, events=runtime.events, principal=parties.b, referral_id=record.id
    )
    assert (released.referral.status, released.referral.taken_by_edrpou) == (
        ReferralStatus.ACTIVE,
        None,
    )
    assert _steps(released)[-1] == ("in_progress", "active", FACILITY_B)


def test_an_unaddressed_referral_is_taken_by_requisition_number_only(
    runtime: Container, parties: Parties, pki: DevPki
) -> None:
    record = _refer(runtime, parties, pki, to=None)
    with pytest.raises(NotFoundError, match="addressed to this facility"):
        referrals.take(
            sessions=runtime.sessions,
            events=runtime.events,
            principal=parties.b,
            referral_id=record.id,
        )
    with pytest.raises(NotFoundError, match=f"no referral {record.id}"):
        referrals.get_referral(
            sessions=runtime.sessions, principal=parties.b, referral_id=record.id
        )
    taken = referrals.take(
        sessions=runtime.sessions,
        events=runtime.events,
        principal=parties.b,
        requisition_number=record.requisition_number,
        patient_ref=PATIENT,
    )
    assert (taken.referral.performer_edrpou, taken.referral.taken_by_edrpou) == (None, FACILITY_B)
    with pytest.raises(PermissionDeniedError, match="only facilities act on them"):
        referrals.take(
            sessions=runtime.sessions,
            events=runtime.events,
            principal=parties.auditor,
            referral_id=record.id,
        )


def test_expiry_is_a_step_without_an_actor(
    runtime: Container, parties: Parties, pki: DevPki
) -> None:
    record = _refer(runtime, parties, pki, to=FACILITY_B)
    later = record.valid_until + timedelta(seconds=1)
    early = record.valid_until - timedelta(seconds=1)
    assert (
        referrals.expire_referrals(sessions=runtime.sessions, events=runtime.events, now=early)
        == ()
    )
    (recalled,) = referrals.expire_referrals(
        sessions=runtime.sessions, events=runtime.events, now=later
    )
    assert (recalled.id, recalled.status, recalled.issuer_edrpou, recalled.performer_edrpou) == (
        record.id,
        ReferralStatus.RECALLED,
        FACILITY_A,
        FACILITY_B,
    )
    view = referrals.get_referral(
        sessions=runtime.sessions, principal=parties.a, referral_id=record.id
    )
    assert view.referral.status is ReferralStatus.RECALLED
    assert _steps(view)[-1] == ("active", "recalled", None)


@pytest.fixture
def three(runtime: Container, parties: Parties, pki: DevPki) -> list[ReferralRecord]:
    """A's referrals, oldest first: two addressed to B, then one to nobody."""
    return [
        _refer(runtime, parties, pki, to=FACILITY_B, code="K-01"),
        _refer(runtime, parties, pki, to=FACILITY_B, code="K-02"),
        _refer(runtime, parties, pki, to=None, code="K-03"),
    ]


def test_the_listing_pages_by_cursor(
    runtime: Container, parties: Parties, three: list[ReferralRecord]
) -> None:
    first = referrals.list_referrals(sessions=runtime.sessions, principal=parties.a, limit=2)
    assert [r.id for r in first.items] == [three[0].id, three[1].id]
    assert first.next_cursor is not None
    second = referrals.list_referrals(
        sessions=runtime.sessions, principal=parties.a, cursor=first.next_cursor, limit=2
    )
    assert list(second.items) == [three[2]]
    assert second.next_cursor is None
    whole = referrals.list_referrals(sessions=runtime.sessions, principal=parties.a)
    assert list(whole.items) == three
    assert whole.next_cursor is None
    with pytest.raises(InputError, match="invalid cursor"):
        referrals.list_referrals(sessions=runtime.sessions, principal=parties.a, cursor="nonsense")


def test_the_listing_filters_by_edrpou_and_role(
    runtime: Container, parties: Parties, three: list[ReferralRecord]
) -> None:
    def codes(**filters: Any) -> list[str]:
        found = referrals.list_referrals(sessions=runtime.sessions, **filters)
        return [r.service_code for r in found.items]

    auditor = {"principal": parties.auditor}
    assert codes(**auditor) == ["K-01", "K-02", "K-03"]
    assert codes(**auditor, performer_edrpou=FACILITY_B) == ["K-01", "K-02"]
    assert codes(**auditor, issuer_edrpou=FACILITY_A) == ["K-01", "K-02", "K-03"]
    assert codes(**auditor, issuer_edrpou=FACILITY_B) == []
    # A code no facility has matches nothing rather than failing.
    assert codes(**auditor, performer_edrpou="99999999") == []
    # B sees only what is addressed to it; A's issued and performing split its three.
    assert codes(principal=parties.b) == ["K-01", "K-02"]
    assert codes(principal=parties.a, role="issued") == ["K-01", "K-02", "K-03"]
    assert codes(principal=parties.a, role="performing") == []
    assert codes(principal=parties.b, role="performing", status=ReferralStatus.ACTIVE) == [
        "K-01",
        "K-02",
    ]
    with pytest.raises(InputError, match="EDRPOU code must be 8 digits"):
        codes(principal=parties.a, issuer_edrpou="3829")
    with pytest.raises(InputError, match="role must be issued or performing"):
        codes(principal=parties.a, role="watching")


@pytest.fixture
def statements(runtime: Container) -> Iterator[list[str]]:
    """The SQL statements run while the test runs."""
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", note)
    yield seen
    event.remove(runtime.engine, "before_cursor_execute", note)


def test_a_page_with_its_facilities_is_one_query(
    runtime: Container, parties: Parties, three: list[ReferralRecord], statements: list[str]
) -> None:
    page = referrals.list_referrals(sessions=runtime.sessions, principal=parties.auditor)
    assert [r.performer_edrpou for r in page.items] == [FACILITY_B, FACILITY_B, None]
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1, selects
    assert "JOIN facilities" in selects[0]


def test_a_referral_record_does_not_outlive_its_state(
    runtime: Container, parties: Parties, three: list[ReferralRecord]
) -> None:
    # A record is a snapshot: taking the referral changes the next read, not the record.
    before = three[0]
    referrals.take(
        sessions=runtime.sessions, events=runtime.events, principal=parties.b, referral_id=before.id
    )
    assert (before.status, before.taken_by_edrpou) == (ReferralStatus.ACTIVE, None)
    (now,) = referrals.list_referrals(
        sessions=runtime.sessions, principal=parties.b, status=ReferralStatus.IN_PROGRESS
    ).items
    assert (now.id, now.taken_by_edrpou) == (before.id, FACILITY_B)
    assert before.updated_at < now.updated_at <= utcnow()
