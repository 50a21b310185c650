"""The PDF validation report: what a person reads in it, read back with pypdf.

The reports come from real verifications (``conftest.py``); the text is extracted from the
PDF, so a font that cannot show Cyrillic, or a value left out, fails here.
"""

# The expected text is Ukrainian on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject
from reportlab.lib import colors
from reportlab.lib.rl_accel import fp_str

from docex import __version__
from docex.reports.pdf import pdf_validation_report
from docex.reports.wording import VERDICT_COLOURS
from docex.signatures.report import CheckOutcome
from tests.reports.conftest import Case

GENERATED_AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
VERDICT_WORDS = {
    "cades-valid": "ДІЙСНИЙ — VALID",
    "dstu-valid": "ДІЙСНИЙ — VALID",
    "cades-tampered": "НЕДІЙСНИЙ — INVALID",
    "pades-changed": "НЕДІЙСНИЙ — INVALID",
    "cades-untrusted": "НЕ ВИЗНАЧЕНО — INDETERMINATE",
}
QUALIFICATION_WORDS = {
    "cades-valid": "Кваліфікований електронний підпис",
    "dstu-valid": "Кваліфікований електронний підпис",
    "cades-tampered": "Не застосовно",
    "pades-changed": "Не застосовно",
    "cades-untrusted": "Не застосовно",
}


def _render(case: Case) -> bytes:
    return pdf_validation_report(case.report, trust=case.trust, generated_at=GENERATED_AT)


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture(scope="module")
def texts(cases: dict[str, Case]) -> dict[str, str]:
    return {name: _text(_render(case)) for name, case in cases.items()}


@pytest.mark.parametrize("name", sorted(VERDICT_WORDS))
def test_the_summary_gives_the_verdict_in_words_and_codes_first(
    cases: dict[str, Case], texts: dict[str, str], name: str
) -> None:
    case, text = cases[name], texts[name]
    first_page = text.split("сторінка / page 1")[1]
    words = VERDICT_WORDS[name]
    codes = case.indication.value + (f" / {case.sub_indication}" if case.sub_indication else "")
    # The banner comes before any per-signature detail.
    assert first_page.index(words) < first_page.index("Підпис / Signature")
    assert codes in first_page
    assert QUALIFICATION_WORDS[name] in first_page
    assert f"({case.qualification.value})" in first_page


@pytest.mark.parametrize("name", sorted(VERDICT_WORDS))
def test_the_signer_name_is_intact_cyrillic_and_the_sha256_is_given(
    cases: dict[str, Case], texts: dict[str, str], name: str
) -> None:
    case, text = cases[name], texts[name]
    assert case.signer in text
    assert any("\u0400" <= ch <= "\u04ff" for ch in case.signer)
    assert case.report.document.sha256 in text
    (sig,) = case.report.signatures
    assert sig.signer is not None
    assert sig.signer.rnokpp is not None
    assert sig.signer.rnokpp in text


@pytest.mark.parametrize("name", sorted(VERDICT_WORDS))
def test_version_trust_and_times_are_stated(
    cases: dict[str, Case], texts: dict[str, str], name: str
) -> None:
    case, text = cases[name], texts[name]
    assert f"docex {__version__}" in text
    assert " ".join(case.trust.split()) in " ".join(text.split())
    assert "2026-12-01 09:30:00 UTC (11:30:00 Київ)" in text
    validated = case.report.validation_time.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    assert validated in text


@pytest.mark.parametrize("name", sorted(VERDICT_WORDS))
def test_every_check_is_listed_with_its_outcome_and_message(
    cases: dict[str, Case], texts: dict[str, str], name: str
) -> None:
    (sig,) = cases[name].report.signatures
    flat = " ".join(texts[name].split())
    for check in sig.checks:
        assert check.name in flat
        assert " ".join(check.message.split()) in flat
    failed = [c for c in sig.checks if c.outcome is CheckOutcome.FAILED]
    assert ("не пройдено / failed" in flat) is bool(failed)


def test_a_change_after_signing_is_reported_as_the_modification(
    texts: dict[str, str],
) -> None:
    flat = " ".join(texts["pades-changed"].split())
    section = flat.split("Зміни після підписання / Modifications after signing")[1]
    assert section.lstrip().startswith(
        'не пройдено / failed: field "diagnosis" changed after signature 1'
    )
    cades = " ".join(texts["cades-valid"].split())
    assert "Not applicable to CAdES" in cades


@pytest.mark.parametrize("name", ["cades-valid", "dstu-valid"])
def test_chain_revocation_and_time_stamps_are_detailed(
    cases: dict[str, Case], texts: dict[str, str], name: str
) -> None:
    (sig,) = cases[name].report.signatures
    text = texts[name]
    for cert in sig.certificate_chain:
        assert cert.sha256 in text
    assert "якір довіри / trust anchor" in " ".join(text.split())
    for evidence in sig.revocation:
        assert evidence.sha256 in text
    assert sig.timestamp_time is not None
    stamp = sig.timestamp_time.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    assert f"позначка часу / time-stamp {stamp}" in " ".join(text.split())


def test_without_a_path_no_certificate_is_called_the_trust_anchor(texts: dict[str, str]) -> None:
    flat = " ".join(texts["cades-untrusted"].split())
    assert "1. підписувач / signer" in flat
    assert "якір довіри / trust anchor" not in flat


def test_the_font_is_embedded(cases: dict[str, Case]) -> None:
    reader = PdfReader(io.BytesIO(_render(cases["dstu-valid"])))
    for page in reader.pages:
        resources = page["/Resources"].get_object()
        assert isinstance(resources, DictionaryObject)
        font_dict = resources["/Font"].get_object()
        assert isinstance(font_dict, DictionaryObject)
        fonts = [f.get_object() for f in font_dict.values()]
        # Only the embedded DejaVu subsets: no font the reader would have to supply.
        assert {str(f["/BaseFont"]).split("+")[1] for f in fonts} == {
            "DejaVuSans",
            "DejaVuSans-Bold",
        }
        assert all("/FontFile2" in f["/FontDescriptor"].get_object() for f in fonts)
        assert all("/ToUnicode" in f for f in fonts)


def test_a_naive_generation_time_is_refused(cases: dict[str, Case]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        pdf_validation_report(
            cases["cades-valid"].report,
            trust="x",
            generated_at=datetime(2026, 12, 1),  # noqa: DTZ001 - naive on purpose
        )


def test_every_signer_is_in_the_summary_and_has_a_section(two_signers: Case) -> None:
    report = two_signers.report
    flat = " ".join(_text(_render(two_signers)).split())
    summary, _, detail = flat.partition("Підпис / Signature")
    for sig in report.signatures:
        assert sig.signer is not None
        assert f"{sig.signer.common_name} — {sig.id}" in summary
    assert "Кваліфікована електронна печатка" in detail
    assert flat.count("Підпис / Signature ") == len(report.signatures) == 2


@pytest.mark.parametrize("name", sorted(VERDICT_WORDS))
def test_the_banner_is_painted_in_the_verdicts_colour(cases: dict[str, Case], name: str) -> None:
    case = cases[name]
    page = PdfReader(io.BytesIO(_render(case))).pages[0]
    content = page.get_contents()
    assert content is not None
    stream = content.get_data().decode("latin-1")
    # The banner is the first filled rectangle of the page; its fill colour is set just
    # before it, as reportlab writes colours ("r g b rg").
    before_fill = stream[: stream.index(" re f*")]
    fill = before_fill.rsplit(" rg", 1)[0].rsplit("\n", 1)[1]
    colour = colors.HexColor(VERDICT_COLOURS[case.indication])
    assert fill == fp_str(colour.red, colour.green, colour.blue)
