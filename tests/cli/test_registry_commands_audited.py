"""Every command that changes who may do what leaves exactly one audit entry per change.

The walk runs each registry command of ``docex`` against a fresh database, compares the
registry tables before and after, and asserts that a change came with exactly one new
entry of the right action (``outcome=ok``, the operator named), a refusal with exactly one
refused entry and no change, and a read with neither. Every command of the application is
classified below: a new command fails :func:`test_every_command_is_classified` until it is,
and a registry command fails :func:`test_every_registry_command_is_walked` until the walk
runs it.
"""

from __future__ import annotations

import getpass
import json
import re
from dataclasses import dataclass
from typing import Any

import click
from sqlalchemy import select, text

from docex.audit import actions
from docex.cli.exit_codes import ExitCode
from docex.cli.main import app
from docex.db.schema import metadata
from tests.cli.commands import walk
from tests.cli.conftest import CliEnv, Docex

REGISTRY_TABLES = ("facilities", "employees", "api_tokens", "webhook_subscriptions")

CHANGES_REGISTRY = frozenset(
    {
        "facility add",
        "facility deactivate",
        "employee add",
        "employee deactivate",
        "token issue",
        "token rotate",
        "token revoke",
        "demo-seed",
    }
)
READS_REGISTRY = frozenset({"facility list", "employee list", "token list"})
# Commands that do not change the registry: documents, routing, storage, the audit log
# itself, the schema, the development PKI. Webhook subscriptions change only through the
# API (``PUT``/``DELETE /v1/webhook``), audited in docex.services.webhooks.
ELSEWHERE = frozenset(
    {
        "verify",
        "serve",
        "dev-pki",
        "db upgrade",
        # Database privileges of the deployment's roles, run as the database owner at
        # deployment time: not a change of the registry's tokens, facilities or employees.
        "db grant",
        "db current",
        "sign referral",
        "sign result",
        "sign recall",
        "sign cancel",
        "sign receipt",
        "sign manifest",
        "sign file",
        "storage reconcile",
        "referrals expire",
        "webhooks dispatch",
        "audit verify",
        "audit checkpoint",
        "audit export",
    }
)

FACILITY, OTHER = "12345678", "87654321"
RNOKPP = "3012345678"


def _commands() -> set[str]:
    # The leaves: the commands that run, not the groups that hold them.
    return {" ".join(path) for path, command in walk(app) if not isinstance(command, click.Group)}


def test_every_command_is_classified() -> None:
    commands = _commands()
    assert commands == CHANGES_REGISTRY | READS_REGISTRY | ELSEWHERE


@dataclass(frozen=True)
class Step:
    """One command, and the audit entry it must add (``None``: a read adds none)."""

    args: tuple[str, ...]
    action: str | None = None
    refused: bool = False

    @property
    def command(self) -> str:
        return " ".join(a for a in self.args[:2] if not a.startswith("-") and not a.isdigit())


def _walk(token_id: str, successor_hint: str) -> list[Step]:
    return [
        Step(("facility", "add", "--edrpou", FACILITY, "--name", "Clinic"), actions.FACILITY_ADD),
        Step(("facility", "add", "--edrpou", OTHER, "--name", "Other"), actions.FACILITY_ADD),
        Step(
            ("facility", "add", "--edrpou", FACILITY, "--name", "Twice"),
            actions.FACILITY_ADD,
            refused=True,
        ),
        Step(("facility", "list", "--all")),
        Step(
            ("employee", "add", "--facility", FACILITY, "--rnokpp", RNOKPP, "--name", "A B"),
            actions.EMPLOYEE_ADD,
        ),
        Step(
            ("employee", "add", "--facility", "00000000", "--rnokpp", RNOKPP, "--name", "A B"),
            actions.EMPLOYEE_ADD,
            refused=True,
        ),
        Step(("employee", "list", "--all")),
        Step(
            ("token", "issue", "--facility", FACILITY, "--expires-in", "30"),
            actions.TOKEN_ISSUE,
        ),
        Step(("token", "issue", "--auditor"), actions.TOKEN_ISSUE),
        Step(("token", "rotate", token_id), actions.TOKEN_ROTATE),
        Step(("token", "list", "--all")),
        Step(("token", "revoke", successor_hint), actions.TOKEN_REVOKE),
        Step(("token", "rotate", successor_hint), actions.TOKEN_ROTATE, refused=True),
        Step(("token", "revoke", "999"), actions.TOKEN_REVOKE, refused=True),
        Step(
            ("employee", "deactivate", "--facility", FACILITY, "--rnokpp", RNOKPP),
            actions.EMPLOYEE_DEACTIVATE,
        ),
        # Deactivating twice changes nothing, so it records nothing.
        Step(("employee", "deactivate", "--facility", FACILITY, "--rnokpp", RNOKPP)),
        Step(("facility", "deactivate", OTHER), actions.FACILITY_DEACTIVATE),
        Step(("facility", "deactivate", "11111111"), actions.FACILITY_DEACTIVATE, refused=True),
    ]


def _registry(cli_env: CliEnv) -> dict[str, list[tuple[Any, ...]]]:
    with cli_env.session() as session:
        return {
            name: [tuple(row) for row in session.execute(select(table).order_by(table.c.id))]
            for name, table in ((n, metadata.tables[n]) for n in REGISTRY_TABLES)
        }


def _audit(cli_env: CliEnv) -> list[dict[str, Any]]:
    with cli_env.session() as session:
        rows = session.execute(
            text("SELECT action, outcome, actor_kind, details FROM audit_entries ORDER BY id")
        ).mappings()
        return [dict(row) for row in rows]


def test_every_registry_command_is_walked() -> None:
    walked = {step.command for step in _walk("1", "3")}
    assert walked == (CHANGES_REGISTRY | READS_REGISTRY) - {"demo-seed"}


def test_each_change_leaves_exactly_one_entry_of_its_action(docex: Docex, cli_env: CliEnv) -> None:
    # Tokens are numbered in the order the walk issues them: 1 for the facility, 2 for
    # the auditor, 3 for the successor that rotating token 1 issues.
    operator = f"cli:{getpass.getuser()}"
    assert docex("db", "upgrade").exit_code == ExitCode.OK
    for step in _walk("1", "3"):
        before_registry, before_audit = _registry(cli_env), _audit(cli_env)
        result = docex(*step.args)
        after_registry, after_audit = _registry(cli_env), _audit(cli_env)
        new = after_audit[len(before_audit) :]
        assert after_audit[: len(before_audit)] == before_audit
        if step.action is None:
            assert result.exit_code == ExitCode.OK, result.output
            assert (after_registry, new) == (before_registry, []), step
            continue
        (entry,) = new
        assert (entry["action"], entry["actor_kind"]) == (step.action, "system"), step
        details = entry["details"]
        if isinstance(details, str):  # SQLite hands JSON back as text through raw SQL
            details = json.loads(details)
        assert details["operator"] == operator
        if step.refused:
            assert result.exit_code != ExitCode.OK, step
            assert entry["outcome"] == "refused"
            assert after_registry == before_registry, step
            assert details["code"] in {"conflict", "not-found", "input"}
        else:
            assert result.exit_code == ExitCode.OK, result.output
            assert entry["outcome"] == "ok"
            assert after_registry != before_registry, step
    exported = docex("audit", "export").stdout
    # Neither the employee's RNOKPP nor any token reaches the log.
    assert RNOKPP not in exported
    assert re.search(r"dxt_[0-9a-f]{16}_", exported) is None


def test_demo_seed_leaves_one_entry_per_row_it_adds(docex: Docex, cli_env: CliEnv) -> None:
    assert docex("db", "upgrade").exit_code == ExitCode.OK
    before = _registry(cli_env)
    assert docex("demo-seed").exit_code == ExitCode.OK
    after = _registry(cli_env)
    added = {table: len(after[table]) - len(before[table]) for table in REGISTRY_TABLES}
    entries = _audit(cli_env)
    by_action = {
        action: sum(1 for e in entries if e["action"] == action and e["outcome"] == "ok")
        for action in (actions.FACILITY_ADD, actions.EMPLOYEE_ADD, actions.TOKEN_ISSUE)
    }
    assert by_action == {
        actions.FACILITY_ADD: added["facilities"],
        actions.EMPLOYEE_ADD: added["employees"],
        actions.TOKEN_ISSUE: added["api_tokens"],
    }
    assert len(entries) == sum(added.values())
    assert added["facilities"] == 2
