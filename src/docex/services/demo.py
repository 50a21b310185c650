"""Demo data for a developer's machine: the facilities and doctors of the development PKI.

``make run`` seeds them so that every sample in ``certs-dev/`` can be submitted at once, and
every kind of refusal shown: a document signed with the ``revoked``, ``expired``,
``nonqualified``, ``no-qscd`` or ``no-nonrep`` certificate is refused for its signature,
not because its signer is unknown to the registry.

The people come from the certificates themselves (CN, ``serialNumber`` ``TINUA-<RNOKPP>``,
``organizationIdentifier`` ``NTRUA-<EDRPOU>``), so a regenerated PKI cannot drift away
from the demo registry. Seeding is idempotent: what exists is left alone.

Development only: the certificates' private keys are public.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID
from sqlalchemy.orm import Session, sessionmaker

from docex.clock import utcnow
from docex.db.engine import unit_of_work
from docex.domain import EmployeeRole, TokenRole
from docex.errors import InputError, NotFoundError
from docex.registry.employees import list_employees
from docex.registry.facilities import get_facility_by_edrpou
from docex.registry.tokens import TokenPolicy, list_tokens
from docex.services.admin_audit import AdminActor
from docex.services.employees import add_employee_in
from docex.services.facilities import add_facility_in
from docex.services.tokens import issue_token_in

DEMO_FACILITIES: tuple[tuple[str, str], ...] = (
    ("38291045", "КНП Центр первинної медико-санітарної допомоги №1"),
    ("40123457", "КНП Обласна клінічна лікарня"),
)
"""EDRPOU and name of the development PKI's two facilities (certs-dev/README.md)."""

DEMO_TOKEN_LABEL = "demo"  # noqa: S105  # a label, not a secret

_RNOKPP_PREFIX = "TINUA-"
DSTU_CERTS = Path("dstu") / "certs"
"""Where the dev PKI's DSTU 4145 branch keeps its certificates, beside ``certs/``."""
_EDRPOU_PREFIX = "NTRUA-"


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoPerson:
    """A doctor of the development PKI, as their certificate names them."""

    label: str
    """The certificate's file name without ``.pem``, e.g. ``doctor-ecdsa``."""
    rnokpp: str
    edrpou: str
    full_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoToken:
    """A token issued while seeding; its plaintext exists only here."""

    token_id: int
    edrpou: str | None
    """The facility the token speaks for; ``None`` for the auditor's."""
    token: str = field(repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoSeed:
    """What one seeding run added; empty when the demo data was there already."""

    facilities: tuple[str, ...]
    employees: tuple[DemoPerson, ...]
    tokens: tuple[DemoToken, ...]

    @property
    def changed(self) -> bool:
        """Whether anything was added."""
        return bool(self.facilities or self.employees or self.tokens)


def _attribute(certificate: x509.Certificate, oid: x509.ObjectIdentifier) -> str | None:
    with warnings.catch_warnings():
        # cryptography counts the 64-character limit of O and CN in UTF-8 bytes and warns
        # about Ukrainian facility names; the certificates are ours and fine as they are.
        warnings.filterwarnings("ignore", message="Attribute's length", category=UserWarning)
        values = certificate.subject.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


def read_demo_people(certs_dir: Path) -> list[DemoPerson]:
    """Every person certificate (one with a ``TINUA-`` serialNumber) in ``certs_dir``.

    The DSTU 4145 branch the dev PKI writes beside it (``../dstu/certs``, e.g.
    ``doctor-dstu``) is read too when it exists, so that its samples can be submitted.
    ``InputError`` if the folder cannot be read or holds no such certificate.
    """
    try:
        paths = sorted(certs_dir.glob("*.pem"))
        dstu_dir = certs_dir.parent / DSTU_CERTS
        if dstu_dir.is_dir():
            paths += sorted(dstu_dir.glob("*.pem"))
        certificates = [(p.stem, x509.load_pem_x509_certificate(p.read_bytes())) for p in paths]
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the development certificates in {certs_dir}: {exc}") from exc
    people = []
    for label, certificate in certificates:
        serial = _attribute(certificate, NameOID.SERIAL_NUMBER) or ""
        organization = _attribute(certificate, NameOID.ORGANIZATION_IDENTIFIER) or ""
        name = _attribute(certificate, NameOID.COMMON_NAME)
        if not serial.startswith(_RNOKPP_PREFIX) or not organization.startswith(_EDRPOU_PREFIX):
            continue
        people.append(
            DemoPerson(
                label=label,
                rnokpp=serial.removeprefix(_RNOKPP_PREFIX),
                edrpou=organization.removeprefix(_EDRPOU_PREFIX),
                full_name=name or label,
            )
        )
    if not people:
        raise InputError(f"no doctor certificates (serialNumber TINUA-...) in {certs_dir}")
    return people


def seed_demo(
    *,
    sessions: sessionmaker[Session],
    policy: TokenPolicy,
    actor: AdminActor,
    people: Sequence[DemoPerson],
) -> DemoSeed:
    """Add whatever of the demo data is missing, in one unit of work.

    Two facilities; ``people`` as doctors of their facilities; one token labelled
    ``demo`` for each facility and one for an auditor, unless such a token exists and is
    not revoked nor expired. Each addition is audited as the administrative commands audit it.
    """
    with unit_of_work(sessions) as session:
        return _seed(session, policy=policy, actor=actor, people=people)


def _seed(
    session: Session, *, policy: TokenPolicy, actor: AdminActor, people: Sequence[DemoPerson]
) -> DemoSeed:
    known = {edrpou for edrpou, _ in DEMO_FACILITIES}
    strangers = sorted({p.edrpou for p in people} - known)
    if strangers:
        raise InputError(f"demo certificates name unknown facilities: {', '.join(strangers)}")
    added_facilities: list[str] = []
    facility_ids: dict[str, int] = {}
    for edrpou, name in DEMO_FACILITIES:
        try:
            facility = get_facility_by_edrpou(session, edrpou=edrpou)
        except NotFoundError:
            facility = add_facility_in(session, actor=actor, edrpou=edrpou, name=name)
            added_facilities.append(edrpou)
        facility_ids[edrpou] = facility.id

    added_people: list[DemoPerson] = []
    for person in people:
        facility_id = facility_ids[person.edrpou]
        listed = list_employees(session, facility_id=facility_id, include_inactive=True)
        if any(e.rnokpp == person.rnokpp for e in listed):
            continue
        add_employee_in(
            session,
            actor=actor,
            facility_id=facility_id,
            rnokpp=person.rnokpp,
            full_name=person.full_name,
            role=EmployeeRole.DOCTOR,
        )
        added_people.append(person)

    tokens: list[DemoToken] = []
    for edrpou, facility_id in facility_ids.items():
        if not _has_demo_token(session, facility_id=facility_id, role=TokenRole.FACILITY):
            issued = issue_token_in(
                session,
                policy=policy,
                actor=actor,
                role=TokenRole.FACILITY,
                facility_id=facility_id,
                label=DEMO_TOKEN_LABEL,
            )
            tokens.append(DemoToken(token_id=issued.record.id, edrpou=edrpou, token=issued.token))
    if not _has_demo_token(session, facility_id=None, role=TokenRole.AUDITOR):
        issued = issue_token_in(
            session, policy=policy, actor=actor, role=TokenRole.AUDITOR, label=DEMO_TOKEN_LABEL
        )
        tokens.append(DemoToken(token_id=issued.record.id, edrpou=None, token=issued.token))
    return DemoSeed(
        facilities=tuple(added_facilities), employees=tuple(added_people), tokens=tuple(tokens)
    )


def _has_demo_token(session: Session, *, facility_id: int | None, role: TokenRole) -> bool:
    # An expired demo token no longer works: seeding again issues a fresh one.
    now = utcnow()
    return any(
        t.role is role
        and t.facility_id == facility_id
        and t.label == DEMO_TOKEN_LABEL
        and t.status_at(now) == "active"
        for t in list_tokens(session, facility_id=facility_id)
    )
