"""Two examination results answering one referral at the same moment, on PostgreSQL.

Each submission inserts its document, whose foreign key to the referral's document takes
a KEY SHARE lock on that row, and then locks the row to change the referral's state. Had
that second lock been FOR UPDATE, which conflicts with KEY SHARE, each would wait for the
other's first lock: a deadlock, which PostgreSQL breaks by failing one of them. The test
holds both submissions right after their insert until both have made it, the order in
which the deadlock happens, and wants what the domain says: one result completes the
referral, the other is refused as a transition the referral no longer allows.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from docex.db.documents import Document
from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from tests.api.conftest import Api
from tests.api.parties import Parties


@pytest.fixture
def parties(api: Api, pki: DevPki) -> Iterator[Parties]:
    p = Parties(api, pki)
    yield p
    p.close()


@pytest.mark.parametrize("backend_name", ["postgres-s3"])
def test_two_results_for_one_referral_one_completes_it_the_other_is_refused(
    parties: Parties, api: Api, pki: DevPki
) -> None:
    doc = parties.refer(recipient_edrpou="40123457")
    referral_id = doc["referral"]["id"]
    assert parties.b.post(f"/api/v1/referrals/{referral_id}/take").status_code == 200
    bodies = []
    for text in ("Result one", "Result two"):
        content = parties.content(
            "doctor2-ecdsa", "examination_result", text, answers_document_id=doc["id"]
        )
        bodies.append((sign_cades(pki, content, signer="doctor2-ecdsa", level="B-LT"), content))

    both_inserted = threading.Barrier(2, timeout=30)
    answering = str(doc["id"])

    def hold_after_insert(session: Session, _context: Any) -> None:
        if any(
            isinstance(o, Document) and str(o.answers_document_id) == answering for o in session.new
        ):
            both_inserted.wait()

    def post(body: tuple[bytes, bytes]) -> httpx.Response:
        with api.client("b") as client:
            return client.post(
                "/api/v1/documents",
                files={"file": ("doc.p7s", body[0]), "content": ("doc.json", body[1])},
                data={"kind": "examination_result"},
                timeout=60,
            )

    event.listen(Session, "after_flush", hold_after_insert)
    try:
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(post, bodies))
    finally:
        event.remove(Session, "after_flush", hold_after_insert)

    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
    (refused,) = [a for a in answers if a.status_code == 409]
    assert refused.json()["type"] == "urn:docex:problem:transition", refused.text
    (accepted,) = [a for a in answers if a.status_code == 201]
    state = parties.a.get(f"/api/v1/referrals/{referral_id}").json()
    assert state["status"] == "completed"
    assert state["result_document_id"] == accepted.json()["id"]
