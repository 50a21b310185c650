"""Stopping the background dispatcher does not wait out its poll interval.

Every API process runs one (``docex serve``, and every test that serves the API): an idle
loop sleeping ``poll_interval`` must wake when asked to stop, or each shutdown pays it.
"""

from __future__ import annotations

import time
from dataclasses import replace

from docex.webhooks.dispatcher import dispatching_in_background
from tests.webhooks.conftest import POLICY, Dispatchers

# Far longer than the join in dispatching_in_background (request_timeout + 5 s): a loop
# that is not woken is still asleep when the block ends.
LONG_POLL = 600.0


def test_an_idle_dispatcher_stops_at_once(dispatchers: Dispatchers) -> None:
    dispatcher = dispatchers.make(policy=replace(POLICY, poll_interval=LONG_POLL))
    with dispatching_in_background(dispatcher) as thread:
        # Let the loop find nothing due and go to sleep for its poll interval.
        time.sleep(0.2)
        assert thread.is_alive()
        stopping = time.monotonic()
    assert not thread.is_alive()
    assert time.monotonic() - stopping < POLICY.request_timeout + 5
