"""Verifying a file without storing it: the verdicts, the limits, and that nothing is kept."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from docex.composition import Container
from docex.db.audit import AuditEntry
from docex.db.documents import Document
from docex.db.engine import unit_of_work
from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.errors import InputError, InputTooLargeError, NotASignatureError
from docex.services.verification import verify_unstored
from docex.signatures.report import Indication, SubIndication, ValidationReport

CONTENT = b"a referral, as the tests sign it"


def check(
    runtime: Container,
    data: bytes,
    content: bytes | None = CONTENT,
    *,
    at: datetime | None = None,
    limit: int = 1 << 20,
) -> ValidationReport:
    return asyncio.run(
        verify_unstored(
            verifier=runtime.verifier,
            data=data,
            content=content,
            at=at,
            max_signature_bytes=limit,
            max_content_bytes=limit,
        )
    )


def count(runtime: Container, table: type[Document] | type[AuditEntry]) -> int:
    with unit_of_work(runtime.sessions) as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def test_a_valid_and_a_tampered_file_and_nothing_stored(runtime: Container, pki: DevPki) -> None:
    signature = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-LT")
    valid = check(runtime, signature)
    assert valid.indication is Indication.TOTAL_PASSED
    tampered = check(runtime, signature, CONTENT.replace(b"referral", b"Referral"))
    assert tampered.indication is Indication.TOTAL_FAILED
    assert tampered.sub_indication is SubIndication.HASH_FAILURE
    assert count(runtime, Document) == 0
    assert count(runtime, AuditEntry) == 0


def test_the_limits_are_those_given(runtime: Container, pki: DevPki) -> None:
    signature = sign_cades(pki, CONTENT, signer="doctor-ecdsa")
    with pytest.raises(InputTooLargeError, match="the signature file exceeds the limit of 100"):
        check(runtime, signature, limit=100)
    with pytest.raises(InputTooLargeError, match="the detached content exceeds the limit of 10"):
        asyncio.run(
            verify_unstored(
                verifier=runtime.verifier,
                data=signature,
                content=CONTENT,
                at=None,
                max_signature_bytes=1 << 20,
                max_content_bytes=10,
            )
        )


def test_refused_inputs(runtime: Container, pki: DevPki) -> None:
    signature = sign_cades(pki, CONTENT, signer="doctor-ecdsa")
    with pytest.raises(InputError, match="the signature file is empty"):
        check(runtime, b"")
    with pytest.raises(InputError, match="the validation time needs a time zone"):
        check(runtime, signature, at=datetime(2026, 1, 1))  # noqa: DTZ001  # naive on purpose
    with pytest.raises(NotASignatureError):
        check(runtime, b"not a signature at all")


def test_validation_as_of_a_time(runtime: Container, pki: DevPki) -> None:
    signature = sign_cades(pki, CONTENT, signer="doctor-ecdsa")
    at = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
    assert check(runtime, signature, at=at).validation_time == at
