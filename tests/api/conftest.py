"""An API on each deployment shape, served by uvicorn over real HTTP, with seeded facilities."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from docex.api.app import create_app
from docex.composition import Container
from docex.db.engine import unit_of_work
from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.domain import EmployeeRole, TokenRole
from docex.registry.employees import add_employee
from docex.registry.facilities import add_facility
from docex.registry.tokens import TokenPolicy, issue_token
from docex.settings import Settings
from docex.signatures.identity import signer_identity
from docex.signatures.isolation import build_verifier
from tests import signed_content
from tests.conftest import Backend

REPO = Path(__file__).resolve().parents[2]
FACILITY_A = "38291045"
FACILITY_B = "40123457"


REFERRAL = signed_content.referral(DevPki.load(), "doctor-ecdsa")
"""A ``referral/1`` of the tests' patient by doctor-ecdsa of facility A, unaddressed."""


@pytest.fixture(scope="session")
def pki() -> DevPki:
    return DevPki.load()


@pytest.fixture(scope="session")
def good_sig(pki: DevPki) -> bytes:
    """A detached CAdES B-LT over REFERRAL by a doctor of facility A."""
    return sign_cades(pki, REFERRAL, signer="doctor-ecdsa", level="B-LT")


@dataclass
class Api:
    """A running API and what the tests need to talk to it."""

    url: str
    runtime: Container
    backend: Backend
    tokens: dict[str, str]
    facility_ids: dict[str, int]

    def client(self, who: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _seed(runtime: Container, pki: DevPki) -> tuple[dict[str, str], dict[str, int]]:
    tokens: dict[str, str] = {}
    ids: dict[str, int] = {}
    with unit_of_work(runtime.sessions) as session:
        for edrpou, name in ((FACILITY_A, "Facility A"), (FACILITY_B, "Facility B")):
            ids[edrpou] = add_facility(session, edrpou=edrpou, name=name).id
        for label in ("doctor-ecdsa", "doctor-rsa", "doctor2-ecdsa", "nonqualified", "revoked"):
            who = signer_identity(pki.cert(label))
            assert who.rnokpp is not None
            assert who.edrpou is not None
            add_employee(
                session,
                facility_id=ids[who.edrpou],
                rnokpp=who.rnokpp,
                full_name=who.common_name or label,
                role=EmployeeRole.DOCTOR,
            )
        for key, edrpou in (("a", FACILITY_A), ("b", FACILITY_B)):
            tokens[key] = issue_token(
                session,
                policy=runtime.token_policy,
                role=TokenRole.FACILITY,
                facility_id=ids[edrpou],
            ).token
        tokens["auditor"] = issue_token(
            session, policy=runtime.token_policy, role=TokenRole.AUDITOR
        ).token
    return tokens, ids


@contextmanager
def serve(
    settings: Settings, runtime: Container | None, *, freeze_heap: bool = False
) -> Iterator[str]:
    """Serve the app with uvicorn in a thread; yield its URL.

    Without a runtime the app builds its own from ``settings``, as a fresh process does.
    """
    with serve_app(create_app(settings, container=runtime, freeze_heap=freeze_heap)) as url:
        yield url


@contextmanager
def serve_app(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread, its lifespan on; yield its URL."""
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def api_settings(backend: Backend) -> Settings:
    return replace_settings(backend.settings, trust=[REPO / "certs-dev" / "trust"])


def replace_settings(settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(update=changes)


def runtime_for(backend: Backend, settings: Settings) -> Container:
    """A runtime on the test backend's (migrated) database and store."""
    return Container(
        settings=settings,
        engine=backend.engine,
        sessions=backend.sessions,
        store=backend.store,
        # The in-process verifier production builds for verify_workers = 0: a bare
        # Verifier lacks the configuration a SignatureVerifier carries.
        verifier=build_verifier(settings.verifier_settings, workers=0),
        token_policy=TokenPolicy.from_settings(settings),
    )


@contextmanager
def running_api(backend: Backend, settings: Settings, pki: DevPki) -> Iterator[Api]:
    """The seeded API on ``backend`` with ``settings``, served until the block ends."""
    runtime = runtime_for(backend, settings)
    tokens, ids = _seed(runtime, pki)
    with runtime.verifier, serve(settings, runtime) as url:
        yield Api(url=url, runtime=runtime, backend=backend, tokens=tokens, facility_ids=ids)


@pytest.fixture
def api(backend: Backend, api_settings: Settings, pki: DevPki) -> Iterator[Api]:
    with running_api(backend, api_settings, pki) as api:
        yield api
