"""The parties to a referral over HTTP: facilities A and B, a third facility C, the auditor.

Facility A (38291045) refers, facility B (40123457) performs; C takes part in nothing.
"""

from __future__ import annotations

from typing import Any

import httpx

from docex.db.engine import unit_of_work
from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.domain import TokenRole
from docex.registry.facilities import add_facility
from docex.registry.tokens import issue_token
from tests.api.conftest import Api

PATIENT = "patient-routing-1"


class Parties:
    """Clients for the facilities and the auditor, and signing helpers."""

    def __init__(self, api: Api, pki: DevPki) -> None:
        self.api = api
        self.pki = pki
        self.a = api.client("a")
        self.b = api.client("b")
        self.auditor = api.client("auditor")
        with unit_of_work(api.backend.sessions) as session:
            c = add_facility(session, edrpou="41111111", name="Facility C")
            token = issue_token(
                session,
                policy=api.runtime.token_policy,
                role=TokenRole.FACILITY,
                facility_id=c.id,
            ).token
        self.c = httpx.Client(
            base_url=api.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )

    def close(self) -> None:
        for client in (self.a, self.b, self.c, self.auditor):
            client.close()

    def submit(
        self, client: httpx.Client, signer: str, kind: str, text: str, **fields: str
    ) -> httpx.Response:
        content = text.encode()
        signed = sign_cades(self.pki, content, signer=signer, level="B-LT")
        data = {"kind": kind, "patient_ref": PATIENT, **fields}
        return client.post(
            "/api/v1/documents",
            files={"file": ("doc.p7s", signed), "content": ("doc.txt", content)},
            data=data,
        )

    def refer(self, **fields: str) -> dict[str, Any]:
        fields.setdefault("service_code", "K-CARD-01")
        fields.setdefault("service_text", "Cardiology consultation")
        response = self.submit(self.a, "doctor-ecdsa", "referral", "Referral", **fields)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def result(
        self, referral_doc: str | None, text: str = "Result", **fields: str
    ) -> httpx.Response:
        if referral_doc is not None:
            fields["answers_document_id"] = referral_doc
        return self.submit(self.b, "doctor2-ecdsa", "examination_result", text, **fields)
