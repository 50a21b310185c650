"""The parties to a referral over HTTP: facilities A and B, a third facility C, the auditor.

Facility A (38291045) refers, facility B (40123457) performs; C takes part in nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from docex.db.engine import unit_of_work
from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.domain import DocumentKind, TokenRole
from docex.registry.facilities import add_facility
from docex.registry.tokens import issue_token
from tests import signed_content
from tests.api.conftest import Api

PATIENT = signed_content.PATIENT


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
        self,
        client: httpx.Client,
        signer: str,
        kind: str,
        text: str,
        **fields: str,
    ) -> httpx.Response:
        """Sign a ``kind`` content saying ``fields`` (and ``text``) by ``signer``; submit it.

        ``fields`` use the request's names (``recipient_edrpou``, ``answers_document_id``
        …) and go into the signed content, which carries them; the form sends the kind.
        """
        content = self.content(signer, kind, text, **fields)
        signed = sign_cades(self.pki, content, signer=signer, level="B-LT")
        return client.post(
            "/api/v1/documents",
            files={"file": ("doc.p7s", signed), "content": ("doc.json", content)},
            data={"kind": kind},
        )

    def content(self, signer: str, kind: str, text: str, **fields: str) -> bytes:
        """The signed content of a ``kind`` document saying ``fields``."""
        patient = fields.get("patient_ref", PATIENT)
        if kind == "referral":
            valid_until = fields.get("valid_until")
            return signed_content.referral(
                self.pki,
                signer,
                patient=patient,
                performer=fields.get("recipient_edrpou"),
                service_code=fields.get("service_code", "K-CARD-01"),
                service_text=fields.get("service_text", "Cardiology consultation"),
                valid_until=datetime.fromisoformat(valid_until) if valid_until else None,
            )
        if kind == "examination_result":
            return signed_content.result(
                self.pki,
                signer,
                patient=patient,
                answers=fields.get("answers_document_id"),
                replaces=fields.get("replaces_document_id"),
                recipient=fields.get("recipient_edrpou"),
                conclusion=text,
            )
        return signed_content.task(
            self.pki,
            DocumentKind(kind),
            signer,
            focus=fields["answers_document_id"],
            patient=patient,
            reason=text,
        )

    def refer(self, **fields: str) -> dict[str, Any]:
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
