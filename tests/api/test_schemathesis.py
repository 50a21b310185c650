"""A bounded property-based run of schemathesis against a real uvicorn serving docex.

Every operation of the published OpenAPI document gets a few generated requests, valid
and invalid, with a facility's token and with an auditor's; each answer must not be a
server error and must be what the document says: a documented status, a documented
media type, a body of the documented schema and the documented headers. The run is
derandomised, so CI sees the same requests every time, and small (a few examples per
operation, one module-scoped server), so it stays well under a minute on two shared cores.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from pydantic import SecretStr
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from docex.api.app import create_app
from docex.db import create_engine_from_settings, session_factory, upgrade
from docex.devpki.pki import DevPki
from docex.settings import Settings
from docex.storage import open_object_store
from tests.api.conftest import REPO, Api, _seed, runtime_for, serve
from tests.api.submitting import submit
from tests.conftest import BACKENDS, Backend, Servers
from tests.servers import PostgresServer, SeaweedS3Server

EXAMPLES_PER_OPERATION = 6

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture(scope="module", params=BACKENDS)
def served(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    pki: DevPki,
    good_sig: bytes,
) -> Iterator[Api]:
    """docex on each deployment shape, with two facilities and one accepted document, so
    that listings answer with items to check against their schemas. PostgreSQL finds
    what SQLite lets through (a NUL in a text, an integer past a column)."""
    root = tmp_path_factory.mktemp("schemathesis")
    config = Settings(
        database_url=f"sqlite:///{root / 'docex.sqlite3'}",
        object_store=f"local:{root / 'objects'}",
        trust=[REPO / "certs-dev" / "trust"],
        referral_expiry_interval_seconds=0,
    )
    servers = Servers()
    if request.param == "postgres-s3":
        postgres: PostgresServer = request.getfixturevalue("postgres_server")
        s3: SeaweedS3Server = request.getfixturevalue("s3_server")
        postgres.ensure_running()
        s3.ensure_running()
        servers = Servers(postgres=postgres, s3=s3)
        config = config.model_copy(
            update={
                "database_url": postgres.create_schema(),
                "object_store": f"s3://{s3.new_bucket_name()}",
                "s3_endpoint": s3.endpoint,
                "s3_access_key": s3.access_key,
                "s3_secret_key": SecretStr(s3.secret_key),
                "s3_secure": False,
                "s3_region": s3.region,
            }
        )
    engine = create_engine_from_settings(config)
    upgrade(engine)
    backend = Backend(
        name=str(request.param),
        settings=config,
        engine=engine,
        sessions=session_factory(engine),
        store=open_object_store(config),
        servers=servers,
    )
    runtime = runtime_for(backend, config)
    tokens, ids = _seed(runtime, pki)
    try:
        with runtime.verifier, serve(config, runtime) as url:
            api = Api(url=url, runtime=runtime, backend=backend, tokens=tokens, facility_ids=ids)
            with api.client("a") as a:
                assert submit(a, good_sig).status_code == 201
            yield api
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def published(served: Api) -> BaseSchema:
    """The OpenAPI document as the running server publishes it."""
    return schemathesis.openapi.from_url(f"{served.url}/openapi.json", timeout=30)


def _operations() -> list[tuple[str, str, GenerationMode]]:
    # The operations are listed from the app itself when the tests are collected; the
    # run reads the document the server publishes. An operation without parameters or
    # body has no invalid request to generate: it runs with valid ones only.
    document = create_app(Settings()).openapi()
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            found.append((method.upper(), path, GenerationMode.POSITIVE))
            if operation.get("parameters") or "requestBody" in operation:
                found.append((method.upper(), path, GenerationMode.NEGATIVE))
    return found


@pytest.mark.parametrize(("method", "path", "mode"), _operations())
# An auditor's token too: a facility's reaches no handler of the audit trail (403), and
# an overflowing `actor_facility` there was a 500 only an auditor could see.
@pytest.mark.parametrize("who", ["a", "auditor"])
def test_every_answer_is_documented_and_none_is_a_server_error(
    published: BaseSchema, served: Api, method: str, path: str, mode: GenerationMode, who: str
) -> None:
    operation = published[path][method]
    token = {"Authorization": f"Bearer {served.tokens[who]}"}

    @given(case=operation.as_strategy(mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Case[Any]) -> None:
        case.call_and_validate(headers=token, checks=CHECKS)

    run()


STORED_DOCUMENT_OPERATIONS = [
    ("GET", "/api/v1/documents/{document_id}", {}, {}),
    ("GET", "/api/v1/documents/{document_id}/content", {}, {}),
    ("HEAD", "/api/v1/documents/{document_id}/content", {}, {}),
    ("GET", "/api/v1/documents/{document_id}/payload", {}, {}),
    ("GET", "/api/v1/documents/{document_id}/report", {}, {}),
    ("GET", "/api/v1/documents/{document_id}/report", {"format": "xml"}, {}),
    ("GET", "/api/v1/documents/{document_id}/report", {"format": "pdf"}, {}),
    ("GET", "/api/v1/documents/{document_id}/report", {}, {"Accept": "text/csv"}),
    ("POST", "/api/v1/documents/{document_id}/revalidate", {}, {}),
    ("POST", "/api/v1/documents/{document_id}/revalidate", {}, {"Content-Type": "text/plain"}),
    ("GET", "/api/v1/documents", {"since": "2026-12-01"}, {}),
    ("GET", "/api/v1/inbox", {}, {}),
    ("GET", "/api/v1/referrals", {}, {}),
    ("GET", "/api/v1/webhook/events", {}, {}),
]


@pytest.mark.parametrize(("method", "path", "query", "headers"), STORED_DOCUMENT_OPERATIONS)
def test_answers_about_a_stored_document_are_documented(
    published: BaseSchema,
    served: Api,
    method: str,
    path: str,
    query: dict[str, str],
    headers: dict[str, str],
) -> None:
    # Generated identifiers find nothing; these requests name the document that exists.
    with served.client("a") as a:
        (document,) = a.get("/api/v1/documents").json()["items"]
    operation = published[path][method]
    parameters = {"document_id": document["id"]} if "{document_id}" in path else None
    extra: dict[str, Any] = {}
    if "Content-Type" in headers:
        extra = {"body": b"not json", "media_type": headers["Content-Type"]}
    case = operation.Case(path_parameters=parameters, query=query or None, **extra)
    token = {"Authorization": f"Bearer {served.tokens['a']}"}
    response = case.call_and_validate(headers={**token, **headers}, checks=CHECKS)
    assert response.status_code < 500


def test_a_not_modified_answer_is_documented(published: BaseSchema, served: Api) -> None:
    with served.client("a") as a:
        (document,) = a.get("/api/v1/documents").json()["items"]
    operation = published["/api/v1/documents/{document_id}/content"]["GET"]
    case = operation.Case(path_parameters={"document_id": document["id"]})
    token = {"Authorization": f"Bearer {served.tokens['a']}"}
    etag = f'"{document["sha256"]}"'
    response = case.call_and_validate(headers={**token, "If-None-Match": etag}, checks=CHECKS)
    assert response.status_code == 304


@pytest.mark.parametrize(
    "path", ["/api/v1/audit", "/api/v1/documents", "/api/v1/documents/{document_id}"]
)
def test_answers_to_an_auditor_are_documented(
    published: BaseSchema, served: Api, path: str
) -> None:
    # The facility's token reads no audit trail: this is the 200 the generated run misses.
    with served.client("auditor") as auditor:
        (document,) = auditor.get("/api/v1/documents").json()["items"]
    parameters = {"document_id": document["id"]} if "{document_id}" in path else None
    case = published[path]["GET"].Case(path_parameters=parameters)
    token = {"Authorization": f"Bearer {served.tokens['auditor']}"}
    response = case.call_and_validate(headers=token, checks=CHECKS)
    assert response.status_code == 200
