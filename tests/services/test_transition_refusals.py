"""Refused state transitions leave one ``outcome=refused`` entry each: a second take, a
release by the wrong facility, an early or repeated ack, and a refused signed receipt,
whose entry carries the SHA-256 of the bytes refused."""

from __future__ import annotations

import hashlib
import io
import uuid
from typing import Any

import pytest

from docex.audit import actions
from docex.composition import Container
from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.domain import ActorKind, DocumentKind, Outcome
from docex.errors import PermissionDeniedError, TransitionError
from docex.registry.records import Principal
from docex.services import deliveries, referrals
from docex.services.documents import open_content
from docex.services.submission import Submission, submit_document
from tests import signed_content
from tests.services.conftest import FACILITY_B, Parties, audit_entries, send_result_to_a


def _refer_to_b(runtime: Container, parties: Parties, pki: DevPki) -> uuid.UUID:
    content = signed_content.referral(
        pki, "doctor-rsa", patient="3333333333", performer=FACILITY_B, service_code="K-01"
    )
    signed = sign_cades(pki, content, signer="doctor-rsa", level="B-LT", detached=False)
    result = submit_document(
        runtime,
        principal=parties.a,
        submission=Submission(signed=io.BytesIO(signed), kind=DocumentKind.REFERRAL),
    )
    assert result.referral is not None
    return result.referral.id


def _refused(runtime: Container, action: str) -> list[tuple[str | None, int | None, Any]]:
    return [
        (e.target_id, e.actor_token_id, e.details)
        for e in audit_entries(runtime.sessions, action)
        if e.outcome is Outcome.REFUSED
    ]


def test_a_second_take_and_a_wrong_release_are_recorded_as_refused(
    runtime: Container, parties: Parties, pki: DevPki
) -> None:
    referral_id = _refer_to_b(runtime, parties, pki)

    def take(principal: Principal) -> None:
        referrals.take(
            sessions=runtime.sessions,
            events=runtime.events,
            principal=principal,
            referral_id=referral_id,
        )

    take(parties.b)
    with pytest.raises(TransitionError) as again:
        take(parties.b)
    with pytest.raises(TransitionError, match=r"^only the facility working on the referral"):
        referrals.release(
            sessions=runtime.sessions,
            events=runtime.events,
            principal=parties.a,
            referral_id=referral_id,
        )
    with pytest.raises(PermissionDeniedError):
        take(parties.auditor)
    assert _refused(runtime, actions.REFERRAL_TRANSITION) == [
        (
            str(referral_id),
            parties.b.token_id,
            {"transition": "take", "code": "transition", "reason": str(again.value)},
        ),
        (
            str(referral_id),
            parties.a.token_id,
            {
                "transition": "release",
                "code": "transition",
                "reason": "only the facility working on the referral may release it",
            },
        ),
        (
            str(referral_id),
            parties.auditor.token_id,
            {
                "transition": "take",
                "code": "forbidden",
                "reason": "auditors read referrals; only facilities act on them",
            },
        ),
    ]
    # The successful take is still the only transition recorded as done by B.
    done = [
        e
        for e in audit_entries(runtime.sessions, actions.REFERRAL_TRANSITION)
        if e.outcome is Outcome.OK and e.actor_token_id == parties.b.token_id
    ]
    assert [e.details["to"] for e in done] == ["in_progress"]


def test_an_early_and_a_repeated_ack_are_recorded_as_refused(
    runtime: Container, parties: Parties, pki: DevPki
) -> None:
    send_result_to_a(runtime, parties, pki)
    (item,) = deliveries.inbox(sessions=runtime.sessions, principal=parties.a).items

    def ack() -> None:
        deliveries.acknowledge(
            sessions=runtime.sessions,
            events=runtime.events,
            principal=parties.a,
            delivery_id=item.delivery.id,
        )

    with pytest.raises(TransitionError, match=r"^fetch the document before acknowledging it$"):
        ack()
    open_content(runtime, principal=parties.a, document_id=item.document.id).body.close()
    ack()
    with pytest.raises(TransitionError, match=r"^the delivery is already acknowledged$"):
        ack()
    target = str(item.delivery.id)
    assert _refused(runtime, actions.DELIVERY_ACK) == [
        (
            target,
            parties.a.token_id,
            {"code": "transition", "reason": "fetch the document before acknowledging it"},
        ),
        (
            target,
            parties.a.token_id,
            {"code": "transition", "reason": "the delivery is already acknowledged"},
        ),
    ]
    (done,) = [
        e for e in audit_entries(runtime.sessions, actions.DELIVERY_ACK) if e.outcome is Outcome.OK
    ]
    assert (done.actor_kind, done.target_id) == (ActorKind.FACILITY, target)


def test_an_early_signed_receipt_is_refused_with_the_digest_of_its_bytes(
    runtime: Container, parties: Parties, pki: DevPki
) -> None:
    send_result_to_a(runtime, parties, pki)
    (item,) = deliveries.inbox(sessions=runtime.sessions, principal=parties.a).items
    content = signed_content.task(pki, DocumentKind.RECEIPT, "doctor-rsa", focus=item.document.id)
    receipt = sign_cades(pki, content, signer="doctor-rsa", level="B-LT", detached=False)
    with pytest.raises(TransitionError, match=r"^fetch the document before acknowledging it$"):
        deliveries.acknowledge_with_receipt(
            runtime,
            principal=parties.a,
            delivery_id=item.delivery.id,
            receipt=io.BytesIO(receipt),
        )
    (refused,) = audit_entries(runtime.sessions, actions.DOCUMENT_REFUSE)
    assert (refused.outcome, refused.details["code"], refused.details["kind"]) == (
        Outcome.REFUSED,
        "transition",
        "receipt",
    )
    assert refused.details["sha256"] == hashlib.sha256(receipt).hexdigest()
