"""The verifier's and the audit log's words in Ukrainian (issue 12), without a browser.

The tables must cover every value of the sets they translate, and the reports the verifier
really makes of the development samples must come out translated, check by check: a new
check or a reworded message fails here instead of showing up in English on the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from docex.api.ui import render, words
from docex.audit import actions
from docex.domain import ActorKind, Outcome
from docex.signatures.guarded import GuardedVerifier, VerifierConfig
from docex.signatures.report import CheckOutcome, SubIndication, ValidationReport

REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO / "certs-dev" / "samples"
UK = render.translations("uk").gettext
EN = render.translations("en").gettext


def test_every_value_of_the_translated_sets_has_its_phrase() -> None:
    assert set(words.SUB_INDICATIONS) == {s.value for s in SubIndication}
    assert set(words.CHECK_OUTCOMES) == {o.value for o in CheckOutcome}
    names = {k: v for k, v in vars(actions).items() if k.isupper() and isinstance(v, str)}
    assert set(words.ACTIONS) == {v for v in names.values() if "." in v}
    assert set(words.TARGETS) == {v for v in names.values() if "." not in v}
    assert set(words.ACTORS) == {a.value for a in ActorKind}
    assert set(words.AUDIT_OUTCOMES) == {o.value for o in Outcome}


def test_a_translated_template_keeps_its_fields() -> None:
    for _pattern, template in words.PATTERNS:
        fields = set(re.findall(r"\{(\w+)\}", template))
        assert set(re.findall(r"\{(\w+)\}", UK(template))) == fields, template
        assert UK(template) != template


@pytest.fixture(scope="module")
def verifier() -> Iterator[GuardedVerifier]:
    built = GuardedVerifier(VerifierConfig(trust=(str(REPO / "certs-dev" / "trust"),)))
    yield built
    built.close()


@pytest.mark.parametrize(
    ("signature", "content", "indication"),
    [
        ("referral.txt.p7s", "referral.txt", "TOTAL_PASSED"),
        ("referral-tampered.txt.p7s", "referral-tampered.txt", "TOTAL_FAILED"),
        ("referral-nonqualified.p7s", None, None),
        ("examination-result.pdf", None, "TOTAL_PASSED"),
    ],
)
def test_the_samples_reports_come_out_in_ukrainian(
    verifier: GuardedVerifier, signature: str, content: str | None, indication: str | None
) -> None:
    report: ValidationReport = verifier.verify(
        (SAMPLES / signature).read_bytes(),
        content=(SAMPLES / content).read_bytes() if content else None,
    )
    if indication is not None:
        assert report.indication == indication
    untranslated = []
    for sig in report.signatures:
        texts = [
            sig.message,
            *(c.message for c in sig.checks),
            *(t.message for t in sig.timestamps),
        ]
        untranslated += [t for t in texts if words.message_in(t, UK) is None]
        untranslated += [c.name for c in sig.checks if words.term_in("check", c.name, UK) is None]
    assert untranslated == []


def test_a_known_message_is_translated_with_its_english_beside_it() -> None:
    shown = words.said("key usage: digital_signature, non_repudiation", UK, locale="uk")
    assert shown == (
        "використання ключа: digital_signature, non_repudiation "
        '<span class="original" lang="en">(key usage: digital_signature, non_repudiation)</span>'
    )
    # In English the message is shown once, as it is.
    assert words.said("the signature is valid", EN, locale="en") == (
        '<span lang="en">the signature is valid</span>'
    )


def test_an_unknown_message_is_shown_in_english_and_escaped() -> None:
    shown = words.said("a <new> message", UK, locale="uk")
    assert shown == '<span lang="en">a &lt;new&gt; message</span>'
    assert words.term("token.new", "action", UK) == '<code lang="en">token.new</code>'


def test_an_audit_action_is_its_phrase_with_its_name_beside_it() -> None:
    assert words.term("document.submit", "action", UK) == (
        'документ подано <code class="original" lang="en">document.submit</code>'
    )
    assert words.term(None, "target", UK) == ""
