"""A facility's webhook registration: register, replace, read, delete."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from docex.db import unit_of_work
from docex.db.webhooks import WebhookSubscription
from docex.errors import ConflictError, InputError, NotFoundError
from docex.registry import deactivate_facility
from docex.webhooks.subscriptions import delete_webhook, get_webhook, register_webhook
from docex.webhooks.url_policy import WebhookUrlPolicy

STRICT = WebhookUrlPolicy()


def test_register_shows_the_secret_once_and_stores_it(
    sessions: sessionmaker[Session], facility_id: int
) -> None:
    url = "https://mis.example.ua/hooks"
    with unit_of_work(sessions) as session:
        registered = register_webhook(session, facility_id=facility_id, url=url, policy=STRICT)
    assert registered.secret.startswith("whsec_")
    assert registered.secret not in repr(registered)
    with unit_of_work(sessions) as session:
        record = get_webhook(session, facility_id=facility_id)
        stored = session.scalar(select(WebhookSubscription.secret))
    assert record.url == url
    assert record.active
    assert not hasattr(record, "secret")
    assert stored == registered.secret


def test_registering_again_replaces_url_and_secret(
    sessions: sessionmaker[Session], facility_id: int
) -> None:
    with unit_of_work(sessions) as session:
        first = register_webhook(
            session, facility_id=facility_id, url="https://a.example.ua/h", policy=STRICT
        )
    with unit_of_work(sessions) as session:
        second = register_webhook(
            session, facility_id=facility_id, url="https://b.example.ua/h", policy=STRICT
        )
    assert second.secret != first.secret
    assert second.record.id == first.record.id
    with unit_of_work(sessions) as session:
        assert get_webhook(session, facility_id=facility_id).url == "https://b.example.ua/h"


def test_delete_then_get_is_not_found(sessions: sessionmaker[Session], facility_id: int) -> None:
    with unit_of_work(sessions) as session:
        register_webhook(
            session, facility_id=facility_id, url="https://a.example.ua/h", policy=STRICT
        )
    with unit_of_work(sessions) as session:
        delete_webhook(session, facility_id=facility_id)
    with unit_of_work(sessions) as session, pytest.raises(NotFoundError):
        get_webhook(session, facility_id=facility_id)
    with unit_of_work(sessions) as session, pytest.raises(NotFoundError):
        delete_webhook(session, facility_id=facility_id)


def test_refused_for_unknown_or_inactive_facility_or_bad_url(
    sessions: sessionmaker[Session], facility_id: int
) -> None:
    with unit_of_work(sessions) as session, pytest.raises(NotFoundError):
        register_webhook(session, facility_id=999_999, url="https://a.example.ua/h", policy=STRICT)
    with unit_of_work(sessions) as session, pytest.raises(InputError):
        register_webhook(session, facility_id=facility_id, url="http://a.example.ua", policy=STRICT)
    with unit_of_work(sessions) as session:
        deactivate_facility(session, facility_id=facility_id)
    with unit_of_work(sessions) as session, pytest.raises(ConflictError, match="inactive"):
        register_webhook(
            session, facility_id=facility_id, url="https://a.example.ua/h", policy=STRICT
        )
