"""A PDF validation report a person can hand to a court or a commission.

:func:`pdf_validation_report` renders a :class:`~docex.signatures.report.ValidationReport`
with reportlab: the summary first (the verdict in words and colour, the qualification, who
signed and when, the document's SHA-256), then one section per signature (every check with
its outcome and message, the certificate chain, revocation data, time-stamps, changes to a
PDF after signing), and last what the validation was made with (docex's version, the trust
configuration, the validation time). Labels are Ukrainian first, English beside them;
times are given in UTC and in Kyiv time.

The text is set in DejaVu Sans, embedded in the PDF (``fonts/``; see its README), so
Ukrainian names render on any reader.
"""

# The text is Ukrainian on purpose: Cyrillic letters that look Latin are not confusables here.
# ruff: noqa: RUF001

from __future__ import annotations

import io
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Final
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from docex import __version__
from docex.reports.wording import (
    CHECKS,
    OUTCOME_COLOURS,
    OUTCOMES,
    QUALIFICATIONS,
    REVOCATION_SOURCES,
    TIMESTAMP_KINDS,
    VERDICT_COLOURS,
    VERDICT_EXPLANATIONS,
    VERDICTS,
    both,
)
from docex.signatures.report import (
    Indication,
    Qualification,
    SignatureReport,
    SubIndication,
    ValidationReport,
)

FONT_DIR: Final = Path(__file__).resolve().parent / "fonts"
FONT: Final = "DejaVuSans"
FONT_BOLD: Final = "DejaVuSans-Bold"

_PAGE_WIDTH, _PAGE_HEIGHT = A4
_MARGIN: Final = 18 * mm
_WIDTH: Final = _PAGE_WIDTH - 2 * _MARGIN
_LABEL_WIDTH: Final = 48 * mm
_GRID: Final = colors.HexColor("#B8B8B8")
_SHADE: Final = colors.HexColor("#F0F0F0")
# A table sets its cells' font even when they hold paragraphs; its default is Helvetica.
_TABLE_FONT: Final = [("FONTNAME", (0, 0), (-1, -1), FONT)]


def pdf_validation_report(
    report: ValidationReport, *, trust: str, generated_at: datetime | None = None
) -> bytes:
    """The report as a PDF document (bytes).

    :param trust: a description of the trust configuration the report was made under, as
        the verifier's ``trust.describe()`` gives it; the report model does not carry it.
    :param generated_at: when the PDF is made (timezone-aware; now by default). It is
        printed beside the validation time, which is when the validation is made *as of*.
    """
    if generated_at is not None and generated_at.tzinfo is None:
        raise ValueError("generated_at must be timezone-aware")
    moment = generated_at or datetime.now(UTC)
    _register_fonts()
    styles = _Styles()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_MARGIN + 4 * mm,
        title="Протокол перевірки електронного підпису / Signature validation report",
        author=f"docex {__version__}",
        subject=f"SHA-256 {report.document.sha256}",
        creator=f"docex {__version__}",
        # Without it the canvas declares Helvetica, a font without Cyrillic, on every page.
        initialFontName=FONT,
    )
    story: list[Flowable] = []
    story += _summary(report, styles)
    for sig in report.signatures:
        story += _signature_section(sig, report, styles)
    story += _about(report, trust, moment, styles)

    def footer(canvas: Canvas, _doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(
            _MARGIN, _MARGIN, f"docex {__version__} · SHA-256 {report.document.sha256}"
        )
        canvas.drawRightString(
            _PAGE_WIDTH - _MARGIN, _MARGIN, f"сторінка / page {canvas.getPageNumber()}"
        )
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


@cache
def _register_fonts() -> None:
    # reportlab's font registry is process-wide; registering once is enough and cheap.
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD)


class _Styles:
    def __init__(self) -> None:
        # Bullets too: their default font is Helvetica, which has no Cyrillic.
        base = ParagraphStyle("body", fontName=FONT, bulletFontName=FONT, fontSize=9, leading=11.5)
        self.body = base
        self.small = ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5)
        self.mono = ParagraphStyle("mono", parent=base, fontSize=7.5, leading=9.5)
        self.title = ParagraphStyle(
            "title", parent=base, fontName=FONT_BOLD, fontSize=15, leading=19, spaceAfter=6
        )
        self.h2 = ParagraphStyle(
            "h2",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=12,
            leading=15,
            spaceBefore=10,
            keepWithNext=1,
        )
        self.h3 = ParagraphStyle(
            "h3",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=9.5,
            leading=12,
            spaceBefore=7,
            keepWithNext=1,
        )
        self.banner = ParagraphStyle(
            "banner",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=20,
            leading=25,
            alignment=TA_CENTER,
            textColor=colors.white,
        )
        self.banner_note = ParagraphStyle(
            "banner-note", parent=base, alignment=TA_CENTER, textColor=colors.white
        )


def _summary(report: ValidationReport, st: _Styles) -> list[Flowable]:
    story: list[Flowable] = [
        Paragraph("Протокол перевірки електронного підпису", st.title),
        Paragraph("Signature validation report", st.h3),
        Spacer(1, 4 * mm),
        _banner(report.indication, _codes(report.indication, report.sub_indication), st),
        Spacer(1, 4 * mm),
    ]
    signers = [
        f"{_text(_signer_name(s))} — {s.id}, {_text(_signing_time(s))}" for s in report.signatures
    ]
    rows = [
        ("Кваліфікація / Qualification", _qualification(report.qualification)),
        ("Причина / Reason", _text(report.message)),
        ("Підписувач / Signer", "<br/>".join(signers) or "—"),
        ("Документ / Document", _document(report)),
        ("SHA-256 документа / of the document", _mono(report.document.sha256)),
        ("Перевірено станом на / Validated as of", _when(report.validation_time)),
        (
            "Відкликання онлайн / Online revocation",
            "так / yes" if report.online else "ні, лише вбудовані дані / no, embedded data only",
        ),
    ]
    story.append(_key_values(rows, st))
    return story


def _banner(indication: Indication, codes: str, st: _Styles) -> Table:
    words = VERDICTS[indication]
    explanation = VERDICT_EXPLANATIONS[indication]
    cell = [
        Paragraph(f"{words[0]} — {words[1]}", st.banner),
        Paragraph(_text(codes), st.banner_note),
        Paragraph(f"{_text(explanation[0])}<br/>{_text(explanation[1])}", st.banner_note),
    ]
    table = Table([[cell]], colWidths=[_WIDTH])
    table.setStyle(
        TableStyle(
            [
                *_TABLE_FONT,
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(VERDICT_COLOURS[indication])),
                ("TOPPADDING", (0, 0), (-1, -1), 8),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 10),
            ]
        )
    )
    return table


def _signature_section(
    sig: SignatureReport, report: ValidationReport, st: _Styles
) -> list[Flowable]:
    colour = VERDICT_COLOURS[sig.indication]
    words = VERDICTS[sig.indication]
    story: list[Flowable] = [
        Paragraph(f"Підпис / Signature {_text(sig.id)}", st.h2),
        Paragraph(
            f'<font color="{colour}"><b>{words[0]} — {words[1]}</b></font> · '
            f"{_text(_codes(sig.indication, sig.sub_indication))} · {_text(sig.message)}",
            st.body,
        ),
        Spacer(1, 2 * mm),
    ]
    signer = sig.signer
    rows = [
        (
            "Формат / Format",
            _text(sig.format) + (f", шар / layer {sig.layer}" if sig.layer else ""),
        ),
        ("Кваліфікація / Qualification", _qualification(sig.qualification)),
        ("Підписувач / Signer", _text(_signer_name(sig))),
    ]
    if signer is not None:
        rows += [
            ("РНОКПП / RNOKPP", _text(signer.rnokpp or "—")),
            ("ЄДРПОУ / EDRPOU", _text(signer.edrpou or "—")),
            ("Організація / Organisation", _text(signer.organization or "—")),
            ("Суб'єкт сертифіката / Subject", _text(signer.subject)),
        ]
    rows += [
        ("Заявлений час / Claimed signing time", _when(sig.claimed_signing_time)),
        ("Позначка часу / Time-stamp time", _when(sig.timestamp_time)),
        ("Найкращий час підпису / Best signature time", _when(sig.best_signature_time)),
    ]
    story.append(_key_values(rows, st))

    story.append(Paragraph("Перевірки / Checks", st.h3))
    story.append(
        _grid(
            ["Перевірка / Check", "Результат / Outcome", "Повідомлення / Message"],
            [
                [
                    f"{_text(CHECKS.get(c.name, c.name))}<br/>"
                    f'<font size="7" color="#555555">{_text(c.name)}</font>',
                    f'<font color="{OUTCOME_COLOURS[c.outcome]}"><b>'
                    f"{both(OUTCOMES[c.outcome])}</b></font>",
                    _text(c.message),
                ]
                for c in sig.checks
            ],
            [38 * mm, 26 * mm, _WIDTH - 64 * mm],
            st,
        )
    )

    story.append(Paragraph("Ланцюжок сертифікатів / Certificate chain", st.h3))
    chain_rows = []
    # The last certificate is a trust anchor only when a path to one was found.
    anchor = (
        len(sig.certificate_chain) - 1
        if sig.sub_indication is not SubIndication.NO_CERTIFICATE_CHAIN_FOUND
        else None
    )
    for n, cert in enumerate(sig.certificate_chain):
        role = "підписувач / signer" if n == 0 else "ЦСК / CA"
        if n == anchor and n > 0:
            role = "якір довіри / trust anchor"
        chain_rows.append(
            [
                f"{n + 1}. {role}",
                f"{_text(cert.subject)}<br/>"
                f'<font size="7">видавець / issuer: {_text(cert.issuer)}<br/>'
                f"серійний / serial: {_text(cert.serial_number)}<br/>"
                f"SHA-256: {_text(cert.sha256)}<br/>"
                f"дійсний / valid: {_when(cert.not_before)} — {_when(cert.not_after)}</font>",
            ]
        )
    story.append(
        _grid(["#", "Сертифікат / Certificate"], chain_rows, [30 * mm, _WIDTH - 30 * mm], st)
    )

    story.append(Paragraph("Дані про відкликання / Revocation data", st.h3))
    # The issuer column is wide enough for a SHA-256 in hex on one line.
    story.append(
        _grid(
            ["Вид, джерело / Kind, source", "Видавець / Issuer", "Випущено / Issued"],
            [
                [
                    f"{_text(r.kind.upper())}<br/>"
                    f"{both(REVOCATION_SOURCES.get(r.source, (r.source, r.source)))}",
                    f'{_text(r.issuer)}<br/>SHA-256:<br/><font size="7">{_text(r.sha256)}</font>',
                    f"{_when(r.issued_at)}<br/>наступне / next: {_when(r.next_update)}",
                ]
                for r in sig.revocation
            ],
            [28 * mm, 108 * mm, _WIDTH - 136 * mm],
            st,
        )
    )

    story.append(Paragraph("Позначки часу / Time-stamps", st.h3))
    story.append(
        _grid(
            ["Вид / Kind", "Час / Time", "TSA", "Результат / Result"],
            [
                [
                    both(TIMESTAMP_KINDS.get(t.kind, (t.kind, t.kind))),
                    _when(t.time),
                    _text(t.tsa),
                    f'<font color="{VERDICT_COLOURS[t.indication]}"><b>'
                    f"{both(VERDICTS[t.indication])}</b></font><br/>{_text(t.message)}",
                ]
                for t in sig.timestamps
            ],
            [26 * mm, 40 * mm, 50 * mm, _WIDTH - 116 * mm],
            st,
        )
    )

    story.append(Paragraph("Зміни після підписання / Modifications after signing", st.h3))
    story.append(Paragraph(_modifications(sig, report), st.body))
    return story


def _about(
    report: ValidationReport, trust: str, generated_at: datetime, st: _Styles
) -> list[Flowable]:
    rows = [
        ("Програма / Software", f"docex {__version__}"),
        ("Версія звіту / Report version", _text(report.report_version)),
        ("Довіра / Trust configuration", _text(trust)),
        ("Перевірено станом на / Validated as of", _when(report.validation_time)),
        ("Протокол складено / Generated at", _when(generated_at)),
        (
            "Стандарти / Standards",
            "ETSI EN 319 102-1 (індикації / indications), ETSI TS 119 172-4 (кваліфікація /"
            " qualification), ETSI EN 319 122-1 / 319 142-1 (CAdES / PAdES)",
        ),
    ]
    return [
        KeepTogether(
            [
                Paragraph("Про перевірку / About this validation", st.h2),
                _key_values(rows, st),
                Spacer(1, 2 * mm),
                Paragraph(
                    "«Не визначено» (INDETERMINATE) не означає ні «дійсний», ні «недійсний»:"
                    " бракує доказів, щоб вирішити. / INDETERMINATE means neither valid nor"
                    " invalid: the evidence needed to decide is missing.",
                    st.small,
                ),
            ]
        )
    ]


def _key_values(rows: list[tuple[str, str]], st: _Styles) -> Table:
    data = [[Paragraph(k, st.small), Paragraph(v, st.body)] for k, v in rows]
    table = Table(data, colWidths=[_LABEL_WIDTH, _WIDTH - _LABEL_WIDTH])
    table.setStyle(
        TableStyle(
            [
                *_TABLE_FONT,
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (0, -1), _SHADE),
                ("GRID", (0, 0), (-1, -1), 0.4, _GRID),
            ]
        )
    )
    return table


def _grid(header: list[str], rows: list[list[str]], widths: list[float], st: _Styles) -> Flowable:
    if not rows:
        return Paragraph("немає / none", st.body)
    data = [[Paragraph(f"<b>{h}</b>", st.small) for h in header]]
    data += [[Paragraph(cell, st.small) for cell in row] for row in rows]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                *_TABLE_FONT,
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), _SHADE),
                ("GRID", (0, 0), (-1, -1), 0.4, _GRID),
            ]
        )
    )
    return table


def _modifications(sig: SignatureReport, report: ValidationReport) -> str:
    if report.document.kind != "pades":
        return "Не застосовно: підпис CAdES не є частиною документа. / Not applicable to CAdES."
    checks = [c for c in sig.checks if c.name == "modifications"]
    if not checks:
        # The analysis stops at the first failing check; an earlier failure leaves it out.
        return (
            "Не аналізувалися (перевірку зупинено раніше). /"
            " Not analysed (validation stopped earlier)."
        )
    (check,) = checks
    colour = OUTCOME_COLOURS[check.outcome]
    return (
        f'<font color="{colour}"><b>{both(OUTCOMES[check.outcome])}</b></font>: '
        f"{_text(check.message)}"
    )


def _document(report: ValidationReport) -> str:
    doc = report.document
    kind = "PDF (PAdES)" if doc.kind == "pades" else "CMS (CAdES)"
    detached = ", відокремлений підпис / detached signature" if doc.detached else ""
    count = len(report.signatures)
    return f"{kind}, {doc.size} байт / bytes{detached}; підписів / signatures: {count}"


def _qualification(qualification: Qualification) -> str:
    words = QUALIFICATIONS[qualification]
    return f"<b>{_text(words[0])}</b> / {_text(words[1])} ({_text(qualification.value)})"


def _codes(indication: Indication, sub_indication: str | None) -> str:
    return f"{indication.value}" + (f" / {sub_indication}" if sub_indication else "")


def _signer_name(sig: SignatureReport) -> str:
    if sig.signer is None:
        return "невідомо / unknown"
    return sig.signer.common_name or sig.signer.subject


def _signing_time(sig: SignatureReport) -> str:
    if sig.timestamp_time is not None:
        return f"позначка часу / time-stamp {_plain_when(sig.timestamp_time)}"
    if sig.claimed_signing_time is not None:
        return f"заявлено / claimed {_plain_when(sig.claimed_signing_time)}"
    return "час невідомий / time unknown"


@cache
def _kyiv() -> ZoneInfo | None:
    # The zone was renamed from Europe/Kiev in 2022; older tz databases know only that name.
    for name in ("Europe/Kyiv", "Europe/Kiev"):
        try:
            return ZoneInfo(name)
        except ZoneInfoNotFoundError:
            continue
    return None


def _plain_when(moment: datetime) -> str:
    utc = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    zone = _kyiv()
    if zone is None:
        return utc
    return f"{utc} ({moment.astimezone(zone).strftime('%H:%M:%S')} Київ)"


def _when(moment: datetime | None) -> str:
    return "—" if moment is None else _text(_plain_when(moment))


def _mono(text: str) -> str:
    return f'<font size="8">{_text(text)}</font>'


def _text(text: str) -> str:
    """Text for a reportlab paragraph, whose markup is XML-like."""
    return escape(text)
