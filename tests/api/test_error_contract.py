"""The API's one error contract over real HTTP: input errors are one problem type, a body
in the wrong media type is 415, a date-time parameter without a time zone is 422."""

from __future__ import annotations

import gc
from typing import Any

import httpx
import pytest

from tests.api.conftest import REFERRAL, Api

INPUT = "urn:docex:problem:input"
UNSUPPORTED = "urn:docex:problem:unsupported-media-type"


def problem(response: httpx.Response, status: int, problem_type: str) -> dict[str, Any]:
    """The problem body, checked to be the expected status and type as problem+json."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert (body["type"], body["status"]) == (problem_type, status)
    return body


LISTINGS = [
    ("a", "/api/v1/documents", "since"),
    ("a", "/api/v1/inbox", "since"),
    ("auditor", "/api/v1/audit", "since"),
    ("auditor", "/api/v1/audit", "until"),
]


@pytest.mark.parametrize(("who", "path", "name"), LISTINGS)
@pytest.mark.parametrize("value", ["2026-12-01", "2026-12-01T10:00:00"])
def test_naive_datetime_parameters_are_the_input_problem_naming_them(
    api: Api, who: str, path: str, name: str, value: str
) -> None:
    with api.client(who) as client:
        body = problem(client.get(path, params={name: value}), 422, INPUT)
    assert body["invalid_params"] == [
        {
            "name": name,
            "in": "query",
            "reason": "needs a time zone: an RFC 3339 date-time such as "
            "2026-12-01T00:00:00Z or 2026-12-01T00:00:00+02:00",
        }
    ]
    assert body["detail"].startswith(f"{name}: needs a time zone")


@pytest.mark.parametrize(("who", "path", "name"), LISTINGS)
def test_datetime_parameters_with_a_zone_are_accepted(
    api: Api, who: str, path: str, name: str
) -> None:
    # Nothing is newer than 2100 or older than 2000: a filter that was applied finds none.
    year = "2000" if name == "until" else "2100"
    with api.client(who) as client:
        for value in (f"{year}-01-01T00:00:00Z", f"{year}-01-01T02:00:00+02:00"):
            response = client.get(path, params={name: value})
            assert response.status_code == 200, response.text
            assert response.json()["items"] == []


@pytest.mark.parametrize(
    ("who", "path", "name", "low"),
    [
        ("auditor", "/api/v1/audit", "actor_token", -(2**31)),
        ("a", "/api/v1/documents/00000000-0000-4000-8000-000000000000/report", "revalidation", 1),
    ],
)
@pytest.mark.parametrize("value", [2**31, 2**63, 10**40])
def test_integers_no_database_column_holds_are_the_input_problem(
    api: Api, who: str, path: str, name: str, low: int, value: int
) -> None:
    # Found by schemathesis: GET /api/v1/audit?actor_facility=<2**63> was a 500 (an
    # OverflowError from the SQLite driver; PostgreSQL refuses 2**31 already). That filter
    # names a facility by EDRPOU now; the token and revalidation ids are still integers.
    with api.client(who) as client:
        body = problem(client.get(path, params={name: str(value)}), 422, INPUT)
    assert body["invalid_params"] == [
        {"name": name, "in": "query", "reason": f"is out of range: {low} to 2147483647"}
    ]


def test_the_largest_integers_are_accepted(api: Api) -> None:
    with api.client("auditor") as auditor:
        for value in (2**31 - 1, -(2**31)):
            response = auditor.get("/api/v1/audit", params={"actor_token": str(value)})
            assert response.status_code == 200, response.text
            assert response.json()["items"] == []


NUL = "may not contain the NUL character (U+0000)"


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/audit", "action"),
        ("/api/v1/audit", "target_id"),
        ("/api/v1/documents", "patient"),
    ],
)
def test_a_parameter_holding_nul_is_the_input_problem(api: Api, path: str, name: str) -> None:
    # PostgreSQL's text cannot hold U+0000: GET /api/v1/audit?action=a%00b was a 500 there.
    with api.client("auditor") as auditor:
        body = problem(auditor.get(path, params={name: "a\x00b"}), 422, INPUT)
    assert body["invalid_params"] == [{"name": name, "in": "query", "reason": NUL}]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"requisition_number": "R-1\x00", "patient_ref": "p"}, "requisition_number"),
        ({"requisition_number": "R-1", "patient_ref": "p", "x\x00": 1}, "x\x00"),
    ],
)
def test_a_json_field_holding_nul_is_the_input_problem(
    api: Api, payload: dict[str, Any], field: str
) -> None:
    with api.client("a") as a:
        body = problem(a.post("/api/v1/referrals/take", json=payload), 422, INPUT)
    assert body["invalid_params"] == [{"name": field, "in": "body", "reason": NUL}]


def test_a_json_body_quoting_a_backslash_u_is_not_refused(api: Api) -> None:
    # A backslash followed by "u0000" is six characters of text, not a NUL character.
    with api.client("a") as a:
        response = a.post(
            "/api/v1/referrals/take",
            json={"requisition_number": "\\u0000", "patient_ref": "p"},
        )
    problem(response, 404, "urn:docex:problem:not-found")


def test_framework_and_service_input_errors_share_one_type(api: Api) -> None:
    with api.client("a") as a:
        by_framework = problem(a.get("/api/v1/documents", params={"limit": "many"}), 422, INPUT)
        by_service = problem(a.put("/api/v1/webhook", json={"url": "ftp://x.example/"}), 422, INPUT)
        malformed_json = problem(
            a.put(
                "/api/v1/webhook",
                content=b"{not json",
                headers={"Content-Type": "application/json"},
            ),
            422,
            INPUT,
        )
    (limit,) = by_framework["invalid_params"]
    assert (limit["name"], limit["in"]) == ("limit", "query")
    assert by_framework["title"] == by_service["title"] == "Invalid request"
    assert malformed_json["invalid_params"][0]["in"] == "body"


@pytest.mark.parametrize(
    ("method", "path", "content_type"),
    [
        ("POST", "/api/v1/documents", "text/plain"),
        ("POST", "/api/v1/documents", "application/pkcs7-signature"),
        ("POST", "/api/v1/documents", None),
        ("PUT", "/api/v1/webhook", "text/plain"),
        ("PUT", "/api/v1/webhook", "application/x-www-form-urlencoded"),
        ("POST", "/api/v1/referrals/take", "application/xml"),
    ],
)
def test_a_body_in_a_media_type_the_operation_does_not_accept_is_415(
    api: Api, method: str, path: str, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    with api.client("a") as a:
        response = a.request(method, path, content=REFERRAL, headers=headers)
    body = problem(response, 415, UNSUPPORTED)
    documented = api_media_types(api, method, path)
    assert response.headers["accept"] == ", ".join(documented)
    shown = f"Content-Type {content_type}" if content_type else "no Content-Type"
    assert body["detail"] == f"{shown}: this operation accepts {', '.join(documented)}"


def test_ack_takes_a_multipart_receipt_or_no_body_only(api: Api) -> None:
    path = "/api/v1/deliveries/00000000-0000-4000-8000-000000000000/ack"
    with api.client("a") as a:
        json_body = a.post(path, json={"receipt": "x"})
        bare = a.post(path)
    problem(json_body, 415, UNSUPPORTED)
    # Without a body the contract has nothing to refuse: the delivery is looked up.
    problem(bare, 404, "urn:docex:problem:not-found")


def test_unknown_paths_and_methods_are_problems(api: Api) -> None:
    with api.client("a") as a:
        missing = problem(a.get("/api/v1/nothing-here"), 404, "urn:docex:problem:not-found")
        wrong_method = a.patch("/api/v1/webhook", json={})
    assert missing["detail"] == "Not Found"
    problem(wrong_method, 405, "urn:docex:problem:method-not-allowed")
    # Every method of every route on the path, not only those of the first one tried.
    assert wrong_method.headers["allow"] == "DELETE, GET, PUT"


def test_a_malformed_multipart_body_is_the_input_problem(api: Api) -> None:
    with api.client("a") as a:
        response = a.post(
            "/api/v1/documents",
            content=b"--nope\r\nnot a part",
            headers={"Content-Type": "multipart/form-data"},
        )
    problem(response, 422, INPUT)


def api_media_types(api: Api, method: str, path: str) -> list[str]:
    with api.client(None) as anonymous:
        document = anonymous.get("/openapi.json").json()
    content = document["paths"][path][method.lower()]["requestBody"]["content"]
    return list(content)


@pytest.mark.parametrize(
    "form",
    [
        # A detached content part without the signature part it belongs to.
        {"files": {"content": ("content.txt", REFERRAL)}, "data": {"kind": "referral"}},
        # Both parts, and a field that does not validate.
        {
            "files": {"file": ("s.p7s", REFERRAL), "content": ("c.txt", REFERRAL)},
            "data": {"kind": "no-such-kind", "patient_ref": "p"},
        },
    ],
)
def test_a_refused_form_leaves_no_file_open(api: Api, form: dict[str, Any]) -> None:
    # The server runs in this process: a spooled part left open would be reported by
    # pytest as an unraisable ResourceWarning, which the configuration makes an error.
    with api.client("a") as a:
        response = a.post("/api/v1/documents", **form)
    problem(response, 422, INPUT)
    gc.collect()
