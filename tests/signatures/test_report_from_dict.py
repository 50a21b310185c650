"""A stored report read back: ``ValidationReport.from_dict`` inverts ``to_dict`` exactly."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from docex.signatures.report import Indication, ValidationReport
from docex.signatures.trust import load_trust_store
from docex.signatures.verifier import Verifier

REPO = Path(__file__).resolve().parents[2]
SAMPLES = [
    *sorted((REPO / "certs-dev" / "samples").glob("*.p7s")),
    REPO / "certs-dev" / "samples" / "examination-result.pdf",
    *sorted((REPO / "certs-dev" / "dstu" / "samples").glob("*.p7s")),
]


@pytest.fixture(scope="module")
def reports() -> Iterator[list[ValidationReport]]:
    trust = load_trust_store([REPO / "certs-dev" / "trust", REPO / "certs-dev" / "trust-dstu"])
    with Verifier(trust) as verifier:
        yield [verifier.verify(path.read_bytes()) for path in SAMPLES]


def test_every_sample_report_reads_back_equal(reports: list[ValidationReport]) -> None:
    # Passed, failed and indeterminate reports, CAdES and PAdES, ECDSA and DSTU.
    assert {r.indication for r in reports} == set(Indication)
    for report in reports:
        data = report.to_dict()
        again = ValidationReport.from_dict(data)
        assert again == report
        assert again.to_dict() == data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(report_version="0"), "report version '0' is not '1'"),
        (lambda d: d.update(surprise=1), "report has unknown fields ['surprise']"),
        (lambda d: d.pop("validation_time"), "report lacks a field"),
        (
            lambda d: d.update(validation_time="2026-01-01T00:00:00"),
            "report.validation_time has no time zone",
        ),
        (lambda d: d.update(indication="PASSED"), "report.indication: 'PASSED' is not a"),
        (lambda d: d["document"].update(size=True), "report.document.size is not a int"),
        (lambda d: d.update(signatures={}), "report.signatures is not a list"),
        (
            lambda d: d["signatures"][0]["checks"][0].update(outcome="fine"),
            "report.signatures[0].checks[0].outcome: 'fine' is not a CheckOutcome",
        ),
    ],
)
def test_a_malformed_report_is_refused_with_where(
    reports: list[ValidationReport], change: Any, message: str
) -> None:
    data = copy.deepcopy(reports[0].to_dict())
    change(data)
    with pytest.raises(ValueError, match="^" + message.replace("[", r"\[").replace("]", r"\]")):
        ValidationReport.from_dict(data)


def test_not_an_object_is_refused() -> None:
    with pytest.raises(ValueError, match="a validation report is a JSON object"):
        ValidationReport.from_dict([])
