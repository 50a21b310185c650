"""Real reports from real verifications, shared by the report tests.

Each case is made by the development PKIs and verified by a real verifier: a valid ECDSA
CAdES, the same signature over changed content, a PDF changed after signing, a DSTU 4145
CAdES, and the ECDSA signature under a trust configuration that lacks its root. The reports
are built once per session: verifying is the slow part.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import xmlschema

from docex.devpki.dstu_pki import DOCTOR_DSTU, TSA_DSTU, DstuPki
from docex.devpki.pdf import minimal_pdf
from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades, sign_pades
from docex.reports import etsi_xml
from docex.signatures.report import Indication, Qualification, SubIndication, ValidationReport
from docex.signatures.trust import load_trust_store, trust_store_from_certificates
from docex.signatures.verifier import Verifier
from tests.signatures import pdf_cases
from tests.signatures.conftest import CONTENT, DEV_TRUST

DSTU_AT = datetime(2026, 6, 1, 12, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    """A verified file: its report, the trust it was verified under and what it must say."""

    report: ValidationReport
    trust: str
    indication: Indication
    sub_indication: SubIndication | None
    qualification: Qualification
    signer: str
    """The signer's common name, as the development PKI issued it."""


@pytest.fixture(scope="session")
def cases() -> dict[str, Case]:
    pki = DevPki.load()
    out: dict[str, Case] = {}
    trust = load_trust_store([DEV_TRUST])
    doctor = pki.cert("doctor-ecdsa").subject.native["common_name"]
    ecdsa = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-LT", detached=True)
    with Verifier(trust) as verifier:
        out["cades-valid"] = Case(
            verifier.verify(ecdsa, content=CONTENT),
            trust.describe(),
            Indication.TOTAL_PASSED,
            None,
            Qualification.QESIG,
            doctor,
        )
        out["cades-tampered"] = Case(
            verifier.verify(ecdsa, content=CONTENT.replace("кардіолога".encode(), b"x", 1)),
            trust.describe(),
            Indication.TOTAL_FAILED,
            SubIndication.HASH_FAILURE,
            Qualification.NA,
            doctor,
        )
        changed = pdf_cases.field_rewritten(pdf_cases.signed_form(pki), "incremental")
        out["pades-changed"] = Case(
            verifier.verify(changed),
            trust.describe(),
            Indication.TOTAL_FAILED,
            SubIndication.FORMAT_FAILURE,
            Qualification.NA,
            doctor,
        )
    dstu = DstuPki.load()
    dstu_trust = trust_store_from_certificates(
        [dstu.trust_anchor()], name="DSTU root", tsas=[dstu.cert(TSA_DSTU)]
    )
    with Verifier(dstu_trust) as verifier:
        signature = dstu.sign_cades(CONTENT, level="B-LT", signing_time=DSTU_AT)
        out["dstu-valid"] = Case(
            verifier.verify(signature, content=CONTENT, at=DSTU_AT),
            dstu_trust.describe(),
            Indication.TOTAL_PASSED,
            None,
            Qualification.QESIG,
            dstu.cert(DOCTOR_DSTU).subject.native["common_name"],
        )
        # The ECDSA signature under a trust configuration without its root: no chain.
        out["cades-untrusted"] = Case(
            verifier.verify(ecdsa, content=CONTENT),
            dstu_trust.describe(),
            Indication.INDETERMINATE,
            SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
            Qualification.NA,
            doctor,
        )
    return out


@pytest.fixture(scope="session")
def two_signers() -> Case:
    """A PDF signed by a doctor, then sealed by the facility: two signatures, one chain."""
    pki = DevPki.load()
    pdf = sign_pades(pki, minimal_pdf(), signer="doctor-ecdsa", level="B-LT", field_name="Doctor")
    pdf = sign_pades(pki, pdf, signer="facility-seal", level="B-LT", field_name="Facility")
    trust = load_trust_store([DEV_TRUST])
    with Verifier(trust) as verifier:
        report = verifier.verify(pdf)
    return Case(
        report,
        trust.describe(),
        Indication.TOTAL_PASSED,
        None,
        Qualification.QESIG,
        pki.cert("doctor-ecdsa").subject.native["common_name"],
    )


@pytest.fixture(scope="session")
def pades_lta() -> ValidationReport:
    """A PAdES B-LTA: a signature time-stamp and a document time-stamp over it."""
    pki = DevPki.load()
    pdf = sign_pades(pki, minimal_pdf(), signer="doctor-ecdsa", level="B-LTA")
    with Verifier(load_trust_store([DEV_TRUST])) as verifier:
        return verifier.verify(pdf)


@pytest.fixture(scope="session")
def schema() -> xmlschema.XMLSchema11:
    # XSD 1.1: the report schema declares vc:minVersion="1.1", which an XSD 1.0 processor
    # would take as "skip this schema". Imports resolve to the local copies, never the web.
    return xmlschema.XMLSchema11(str(etsi_xml.SCHEMA), locations=etsi_xml.SCHEMA_LOCATIONS)
