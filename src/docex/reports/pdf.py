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

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
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
from docex.reports.pdf_layout import (
    FONT,
    MARGIN,
    PAGE_WIDTH,
    TABLE_FONT,
    WIDTH,
    Styles,
    grid,
    key_values,
    mono,
    plain_when,
    register_fonts,
    text,
    when,
)
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
    register_fonts()
    styles = Styles()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 4 * mm,
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
        canvas.drawString(MARGIN, MARGIN, f"docex {__version__} · SHA-256 {report.document.sha256}")
        canvas.drawRightString(
            PAGE_WIDTH - MARGIN, MARGIN, f"сторінка / page {canvas.getPageNumber()}"
        )
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def _summary(report: ValidationReport, st: Styles) -> list[Flowable]:
    story: list[Flowable] = [
        Paragraph("Протокол перевірки електронного підпису", st.title),
        Paragraph("Signature validation report", st.h3),
        Spacer(1, 4 * mm),
        _banner(report.indication, _codes(report.indication, report.sub_indication), st),
        Spacer(1, 4 * mm),
    ]
    signers = [
        f"{text(_signer_name(s))} — {s.id}, {text(_signing_time(s))}" for s in report.signatures
    ]
    rows = [
        ("Кваліфікація / Qualification", _qualification(report.qualification)),
        ("Причина / Reason", text(report.message)),
        ("Підписувач / Signer", "<br/>".join(signers) or "—"),
        ("Документ / Document", _document(report)),
        ("SHA-256 документа / of the document", mono(report.document.sha256)),
        ("Перевірено станом на / Validated as of", when(report.validation_time)),
        (
            "Відкликання онлайн / Online revocation",
            "так / yes" if report.online else "ні, лише вбудовані дані / no, embedded data only",
        ),
    ]
    story.append(key_values(rows, st))
    return story


def _banner(indication: Indication, codes: str, st: Styles) -> Table:
    words = VERDICTS[indication]
    explanation = VERDICT_EXPLANATIONS[indication]
    cell = [
        Paragraph(f"{words[0]} — {words[1]}", st.banner),
        Paragraph(text(codes), st.banner_note),
        Paragraph(f"{text(explanation[0])}<br/>{text(explanation[1])}", st.banner_note),
    ]
    table = Table([[cell]], colWidths=[WIDTH])
    table.setStyle(
        TableStyle(
            [
                *TABLE_FONT,
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(VERDICT_COLOURS[indication])),
                ("TOPPADDING", (0, 0), (-1, -1), 8),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 10),
            ]
        )
    )
    return table


def _signature_section(
    sig: SignatureReport, report: ValidationReport, st: Styles
) -> list[Flowable]:
    colour = VERDICT_COLOURS[sig.indication]
    words = VERDICTS[sig.indication]
    story: list[Flowable] = [
        Paragraph(f"Підпис / Signature {text(sig.id)}", st.h2),
        Paragraph(
            f'<font color="{colour}"><b>{words[0]} — {words[1]}</b></font> · '
            f"{text(_codes(sig.indication, sig.sub_indication))} · {text(sig.message)}",
            st.body,
        ),
        Spacer(1, 2 * mm),
    ]
    signer = sig.signer
    rows = [
        (
            "Формат / Format",
            text(sig.format) + (f", шар / layer {sig.layer}" if sig.layer else ""),
        ),
        ("Кваліфікація / Qualification", _qualification(sig.qualification)),
        ("Підписувач / Signer", text(_signer_name(sig))),
    ]
    if signer is not None:
        rows += [
            ("РНОКПП / RNOKPP", text(signer.rnokpp or "—")),
            ("ЄДРПОУ / EDRPOU", text(signer.edrpou or "—")),
            ("Організація / Organisation", text(signer.organization or "—")),
            ("Суб'єкт сертифіката / Subject", text(signer.subject)),
        ]
    rows += [
        ("Заявлений час / Claimed signing time", when(sig.claimed_signing_time)),
        ("Позначка часу / Time-stamp time", when(sig.timestamp_time)),
        ("Найкращий час підпису / Best signature time", when(sig.best_signature_time)),
    ]
    story.append(key_values(rows, st))

    story.append(Paragraph("Перевірки / Checks", st.h3))
    story.append(
        grid(
            ["Перевірка / Check", "Результат / Outcome", "Повідомлення / Message"],
            [
                [
                    f"{text(CHECKS.get(c.name, c.name))}<br/>"
                    f'<font size="7" color="#555555">{text(c.name)}</font>',
                    f'<font color="{OUTCOME_COLOURS[c.outcome]}"><b>'
                    f"{both(OUTCOMES[c.outcome])}</b></font>",
                    text(c.message),
                ]
                for c in sig.checks
            ],
            [38 * mm, 26 * mm, WIDTH - 64 * mm],
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
                f"{text(cert.subject)}<br/>"
                f'<font size="7">видавець / issuer: {text(cert.issuer)}<br/>'
                f"серійний / serial: {text(cert.serial_number)}<br/>"
                f"SHA-256: {text(cert.sha256)}<br/>"
                f"дійсний / valid: {when(cert.not_before)} — {when(cert.not_after)}</font>",
            ]
        )
    story.append(
        grid(["#", "Сертифікат / Certificate"], chain_rows, [30 * mm, WIDTH - 30 * mm], st)
    )

    story.append(Paragraph("Дані про відкликання / Revocation data", st.h3))
    # The issuer column is wide enough for a SHA-256 in hex on one line.
    story.append(
        grid(
            ["Вид, джерело / Kind, source", "Видавець / Issuer", "Випущено / Issued"],
            [
                [
                    f"{text(r.kind.upper())}<br/>"
                    f"{both(REVOCATION_SOURCES.get(r.source, (r.source, r.source)))}",
                    f'{text(r.issuer)}<br/>SHA-256:<br/><font size="7">{text(r.sha256)}</font>',
                    f"{when(r.issued_at)}<br/>наступне / next: {when(r.next_update)}",
                ]
                for r in sig.revocation
            ],
            [28 * mm, 108 * mm, WIDTH - 136 * mm],
            st,
        )
    )

    story.append(Paragraph("Позначки часу / Time-stamps", st.h3))
    story.append(
        grid(
            ["Вид / Kind", "Час / Time", "TSA", "Результат / Result"],
            [
                [
                    both(TIMESTAMP_KINDS.get(t.kind, (t.kind, t.kind))),
                    when(t.time),
                    text(t.tsa),
                    f'<font color="{VERDICT_COLOURS[t.indication]}"><b>'
                    f"{both(VERDICTS[t.indication])}</b></font><br/>{text(t.message)}",
                ]
                for t in sig.timestamps
            ],
            [26 * mm, 40 * mm, 50 * mm, WIDTH - 116 * mm],
            st,
        )
    )

    story.append(Paragraph("Зміни після підписання / Modifications after signing", st.h3))
    story.append(Paragraph(_modifications(sig, report), st.body))
    return story


def _about(
    report: ValidationReport, trust: str, generated_at: datetime, st: Styles
) -> list[Flowable]:
    rows = [
        ("Програма / Software", f"docex {__version__}"),
        ("Версія звіту / Report version", text(report.report_version)),
        ("Довіра / Trust configuration", text(trust)),
        ("Перевірено станом на / Validated as of", when(report.validation_time)),
        ("Протокол складено / Generated at", when(generated_at)),
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
                key_values(rows, st),
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
        f"{text(check.message)}"
    )


def _document(report: ValidationReport) -> str:
    doc = report.document
    kind = "PDF (PAdES)" if doc.kind == "pades" else "CMS (CAdES)"
    detached = ", відокремлений підпис / detached signature" if doc.detached else ""
    count = len(report.signatures)
    return f"{kind}, {doc.size} байт / bytes{detached}; підписів / signatures: {count}"


def _qualification(qualification: Qualification) -> str:
    words = QUALIFICATIONS[qualification]
    return f"<b>{text(words[0])}</b> / {text(words[1])} ({text(qualification.value)})"


def _codes(indication: Indication, sub_indication: str | None) -> str:
    return f"{indication.value}" + (f" / {sub_indication}" if sub_indication else "")


def _signer_name(sig: SignatureReport) -> str:
    if sig.signer is None:
        return "невідомо / unknown"
    return sig.signer.common_name or sig.signer.subject


def _signing_time(sig: SignatureReport) -> str:
    if sig.timestamp_time is not None:
        return f"позначка часу / time-stamp {plain_when(sig.timestamp_time)}"
    if sig.claimed_signing_time is not None:
        return f"заявлено / claimed {plain_when(sig.claimed_signing_time)}"
    return "час невідомий / time unknown"
