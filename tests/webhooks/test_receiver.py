"""The tests' webhook receiver: waiting for deliveries wakes on each one, and times out loudly."""

from __future__ import annotations

import re
import threading
from collections import Counter

import httpx
import pytest

from docex.webhooks.signing import delivery_headers
from tests.webhooks.receiver import running_receiver

SECRET = "whsec_receiver-test"


def _deliver(url: str, event_id: str, secret: str = SECRET) -> httpx.Response:
    body = b'{"event_id":"%s"}' % event_id.encode()
    headers = delivery_headers(
        secret=secret, event_id=event_id, event_type="delivery.created", body=body
    )
    return httpx.post(url, content=body, headers=headers, timeout=10)


def test_wait_returns_when_a_delivery_from_another_thread_is_processed() -> None:
    with running_receiver(SECRET) as receiver:
        answers: list[int] = []

        def deliver() -> None:
            answers.append(_deliver(receiver.url, "e1").status_code)

        # Sent after the wait has begun (most likely), so the wait must be woken by it.
        timer = threading.Timer(0.2, deliver)
        timer.start()
        try:
            receiver.wait_processed(1, timeout=10)
        finally:
            timer.join()
        assert receiver.processed == Counter({"e1": 1})
    assert answers == [200]


def test_wait_that_times_out_says_what_the_receiver_saw() -> None:
    with running_receiver(SECRET) as receiver:
        assert _deliver(receiver.url, "e1", secret="whsec_other").status_code == 401
        expected = (
            f"webhook receiver {receiver.url}: 0 of 1 events processed after 0.2 s "
            "(1 requests, 1 with a bad signature)"
        )
        with pytest.raises(AssertionError, match=re.escape(expected)):
            receiver.wait_processed(1, timeout=0.2)
