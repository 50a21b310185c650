"""The administrative commands leave their entries in the audit trail, as an operator
exporting it sees them."""

from __future__ import annotations

import getpass
import json
import re
from datetime import UTC, datetime

from docex.cli.exit_codes import ExitCode
from tests.cli.conftest import Docex

RNOKPP = "3012345678"


def test_admin_commands_are_audited_in_order(docex: Docex) -> None:
    steps = [
        ("facility", "add", "--edrpou", "12345678", "--name", "Clinic"),
        ("employee", "add", "--facility", "12345678", "--rnokpp", RNOKPP, "--name", "A B"),
        ("token", "issue", "--facility", "12345678", "--label", "система лікарні"),
        ("token", "issue", "--auditor"),
        ("employee", "deactivate", "--facility", "12345678", "--rnokpp", RNOKPP),
        ("facility", "deactivate", "12345678"),
    ]
    outputs = []
    for step in steps:
        result = docex(*step)
        assert result.exit_code == ExitCode.OK, result.output
        outputs.append(result)
    token_id = re.search(r"issued token (\d+)", outputs[2].stderr)
    assert token_id is not None
    revoked = docex("token", "revoke", token_id.group(1))
    assert revoked.exit_code == ExitCode.OK, revoked.output
    # Listing changes nothing and records nothing.
    assert docex("facility", "list", "--all").exit_code == ExitCode.OK

    exported = docex("audit", "export")
    assert exported.exit_code == ExitCode.OK, exported.output
    entries = [json.loads(line) for line in exported.stdout.splitlines()]
    assert [(e["action"], e["actor_kind"]) for e in entries] == [
        ("facility.add", "system"),
        ("employee.add", "system"),
        ("token.issue", "system"),
        ("token.issue", "system"),
        ("employee.deactivate", "system"),
        ("facility.deactivate", "system"),
        ("token.revoke", "system"),
    ]
    assert entries[2]["details"]["role"] == "facility"
    operator = f"cli:{getpass.getuser()}"
    assert {e["details"]["operator"] for e in entries} == {operator}
    auditor = dict(entries[3]["details"])
    assert datetime.fromisoformat(auditor.pop("expires_at")) > datetime.now(UTC)
    assert auditor == {"operator": operator, "role": "auditor", "facility_edrpou": None}
    assert entries[6]["target_id"] == token_id.group(1)
    # Neither the employee's RNOKPP nor a token or its label reaches the log.
    assert RNOKPP not in exported.stdout
    assert outputs[2].stdout.strip() not in exported.stdout
    assert "лікарні" not in exported.stdout
    verified = docex("audit", "verify")
    # Every entry is docex's own (the operator at the command line): one chain.
    assert verified.stdout.startswith("audit chain intact: 7 entries in 1 chain; head hash ")
