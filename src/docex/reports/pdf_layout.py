"""Page layout for the PDF report: fonts, styles, tables and how values are written.

Kept apart from :mod:`docex.reports.pdf`, which decides what the report says.
"""

# The text is Ukrainian on purpose: Cyrillic letters that look Latin are not confusables here.

from __future__ import annotations

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
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

FONT_DIR: Final = Path(__file__).resolve().parent / "fonts"
FONT: Final = "DejaVuSans"
FONT_BOLD: Final = "DejaVuSans-Bold"

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN: Final = 18 * mm
WIDTH: Final = PAGE_WIDTH - 2 * MARGIN
LABEL_WIDTH: Final = 48 * mm
GRID_COLOUR: Final = colors.HexColor("#B8B8B8")
SHADE: Final = colors.HexColor("#F0F0F0")
# A table sets its cells' font even when they hold paragraphs; its default is Helvetica.
TABLE_FONT: Final = [("FONTNAME", (0, 0), (-1, -1), FONT)]


@cache
def register_fonts() -> None:
    """Make DejaVu Sans (regular and bold) known to reportlab, once per process."""
    # reportlab's font registry is process-wide; registering once is enough and cheap.
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD)


class Styles:
    """The paragraph styles of the report, all in the embedded font."""

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


def key_values(rows: list[tuple[str, str]], st: Styles) -> Table:
    """A two-column table: a shaded label, then its value (both paragraph markup)."""
    data = [[Paragraph(k, st.small), Paragraph(v, st.body)] for k, v in rows]
    table = Table(data, colWidths=[LABEL_WIDTH, WIDTH - LABEL_WIDTH])
    table.setStyle(
        TableStyle(
            [
                *TABLE_FONT,
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (0, -1), SHADE),
                ("GRID", (0, 0), (-1, -1), 0.4, GRID_COLOUR),
            ]
        )
    )
    return table


def grid(header: list[str], rows: list[list[str]], widths: list[float], st: Styles) -> Flowable:
    """A table with a header row repeated on each page; "none" when there are no rows."""
    if not rows:
        return Paragraph("немає / none", st.body)
    data = [[Paragraph(f"<b>{h}</b>", st.small) for h in header]]
    data += [[Paragraph(cell, st.small) for cell in row] for row in rows]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                *TABLE_FONT,
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("GRID", (0, 0), (-1, -1), 0.4, GRID_COLOUR),
            ]
        )
    )
    return table


@cache
def kyiv() -> ZoneInfo | None:
    """The Europe/Kyiv zone, or None where no time-zone database has it."""
    # The zone was renamed from Europe/Kiev in 2022; older tz databases know only that name.
    for name in ("Europe/Kyiv", "Europe/Kiev"):
        try:
            return ZoneInfo(name)
        except ZoneInfoNotFoundError:
            continue
    return None


def plain_when(moment: datetime) -> str:
    """A time in UTC with the Kyiv wall-clock time beside it."""
    utc = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    zone = kyiv()
    if zone is None:
        return utc
    return f"{utc} ({moment.astimezone(zone).strftime('%H:%M:%S')} Київ)"


def when(moment: datetime | None) -> str:
    """:func:`plain_when` as paragraph text; a dash for no time."""
    return "—" if moment is None else text(plain_when(moment))


def mono(value: str) -> str:
    """A value such as a digest, set small enough to stay on one line."""
    return f'<font size="8">{text(value)}</font>'


def text(value: str) -> str:
    """Text for a reportlab paragraph, whose markup is XML-like."""
    return escape(value)
