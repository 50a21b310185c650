"""The message catalogue: complete for Ukrainian, and its compiled files up to date."""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from docex.api.ui import render

UI = Path(render.__file__).parent
LOCALE = UI / "locale"
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "True"}}


def _msgids() -> set[str]:
    found = extract_from_dir(str(UI), method_map=METHODS, options_map=OPTIONS)
    # A plural message is a tuple of forms; the pages use none.
    return {m for _file, _line, m, _comments, _context in found if isinstance(m, str) and m}


def test_every_message_of_the_pages_has_a_ukrainian_translation() -> None:
    with (LOCALE / "uk" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalogue = read_po(po)
    translated = {m.id for m in catalogue if m.id and m.string}
    assert _msgids() - translated == set()


def test_the_compiled_catalogues_are_those_of_the_po_files() -> None:
    for locale in render.LOCALES:
        folder = LOCALE / locale / "LC_MESSAGES"
        with (folder / "messages.po").open("rb") as po:
            catalogue = read_po(po, locale=locale)
        compiled = io.BytesIO()
        write_mo(compiled, catalogue)
        assert (folder / "messages.mo").read_bytes() == compiled.getvalue(), (
            f"{locale}: run `pybabel compile -d src/docex/api/ui/locale -D messages`"
        )


def test_the_pages_speak_ukrainian_first() -> None:
    assert render.DEFAULT_LOCALE == "uk"
    assert render.translations("uk").gettext("Verify a file") == "Перевірити файл"
    assert render.translations("en").gettext("Verify a file") == "Verify a file"
