"""A DSTU 4145-signed referral through the documents API, on both backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from docex.db.engine import unit_of_work
from docex.devpki.dstu_pki import DOCTOR_DSTU, DstuPki
from docex.devpki.pki import DevPki
from docex.domain import EmployeeRole
from docex.formats import building
from docex.registry.employees import add_employee
from docex.settings import Settings
from docex.signatures.identity import signer_identity
from tests.api.conftest import (
    FACILITY_A,
    REPO,
    Api,
    _seed,
    replace_settings,
    runtime_for,
    serve,
)
from tests.api.submitting import submit
from tests.conftest import Backend
from tests.signed_content import PATIENT


@pytest.fixture
def dstu_api(backend: Backend, pki: DevPki) -> Iterator[Api]:
    settings: Settings = replace_settings(
        backend.settings,
        trust=[REPO / "certs-dev" / "trust", REPO / "certs-dev" / "trust-dstu"],
    )
    runtime = runtime_for(backend, settings)
    tokens, ids = _seed(runtime, pki)
    who = signer_identity(DstuPki.load().cert(DOCTOR_DSTU))
    assert (who.rnokpp, who.edrpou) == ("3244556677", FACILITY_A)
    assert who.rnokpp is not None  # for mypy: the line above pinned it
    with unit_of_work(runtime.sessions) as session:
        add_employee(
            session,
            facility_id=ids[FACILITY_A],
            rnokpp=who.rnokpp,
            full_name=who.common_name or DOCTOR_DSTU,
            role=EmployeeRole.DOCTOR,
        )
    with runtime.verifier, serve(settings, runtime) as url:
        yield Api(url=url, runtime=runtime, backend=backend, tokens=tokens, facility_ids=ids)


def test_dstu_signed_referral_is_accepted(dstu_api: Api) -> None:
    referral = building.encode(
        building.referral(
            patient=PATIENT,
            author_rnokpp="3244556677",
            author_edrpou=FACILITY_A,
            service_code="K-CARD-01",
            service_text="Cardiology consultation",
        )
    )
    signed = DstuPki.load().sign_cades(referral, level="B-LT")
    with dstu_api.client("a") as a:
        response = submit(a, signed, referral)
    assert response.status_code == 201, response.text
    doc = response.json()
    assert (doc["indication"], doc["qualification"]) == ("TOTAL_PASSED", "QESig")
    assert doc["signer_rnokpp"] == "3244556677"
