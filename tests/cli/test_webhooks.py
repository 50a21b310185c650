"""``docex webhooks dispatch --once``: sends what is due to a real receiver and says so."""

from __future__ import annotations

from collections import Counter

from docex.cli.exit_codes import ExitCode
from docex.registry.facilities import get_facility_by_edrpou
from docex.webhooks.outbox import EventType, enqueue
from docex.webhooks.subscriptions import register_webhook
from tests.cli.conftest import CliEnv, Docex, one_line_error
from tests.webhooks.conftest import DEV_URLS
from tests.webhooks.receiver import running_receiver

FACILITY = "38291045"


def test_dispatch_once_delivers_and_reports(docex: Docex, cli_env: CliEnv) -> None:
    assert docex("facility", "add", "--edrpou", FACILITY, "--name", "КНП №1").exit_code == 0
    with running_receiver() as receiver:
        with cli_env.session() as session:
            facility_id = get_facility_by_edrpou(session, edrpou=FACILITY).id
            registered = register_webhook(
                session,
                facility_id=facility_id,
                url=receiver.url,
                policy=DEV_URLS,
            )
            events = [
                enqueue(
                    session,
                    facility_id=facility_id,
                    event_type=EventType.REFERRAL_STATUS_CHANGED,
                    payload={"referral_id": f"r-{n}", "status": "completed"},
                )
                for n in range(3)
            ]
        receiver.secret = registered.secret
        result = docex("webhooks", "dispatch", "--once")
        assert result.exit_code == ExitCode.OK, result.output
        assert result.stdout == "webhooks: 3 delivered, 0 to retry, 0 dead\n"
        assert receiver.processed == Counter({str(e.event_id): 1 for e in events if e})
        # Nothing is due any more.
        again = docex("webhooks", "dispatch", "--once")
        assert again.stdout == "webhooks: 0 delivered, 0 to retry, 0 dead\n"
    assert len(receiver.requests) == 3


def test_dispatch_refuses_an_unmigrated_database(docex: Docex, postgres_url: str) -> None:
    result = docex("webhooks", "dispatch", "--once")
    assert result.exit_code == ExitCode.ERROR
    assert "docex db upgrade" in one_line_error(result)
