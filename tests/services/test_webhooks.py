"""A facility registering and removing its webhook: both audited, the URL's host only."""

from __future__ import annotations

import pytest

from docex.audit import actions
from docex.composition import Container
from docex.domain import ActorKind, Outcome
from docex.errors import InputError, NotFoundError, PermissionDeniedError
from docex.outbound.policy import OutboundPolicy
from docex.services import webhooks
from docex.webhooks.url_policy import WebhookUrlPolicy
from tests.services.conftest import Parties, audit_entries

URL = "https://mis.example.org/hooks/docex?key=facility-own-secret"
STRICT = WebhookUrlPolicy()
"""Production's policy: HTTPS to public hosts only."""


def test_register_and_delete_are_audited(runtime: Container, parties: Parties) -> None:
    registered = webhooks.register(
        sessions=runtime.sessions, url_policy=STRICT, principal=parties.a, url=URL
    )
    again = webhooks.register(
        sessions=runtime.sessions, url_policy=STRICT, principal=parties.a, url=URL
    )
    webhooks.delete(sessions=runtime.sessions, principal=parties.a)

    entries = audit_entries(runtime.sessions, actions.WEBHOOK_REGISTER)
    assert [(e.actor_kind, e.actor_token_id, e.actor_facility_id) for e in entries] == [
        (ActorKind.FACILITY, parties.a.token_id, parties.a.facility_id)
    ] * 2
    assert [(e.target_type, e.target_id) for e in entries] == [
        ("webhook", str(registered.record.id)),
        ("webhook", str(again.record.id)),
    ]
    assert [e.details for e in entries] == [{"host": "mis.example.org"}] * 2
    (deleted,) = audit_entries(runtime.sessions, actions.WEBHOOK_DELETE)
    assert (deleted.actor_token_id, deleted.target_id) == (
        parties.a.token_id,
        str(registered.record.id),
    )
    for entry in [*entries, deleted]:
        assert registered.secret not in str(entry.details)
        assert "facility-own-secret" not in str(entry.details)


def test_refusals_are_audited_as_refused(runtime: Container, parties: Parties) -> None:
    with pytest.raises(PermissionDeniedError, match=r"^webhooks belong to facilities"):
        webhooks.register(
            sessions=runtime.sessions, url_policy=STRICT, principal=parties.auditor, url=URL
        )
    with pytest.raises(InputError, match=r"^the webhook URL must start with https://$"):
        webhooks.register(
            sessions=runtime.sessions,
            url_policy=STRICT,
            principal=parties.a,
            url="ftp://mis.example.org/",
        )
    with pytest.raises(NotFoundError, match=r"^no webhook is registered for this facility$"):
        webhooks.delete(sessions=runtime.sessions, principal=parties.b)
    by_auditor, by_scheme = audit_entries(runtime.sessions, actions.WEBHOOK_REGISTER)
    assert (by_auditor.outcome, by_auditor.actor_token_id, by_auditor.details) == (
        Outcome.REFUSED,
        parties.auditor.token_id,
        {
            "host": "mis.example.org",
            "code": "forbidden",
            "reason": "webhooks belong to facilities; an auditor has none",
        },
    )
    assert (by_scheme.outcome, by_scheme.actor_token_id, by_scheme.details) == (
        Outcome.REFUSED,
        parties.a.token_id,
        {
            "host": "mis.example.org",
            "code": "input",
            "reason": "the webhook URL must start with https://",
        },
    )
    (nothing_to_delete,) = audit_entries(runtime.sessions, actions.WEBHOOK_DELETE)
    assert (nothing_to_delete.outcome, nothing_to_delete.actor_token_id) == (
        Outcome.REFUSED,
        parties.b.token_id,
    )
    assert nothing_to_delete.details == {
        "code": "not-found",
        "reason": "no webhook is registered for this facility",
    }
    for entry in (by_auditor, by_scheme):
        assert "facility-own-secret" not in str(entry.details)


def test_the_policy_passed_in_decides_which_urls_are_accepted(
    runtime: Container, parties: Parties
) -> None:
    local = "http://127.0.0.1:8080/hooks"
    with pytest.raises(InputError, match=r"^the webhook URL must start with https://$"):
        webhooks.register(
            sessions=runtime.sessions, url_policy=STRICT, principal=parties.a, url=local
        )
    development = WebhookUrlPolicy(
        outbound=OutboundPolicy(allowed_hosts=frozenset({"127.0.0.1"}), allow_plain_http=True)
    )
    registered = webhooks.register(
        sessions=runtime.sessions, url_policy=development, principal=parties.a, url=local
    )
    assert registered.record.url == local
    assert webhooks.get(sessions=runtime.sessions, principal=parties.a).url == local
