"""``docex referrals expire``: recalls what is due through the use case, audited."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from docex.audit.log import SYSTEM
from docex.cli.exit_codes import ExitCode
from docex.composition import build_container
from docex.db.audit import AuditEntry
from docex.db.migrate import head_revision
from docex.db.referrals import Referral
from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.domain import ActorKind, DocumentKind, EmployeeRole, ReferralStatus, TokenRole
from docex.registry.tokens import authenticate
from docex.services.employees import add_employee
from docex.services.facilities import add_facility
from docex.services.submission import Submission, submit_document
from docex.services.tokens import issue_token
from docex.signatures.identity import signer_identity
from tests import signed_content
from tests.cli.conftest import DEV_TRUST, CliEnv, Docex, one_line_error


def test_nothing_due(docex: Docex) -> None:
    result = docex("referrals", "expire")
    assert result.exit_code == ExitCode.OK, result.output
    assert result.stdout == "recalled 0 expired referral(s)\n"


def test_an_unmigrated_postgres_is_refused_cleanly(docex: Docex, postgres_url: str) -> None:
    result = docex("referrals", "expire")
    assert result.exit_code == ExitCode.ERROR
    assert one_line_error(result) == (
        f"the database has never been migrated; this docex needs revision {head_revision()}: "
        "run `docex db upgrade`"
    )


def test_an_expired_referral_is_recalled(docex: Docex, cli_env: CliEnv) -> None:
    settings = cli_env.settings().model_copy(update={"trust": [DEV_TRUST], "verify_workers": 0})
    container = build_container(settings)
    try:
        sessions = container.sessions
        pki = DevPki.load()
        who = signer_identity(pki.cert("doctor-ecdsa"))
        assert who.rnokpp is not None
        for edrpou in ("38291045", "40123457"):
            add_facility(sessions=sessions, actor=SYSTEM, edrpou=edrpou, name=edrpou)
        add_employee(
            sessions=sessions,
            actor=SYSTEM,
            facility_edrpou="38291045",
            rnokpp=who.rnokpp,
            full_name="Doctor",
            role=EmployeeRole.DOCTOR,
        )
        token = issue_token(
            sessions=sessions,
            policy=container.token_policy,
            actor=SYSTEM,
            role=TokenRole.FACILITY,
            facility_edrpou="38291045",
        ).token
        with sessions() as session:
            principal = authenticate(session, policy=container.token_policy, token=token)
            session.commit()
        content = signed_content.referral(pki, performer="40123457")
        signed = sign_cades(pki, content, signer="doctor-ecdsa", level="B-LT", detached=False)
        submitted = submit_document(
            container,
            principal=principal,
            submission=Submission(signed=io.BytesIO(signed), kind=DocumentKind.REFERRAL),
        )
        # Time passes: the signed validity (a week) is over. Moved in the database rather
        # than signed short, since signing under load could outlast a short validity.
        with sessions() as session:
            (row,) = session.query(Referral).all()
            row.valid_until = datetime.now(UTC) - timedelta(seconds=1)
            session.commit()
            valid_until = session.query(Referral).one().valid_until

        result = docex("referrals", "expire")
        assert result.exit_code == ExitCode.OK, result.output
        issued = submitted.referral
        assert issued is not None
        # The referral's id and issuer, never the requisition number the patient carries.
        assert result.stdout == (
            f"recalled {issued.id} issued by 38291045, valid until "
            f"{valid_until.isoformat()}\n"
            "recalled 1 expired referral(s)\n"
        )
        assert issued.requisition_number not in result.stdout
        with sessions() as session:
            (referral,) = session.query(Referral).all()
            assert referral.status is ReferralStatus.RECALLED
            recalls = [
                e
                for e in session.query(AuditEntry).order_by(AuditEntry.id)
                if e.action == "referral.transition" and e.details.get("to") == "recalled"
            ]
        assert [e.actor_kind for e in recalls] == [ActorKind.SYSTEM]
        assert docex("referrals", "expire").stdout == "recalled 0 expired referral(s)\n"
    finally:
        container.close()
