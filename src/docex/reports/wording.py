"""The words the human-readable reports use: Ukrainian first, English beside it.

A person reading a report should not need to know ETSI's codes, so each code is given in
words; the code itself is printed too, because it is what another validator would say.
"""

# The text is Ukrainian on purpose: Cyrillic letters that look Latin are not confusables here.
# ruff: noqa: RUF001

from __future__ import annotations

from typing import Final

from docex.signatures.report import CheckOutcome, Indication, Qualification

VERDICTS: Final = {
    Indication.TOTAL_PASSED: ("ДІЙСНИЙ", "VALID"),
    Indication.INDETERMINATE: ("НЕ ВИЗНАЧЕНО", "INDETERMINATE"),
    Indication.TOTAL_FAILED: ("НЕДІЙСНИЙ", "INVALID"),
}
"""The verdict in words (Ukrainian, English) for each indication."""

VERDICT_EXPLANATIONS: Final = {
    Indication.TOTAL_PASSED: (
        "Підпис перевірено: він цілісний і зроблений чинним сертифікатом.",
        "The signature verifies: it is intact and made with a valid certificate.",
    ),
    Indication.INDETERMINATE: (
        "Бракує доказів, щоб вирішити: це не «дійсний» і не «недійсний».",
        "The evidence needed to decide is missing: this is neither valid nor invalid.",
    ),
    Indication.TOTAL_FAILED: (
        "Підпис не є дійсним: документ змінено, підпис підроблено або сертифікат недійсний.",
        "The signature is not valid: the document changed, the signature is forged, or the"
        " certificate is not valid.",
    ),
}

VERDICT_COLOURS: Final = {
    Indication.TOTAL_PASSED: "#1B6E34",
    Indication.INDETERMINATE: "#8A5300",
    Indication.TOTAL_FAILED: "#A4161A",
}
"""Dark enough for white text at WCAG AA contrast, and told apart by words as well."""

QUALIFICATIONS: Final = {
    Qualification.QESIG: ("Кваліфікований електронний підпис", "qualified electronic signature"),
    Qualification.QESEAL: ("Кваліфікована електронна печатка", "qualified electronic seal"),
    Qualification.ADESIG_QC: (
        "Удосконалений електронний підпис на кваліфікованому сертифікаті",
        "advanced electronic signature with a qualified certificate",
    ),
    Qualification.ADESEAL_QC: (
        "Удосконалена електронна печатка на кваліфікованому сертифікаті",
        "advanced electronic seal with a qualified certificate",
    ),
    Qualification.ADESIG: ("Удосконалений електронний підпис", "advanced electronic signature"),
    Qualification.ADESEAL: ("Удосконалена електронна печатка", "advanced electronic seal"),
    Qualification.NA: ("Не застосовно (підпис не пройшов перевірку)", "not applicable"),
}

OUTCOMES: Final = {
    CheckOutcome.PASSED: ("пройдено", "passed"),
    CheckOutcome.FAILED: ("не пройдено", "failed"),
    CheckOutcome.INDETERMINATE: ("не визначено", "indeterminate"),
}

OUTCOME_COLOURS: Final = {
    CheckOutcome.PASSED: "#1B6E34",
    CheckOutcome.FAILED: "#A4161A",
    CheckOutcome.INDETERMINATE: "#8A5300",
}

CHECKS: Final = {
    "format": "Формат підпису",
    "signing_certificate": "Прив'язка сертифіката підписувача",
    "message_digest": "Цілісність даних",
    "signature_value": "Значення підпису",
    "algorithms": "Алгоритми",
    "timestamps": "Позначки часу",
    "signing_time": "Час підписання",
    "certificate_path": "Ланцюжок сертифікатів",
    "revocation": "Статус відкликання",
    "validity": "Строк дії сертифіката",
    "key_usage": "Використання ключа",
    "qualification": "Кваліфікація",
    "byte_range": "Діапазон байтів PDF",
    "byte_range_digest": "Геш діапазону байтів PDF",
    "modifications": "Зміни PDF після підписання",
    "bounds": "Межі аналізу",
    "internal": "Внутрішня помилка",
}
"""Ukrainian names of docex's checks (``docs/report.md``); the check's own name is shown too."""

TIMESTAMP_KINDS: Final = {
    "signature": ("на підпис", "signature"),
    "content": ("на вміст", "content"),
    "document": ("на документ", "document"),
}

REVOCATION_SOURCES: Final = {
    "embedded": ("у підписі", "embedded"),
    "dss": ("у DSS документа", "PDF DSS"),
    "fetched": ("отримано онлайн", "fetched"),
}


def both(pair: tuple[str, str]) -> str:
    """``Ukrainian / English``."""
    return f"{pair[0]} / {pair[1]}"
