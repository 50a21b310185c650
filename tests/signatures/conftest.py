"""Fixtures for verifier tests: the development PKI and a verifier trusting its root."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.signatures.trust import load_trust_store
from docex.signatures.verifier import Verifier

REPO = Path(__file__).resolve().parents[2]
DEV_TRUST = REPO / "certs-dev" / "trust"
CONTENT = "Направлення на консультацію кардіолога. Пацієнт: 0123-4567-89AB.\n".encode() * 300


def signed_b_lt(pki: DevPki, moment: datetime) -> bytes:
    """CONTENT signed B-LT by the ECDSA doctor, signed and time-stamped at ``moment``: its
    own OCSP responses (signer's and TSA's) and CRLs, as of that moment."""
    return sign_cades(
        pki,
        CONTENT,
        signer="doctor-ecdsa",
        level="B-LT",
        signing_time=moment,
        timestamp_time=moment,
    )


@pytest.fixture(scope="session")
def pki() -> DevPki:
    return DevPki.load()


@pytest.fixture(scope="session")
def verifier() -> Iterator[Verifier]:
    with Verifier(load_trust_store([DEV_TRUST])) as v:
        yield v


@pytest.fixture
def cold_verifier() -> Iterator[Verifier]:
    """A verifier with empty caches, for tests about what caching may and may not do."""
    with Verifier(load_trust_store([DEV_TRUST])) as v:
        yield v
