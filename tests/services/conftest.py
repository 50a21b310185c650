"""The use cases called directly, on a migrated SQLite database and a local object store.

The use cases are the same code on either deployment shape; the registry and audit tests
already run on PostgreSQL too, so these run on the embedded shape only.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from docex.audit.log import SYSTEM
from docex.composition import Container
from docex.db.audit import AuditEntry
from docex.db.engine import unit_of_work
from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.domain import DocumentKind, EmployeeRole, TokenRole
from docex.registry.records import Principal
from docex.registry.tokens import TokenPolicy, authenticate
from docex.services.employees import add_employee
from docex.services.facilities import add_facility
from docex.services.submission import Submission, SubmissionResult, submit_document
from docex.services.tokens import issue_token
from docex.signatures.identity import signer_identity
from docex.signatures.isolation import build_verifier
from tests import signed_content
from tests.conftest import Backend

POLICY = TokenPolicy(pepper=b"p" * 32, touch_interval=timedelta(minutes=1))


@pytest.fixture
def backend_name() -> str:
    """Only the embedded shape (see the module docstring)."""
    return "sqlite-local"


def audit_entries(sessions: sessionmaker[Session], action: str | None = None) -> list[AuditEntry]:
    """The audit log, oldest first; only ``action``'s entries if given."""
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    with unit_of_work(sessions) as session:
        rows = list(session.scalars(query))
        session.expunge_all()
    return rows


REPO = Path(__file__).resolve().parents[2]
FACILITY_A, FACILITY_B = "38291045", "40123457"
"""The development PKI's two facilities; doctor-rsa works at A, doctor2-ecdsa at B."""


@pytest.fixture(scope="session")
def pki() -> DevPki:
    """The development PKI of certs-dev/."""
    return DevPki.load()


@pytest.fixture
def runtime(backend: Backend) -> Iterator[Container]:
    """The test backend's database and store, and a verifier trusting the dev PKI."""
    settings = backend.settings.model_copy(update={"trust": [REPO / "certs-dev" / "trust"]})
    runtime = Container(
        settings=settings,
        engine=backend.engine,
        sessions=backend.sessions,
        store=backend.store,
        # In process: the worker pool is the isolation tests' business, not the use cases'.
        verifier=build_verifier(settings.verifier_settings, workers=0),
        token_policy=POLICY,
    )
    with runtime.verifier:
        yield runtime


@dataclass(frozen=True)
class Parties:
    """The two facilities with a doctor each, and a principal for each and an auditor."""

    a: Principal
    b: Principal
    auditor: Principal


@pytest.fixture
def parties(runtime: Container, pki: DevPki) -> Parties:
    """Registered through the use cases, as ``docex demo-seed`` would."""
    principals = []
    for edrpou, doctor in ((FACILITY_A, "doctor-rsa"), (FACILITY_B, "doctor2-ecdsa")):
        add_facility(sessions=runtime.sessions, actor=SYSTEM, edrpou=edrpou, name=edrpou)
        who = signer_identity(pki.cert(doctor))
        assert who.rnokpp is not None
        add_employee(
            sessions=runtime.sessions,
            actor=SYSTEM,
            facility_edrpou=edrpou,
            rnokpp=who.rnokpp,
            full_name=who.common_name or doctor,
            role=EmployeeRole.DOCTOR,
        )
        principals.append(_principal(runtime, TokenRole.FACILITY, edrpou))
    auditor = _principal(runtime, TokenRole.AUDITOR, None)
    return Parties(a=principals[0], b=principals[1], auditor=auditor)


def _principal(runtime: Container, role: TokenRole, edrpou: str | None) -> Principal:
    issued = issue_token(
        sessions=runtime.sessions,
        policy=POLICY,
        actor=SYSTEM,
        role=role,
        facility_edrpou=edrpou,
    )
    with unit_of_work(runtime.sessions) as session:
        return authenticate(session, policy=POLICY, token=issued.token)


def send_result_to_a(
    runtime: Container, parties: Parties, pki: DevPki
) -> tuple[bytes, SubmissionResult]:
    """B sends A an examination result (attached CAdES by B's doctor): the signed bytes and
    the submission's result."""
    content = signed_content.result(pki, "doctor2-ecdsa", recipient=FACILITY_A)
    signed = sign_cades(pki, content, signer="doctor2-ecdsa", level="B-LT", detached=False)
    result = submit_document(
        runtime,
        principal=parties.b,
        submission=Submission(signed=io.BytesIO(signed), kind=DocumentKind.EXAMINATION_RESULT),
    )
    return signed, result
