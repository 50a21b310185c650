"""``docex demo-seed`` (what ``make run`` seeds) and the curl example it prints."""

from __future__ import annotations

import itertools
import re
import shlex
from pathlib import Path

import httpx
import pytest

from docex.cli.exit_codes import ExitCode
from docex.domain import TokenRole
from docex.registry.employees import find_active_employee
from docex.registry.facilities import get_facility_by_edrpou
from docex.registry.tokens import authenticate
from docex.services.demo import DEMO_FACILITIES, read_demo_people
from tests.cli.conftest import REPO, CliEnv, Docex, one_line_error
from tests.cli.serving import running

CERTS = REPO / "certs-dev" / "certs"
# Every way a doctor's certificate can be wrong has one demo employee, so that a demo
# shows that reason rather than "signer unknown".
DOCTORS = (
    "doctor-ecdsa",
    "doctor-rsa",
    "doctor2-ecdsa",
    "nonqualified",
    "no-qscd",
    "no-nonrep",
    "revoked",
    "expired",
)
TOKEN_LINE = re.compile(r"^  (facility (\d{8})|auditor)\s+(dxt_\S+)$", re.MULTILINE)


def test_people_are_read_from_the_certificates() -> None:
    people = {p.label: p for p in read_demo_people(CERTS)}
    assert set(DOCTORS) <= set(people)
    assert "facility-seal" not in people  # a seal names no person
    assert not {"root-ca", "issuing-ca", "tsa"} & set(people)
    doctor = people["doctor-ecdsa"]
    assert (doctor.rnokpp, doctor.edrpou, doctor.full_name) == (
        "3012345670",
        "38291045",
        "Шевченко Олена Петрівна",
    )
    assert people["doctor2-ecdsa"].edrpou == "40123457"
    assert {p.edrpou for p in people.values()} == {edrpou for edrpou, _ in DEMO_FACILITIES}


def test_demo_facilities_are_the_dev_pki_ones() -> None:
    readme = (REPO / "certs-dev" / "README.md").read_text(encoding="utf-8")
    for edrpou, name in DEMO_FACILITIES:
        assert f'EDRPOU {edrpou} "{name}"' in readme


def test_a_folder_without_doctors_is_refused(docex: Docex, tmp_path: Path) -> None:
    result = docex("demo-seed", "--certs", str(tmp_path))
    assert result.exit_code == ExitCode.USAGE
    assert one_line_error(result).startswith("no doctor certificates")


def _seed(docex: Docex) -> dict[str, str]:
    result = docex("demo-seed")
    assert result.exit_code == ExitCode.OK, result.output
    return {edrpou or "auditor": token for _, edrpou, token in TOKEN_LINE.findall(result.stdout)}


def test_seeding_registers_every_doctor_and_prints_working_tokens(
    docex: Docex, cli_env: CliEnv
) -> None:
    tokens = _seed(docex)
    assert set(tokens) == {"38291045", "40123457", "auditor"}
    with cli_env.session() as session:
        for holder, token in tokens.items():
            principal = authenticate(session, policy=cli_env.policy(), token=token)
            if holder == "auditor":
                assert principal.role is TokenRole.AUDITOR
            else:
                assert principal.facility_edrpou == holder
        for person in read_demo_people(CERTS):
            facility = get_facility_by_edrpou(session, edrpou=person.edrpou)
            employee = find_active_employee(session, facility_id=facility.id, rnokpp=person.rnokpp)
            assert employee is not None, person.label
            assert employee.full_name == person.full_name


def test_seeding_again_adds_nothing_and_says_so(docex: Docex) -> None:
    _seed(docex)
    before = [docex(*cmd, "--all", "--format", "json").stdout for cmd in _LISTINGS]
    again = docex("demo-seed")
    assert again.exit_code == ExitCode.OK
    assert again.stdout.startswith("Demo data already present")
    assert "dxt_" not in again.stdout
    assert "token issue --facility 38291045" in again.stdout
    assert [docex(*cmd, "--all", "--format", "json").stdout for cmd in _LISTINGS] == before


_LISTINGS = (("facility", "list"), ("employee", "list"), ("token", "list"))


def test_a_revoked_demo_token_is_replaced(docex: Docex) -> None:
    tokens = _seed(docex)
    assert docex("token", "revoke", "3").exit_code == ExitCode.OK  # the auditor's
    again = _seed(docex)
    assert set(again) == {"auditor"}
    assert again["auditor"] != tokens["auditor"]


def test_production_gets_no_demo_data(
    docex: Docex, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "trust").mkdir()
    monkeypatch.setenv("DOCEX_ENVIRONMENT", "production")
    monkeypatch.setenv("DOCEX_TOKEN_PEPPER", "p" * 8 + "-a-long-enough-production-pepper")
    monkeypatch.setenv("DOCEX_TRUST", str(tmp_path / "trust"))
    result = docex("demo-seed")
    assert result.exit_code == ExitCode.USAGE
    assert "refusing with environment=production" in one_line_error(result)


def _curl_fields(output: str) -> tuple[dict[str, str], dict[str, Path], str]:
    """The form fields, files and Authorization header of the printed curl command."""
    command = output[output.index("curl ") :].split("\n\n")[0].replace("\\\n", " ")
    words = shlex.split(command)
    fields: dict[str, str] = {}
    files: dict[str, Path] = {}
    header = ""
    for flag, value in itertools.pairwise(words):
        if flag == "-F":
            name, _, content = value.partition("=")
            if content.startswith("@"):
                files[name] = REPO / content[1:]
            else:
                fields[name] = content
        elif flag == "-H":
            header = value.removeprefix("Authorization: ")
    return fields, files, header


def test_the_printed_curl_example_submits_the_sample(docex: Docex, cli_env: CliEnv) -> None:
    result = docex("demo-seed")
    tokens = {edrpou or "auditor": token for _, edrpou, token in TOKEN_LINE.findall(result.stdout)}
    fields, files, authorization = _curl_fields(result.stdout)
    assert files == {"file": REPO / "certs-dev" / "samples" / "referral.p7s"}
    # The signed content says everything else: patient, author, performer, service.
    assert fields == {"kind": "referral"}
    assert authorization == f"Bearer {tokens['38291045']}"
    uploads = {name: (path.name, path.read_bytes()) for name, path in files.items()}
    # A generous timeout: the first request starts the verifier workers, slow on a busy machine.
    with (
        running(cli_env.root / "serve.log") as url,
        httpx.Client(base_url=url, timeout=60) as client,
    ):
        response = client.post(
            "/api/v1/documents",
            data=fields,
            files=uploads,
            headers={"Authorization": authorization},
        )
        assert response.status_code == 201, response.text
        verdict = response.json()
        assert (verdict["indication"], verdict["qualification"]) == ("TOTAL_PASSED", "QESig")

        # The non-qualified doctor is a registered employee of facility 40123457, so the
        # refusal names the signature, which is what a demo of it should show.
        sample = REPO / "certs-dev" / "samples" / "referral-nonqualified.p7s"
        refused = client.post(
            "/api/v1/documents",
            data={"kind": "referral"},
            files={"file": (sample.name, sample.read_bytes())},
            headers={"Authorization": f"Bearer {tokens['40123457']}"},
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["type"].endswith(":signature-rejected")


def test_every_format_sample_is_accepted_as_its_kind(docex: Docex, cli_env: CliEnv) -> None:
    # What certs-dev/README.md promises of the format samples, against the demo registry:
    # (submitting facility, kind, parts, the facility whose inbox it lands in).
    tokens = _seed(docex)
    cases = [
        ("38291045", "referral", {"file": "referral.json.p7s", "content": "referral.json"}, None),
        ("40123457", "examination_result", {"file": "result.p7s"}, "38291045"),
        (
            "38291045",
            "medical_document",
            {"file": "examination-result.pdf", "manifest": "examination-result.pdf.manifest.p7s"},
            "40123457",
        ),
    ]
    samples = REPO / "certs-dev" / "samples"
    with (
        running(cli_env.root / "serve.log") as url,
        httpx.Client(base_url=f"{url}/api/v1", timeout=60) as client,
    ):
        for edrpou, kind, parts, recipient in cases:
            response = client.post(
                "/documents",
                data={"kind": kind},
                files={part: (name, (samples / name).read_bytes()) for part, name in parts.items()},
                headers={"Authorization": f"Bearer {tokens[edrpou]}"},
            )
            assert response.status_code == 201, (kind, response.text)
            document = response.json()
            assert (document["kind"], document["patient_ref"]) == (kind, "1234567890")
            assert (document["indication"], document["qualification"]) == ("TOTAL_PASSED", "QESig")
            if recipient is None:
                # The unaddressed referral waits to be taken by its requisition number.
                assert document["referral"]["status"] == "active"
                continue
            inbox = client.get(
                "/inbox",
                params={"kind": kind},
                headers={"Authorization": f"Bearer {tokens[recipient]}"},
            ).json()
            assert [item["document"]["id"] for item in inbox["items"]] == [document["id"]]
