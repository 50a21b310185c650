"""Templates, the message catalogue and the time format of the web pages.

Ukrainian is the default language, English the second; the msgids are English, and
``locale/*/LC_MESSAGES/messages.po`` is the catalogue (compiled to ``.mo`` beside it).
Times are shown in Europe/Kyiv with UTC beside them: a signing time is a legal fact, and
the people reading it live in Kyiv time.
"""

from __future__ import annotations

import gettext
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from docex.api.ui import words

HERE = Path(__file__).parent
LOCALES = ("uk", "en")
DEFAULT_LOCALE = "uk"
LANG_COOKIE = "docex_lang"
KYIV = ZoneInfo("Europe/Kyiv")


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``locale``; English msgids stand for themselves."""
    return gettext.translation(
        "messages", localedir=HERE / "locale", languages=[locale], fallback=locale == "en"
    )


@cache
def environment(locale: str) -> Environment:
    """A template environment with ``locale``'s translations installed."""
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(("html",)),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.filters["when"] = when
    env.filters["when_utc"] = when_utc
    gettext = translations(locale).gettext

    # The verifier's and the audit log's English words, translated where they are shown
    # (see docex.api.ui.words): `{{ check.message|said }}`, `{{ e.action|term("action") }}`.
    def said(text: str | None) -> Markup:
        return words.said(text, gettext, locale=locale)

    def term(value: object, kind: str) -> Markup:
        return words.term(value, kind, gettext)

    env.filters["said"] = said
    env.filters["term"] = term
    return env


def when(moment: datetime | None) -> str:
    """A time in Kyiv time, as people there read it: ``2026-12-01 19:10:40 (Київ)``."""
    if moment is None:
        return "—"
    return moment.astimezone(KYIV).strftime("%Y-%m-%d %H:%M:%S")


def when_utc(moment: datetime | None) -> str:
    """The same instant in UTC, shown beside it."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def render(template: str, *, locale: str, **context: Any) -> str:
    """``template`` rendered in ``locale``."""
    return environment(locale).get_template(template).render(locale=locale, **context)
