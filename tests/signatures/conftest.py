"""Fixtures for verifier tests: the development PKI and a verifier trusting its root."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from docex.devpki.pki import DevPki
from docex.signatures.trust import load_trust_store
from docex.signatures.verifier import Verifier

REPO = Path(__file__).resolve().parents[2]
DEV_TRUST = REPO / "certs-dev" / "trust"
CONTENT = "Направлення на консультацію кардіолога. Пацієнт: 0123-4567-89AB.\n".encode() * 300


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
