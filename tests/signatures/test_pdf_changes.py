"""PDF modification analysis: a conformance table of generated attacks and workflows.

Each row: how the file is made, the first signature's exact indication and
sub-indication, and the key words of its ``modifications`` check.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pyhanko.sign.fields import FieldMDPAction, FieldMDPSpec, MDPPerm

from docex.devpki.pki import DevPki
from docex.signatures.pdfdiff import MAX_REVISIONS
from docex.signatures.report import CheckOutcome, Indication, SubIndication
from docex.signatures.verifier import Verifier
from tests.signatures import pdf_cases as cases

FAILED = (Indication.TOTAL_FAILED, SubIndication.FORMAT_FAILURE)
PASSED = (Indication.TOTAL_PASSED, None)
VARIANTS = ("incremental", "replace", "hide")

ATTACKS: list[tuple[str, cases.Attack, str]] = [
    ("field rewritten", cases.field_rewritten, 'field "diagnosis" changed after signature 1'),
    ("read-only cleared", cases.read_only_cleared, "(read-only cleared) after signature 1"),
    ("page content", cases.page_content_replaced, "page 1 content replaced after signature 1"),
    ("unsigned /Sig widget", cases.unsigned_signature_widget, "with a visible appearance added"),
    (
        "widget taken off the page",
        cases.widget_unlisted,
        'widget of field "diagnosis" removed from page 1 after signature 1',
    ),
    ("page added", cases.page_added, "page 2 added after signature 1"),
    ("page removed", cases.page_removed, "page 1 removed after signature 1"),
    ("trailing garbage", cases.trailing_garbage, "bytes after the end of the last revision"),
]


@pytest.fixture(scope="module")
def signed(pki: DevPki) -> bytes:
    return cases.signed_form(pki)


def _first(verifier: Verifier, pdf: bytes) -> tuple[Indication, SubIndication | None, str]:
    report = verifier.verify(pdf)
    sig = report.signatures[0]
    (check,) = [c for c in sig.checks if c.name == "modifications"]
    return sig.indication, sig.sub_indication, check.message


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(("attack", "make", "words"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_attacks_fail_with_format_failure(
    verifier: Verifier, signed: bytes, attack: str, make: cases.Attack, words: str, variant: str
) -> None:
    indication, sub, message = _first(verifier, make(signed, variant))
    assert (indication, sub) == FAILED
    assert words in message


@pytest.mark.parametrize(
    ("variant", "message"),
    [
        ("incremental", "FreeText annotation added on page 1 after signature 1"),
        ("direct", "FreeText annotation added on page 1 after signature 1"),
        ("hide", "FreeText annotation changed on page 1 after signature 1"),
    ],
)
def test_annotation_added_fails(
    verifier: Verifier, signed: bytes, variant: str, message: str
) -> None:
    indication, sub, found = _first(verifier, cases.annotation_added(signed, variant))
    assert (indication, sub, found) == (*FAILED, message)


def test_a_forgery_overridden_later_still_fails(verifier: Verifier, signed: bytes) -> None:
    # The final revision shows the signed value again, but a revision in between showed a
    # forged one, and a viewer can still display that revision.
    indication, sub, message = _first(verifier, cases.field_rewritten_and_restored(signed))
    assert (indication, sub) == FAILED
    assert message.startswith('field "diagnosis" changed after signature 1')


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            cases.open_action_added,
            "the action run when the document opens added after signature 1",
        ),
        (cases.document_javascript_added, "document JavaScript added after signature 1"),
    ],
)
def test_document_actions_added_fail(
    verifier: Verifier, signed: bytes, make: Callable[[bytes], bytes], message: str
) -> None:
    assert _first(verifier, make(signed)) == (*FAILED, message)


def test_pages_reordered_fails(pki: DevPki, verifier: Verifier) -> None:
    two = cases.signed_two_pages(pki)
    assert _first(verifier, two)[:2] == PASSED
    assert _first(verifier, cases.pages_reordered(two)) == (
        *FAILED,
        "pages reordered after signature 1",
    )


def test_annotation_over_a_reused_widget_number_fails(verifier: Verifier, signed: bytes) -> None:
    indication, sub, message = _first(verifier, cases.annotation_added(signed, "replace"))
    assert (indication, sub) == FAILED
    assert 'form field "diagnosis" removed after signature 1' in message


def test_docmdp_no_changes_refuses_form_change_and_signature(
    pki: DevPki, verifier: Verifier
) -> None:
    certified = cases.signed_form(pki, certify=MDPPerm.NO_CHANGES)
    # The DSS added after the certification signature is allowed even under P=1.
    assert _first(verifier, certified)[:2] == PASSED
    indication, sub, message = _first(verifier, cases.field_rewritten(certified, "incremental"))
    assert (indication, sub) == FAILED
    assert message.startswith('DocMDP of signature 1 forbids any change; field "diagnosis" changed')
    indication, sub, message = _first(verifier, cases.fill_and_sign(pki, certified))
    assert (indication, sub) == FAILED
    assert "DocMDP of signature 1 forbids any change; signature 2 added" in message


def test_docmdp_form_filling_refuses_annotations(pki: DevPki, verifier: Verifier) -> None:
    certified = cases.signed_form(pki, certify=MDPPerm.FILL_FORMS)
    indication, sub, message = _first(verifier, cases.annotation_added(certified, "incremental"))
    assert (indication, sub) == FAILED
    assert message == (
        "DocMDP of signature 1 allows only form filling and signing; "
        "FreeText annotation added on page 1"
    )
    assert _first(verifier, cases.fill_and_sign(pki, certified))[:2] == PASSED


def test_docmdp_form_filling_does_not_let_an_unsigned_fill_through(
    pki: DevPki, verifier: Verifier
) -> None:
    # The certifier granted form filling to anyone (ISO 32000-1, Table 254, P=2); the gate
    # still refuses a changed finding that no later signature covers.
    certified = cases.signed_form(pki, certify=MDPPerm.FILL_FORMS)
    indication, sub, message = _first(verifier, cases.field_rewritten(certified, "incremental"))
    assert (indication, sub) == FAILED
    assert message.startswith(
        'field "diagnosis" changed after signature 1 with no signature over it '
        "(DocMDP of signature 1 permits it; the gate does not accept unsigned changes)"
    )
    # A second signer filling the field in its own revision is still a legitimate workflow.
    assert _first(verifier, cases.fill_and_sign(pki, certified))[:2] == PASSED


def test_docmdp_annotations_does_not_let_an_unsigned_annotation_through(
    pki: DevPki, verifier: Verifier
) -> None:
    certified = cases.signed_form(pki, certify=MDPPerm.ANNOTATE)
    indication, sub, message = _first(verifier, cases.annotation_added(certified, "incremental"))
    assert (indication, sub) == FAILED
    assert message == (
        "FreeText annotation added on page 1 after signature 1 with no signature over it "
        "(DocMDP of signature 1 permits it; the gate does not accept unsigned changes)"
    )


def test_fieldmdp_locked_field_changed_by_a_later_signer_fails(
    pki: DevPki, verifier: Verifier
) -> None:
    locked = cases.signed_form(pki, lock=cases.LOCK_DIAGNOSIS)
    indication, sub, message = _first(verifier, cases.fill_and_sign(pki, locked))
    assert (indication, sub) == FAILED
    assert 'but signature 1 locks field "diagnosis" (FieldMDP)' in message
    # The lock does not forbid other signatures.
    assert _first(verifier, cases.cosign(pki, locked))[:2] == PASSED


def test_fieldmdp_lock_of_all_fields_still_allows_new_signatures(
    pki: DevPki, verifier: Verifier
) -> None:
    locked = cases.signed_form(pki, lock=FieldMDPSpec(FieldMDPAction.ALL))
    assert _first(verifier, cases.cosign(pki, locked))[:2] == PASSED
    indication, sub, message = _first(verifier, cases.fill_and_sign(pki, locked))
    assert (indication, sub) == FAILED
    assert message.startswith(
        'field "diagnosis" changed, but signature 1 locks field "diagnosis" (FieldMDP)'
    )


Workflow = Callable[[DevPki, bytes], bytes]
WORKFLOWS: list[tuple[str, Workflow, str]] = [
    ("co-signature", cases.cosign, 'signature 2 added in field "Signature2"'),
    (
        "filled by the second signer",
        cases.fill_and_sign,
        'field "diagnosis" changed by signature 2 in its signed revision',
    ),
    ("LTA extended", cases.lta_extended, "document time-stamp added"),
]


@pytest.mark.parametrize(("name", "make", "words"), WORKFLOWS, ids=[w[0] for w in WORKFLOWS])
def test_legitimate_workflows_pass(
    pki: DevPki, verifier: Verifier, signed: bytes, name: str, make: Workflow, words: str
) -> None:
    report = verifier.verify(make(pki, signed))
    assert [(s.indication, s.sub_indication) for s in report.signatures] == [PASSED, PASSED]
    (check,) = [c for c in report.signatures[0].checks if c.name == "modifications"]
    assert check.outcome is CheckOutcome.PASSED
    assert words in check.message


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (cases.invisible_annotation, "invisible FreeText annotation added on page 1"),
        (cases.empty_signature_field, 'empty signature field "Overlay" added'),
    ],
)
def test_what_cannot_show_is_accepted(
    verifier: Verifier, signed: bytes, make: Callable[[bytes], bytes], message: str
) -> None:
    assert _first(verifier, make(signed)) == (
        Indication.TOTAL_PASSED,
        None,
        f"changes after signing are allowed: {message}",
    )


def test_appended_end_marker_is_still_trailing_garbage(verifier: Verifier, signed: bytes) -> None:
    indication, sub, message = _first(verifier, cases.fake_end_marker(signed))
    assert (indication, sub) == FAILED
    assert message.endswith(
        "bytes after the end of the last revision (%%EOF) are not part of the PDF"
    )


def test_a_blown_bound_is_indeterminate(verifier: Verifier, signed: bytes) -> None:
    report = verifier.verify(cases.deep_page_tree(signed))
    sig = report.signatures[0]
    assert (sig.indication, sig.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.SIG_CONSTRAINTS_FAILURE,
    )
    (check,) = [c for c in sig.checks if c.name == "modifications"]
    assert check.outcome is CheckOutcome.INDETERMINATE
    assert check.message == (
        "changes after signing could not be analysed: the page tree is deeper than 512 levels"
    )


def test_content_written_again_with_other_filters_is_no_change(
    verifier: Verifier, signed: bytes
) -> None:
    # Compressed in one update, written plain again in the next.
    twice = cases.content_recompressed(cases.content_recompressed(signed))
    assert _first(verifier, twice) == (
        Indication.TOTAL_PASSED,
        None,
        "only validation data or metadata added after signing",
    )


def test_too_many_revisions_is_indeterminate(verifier: Verifier, signed: bytes) -> None:
    report = verifier.verify(cases.many_revisions(signed, MAX_REVISIONS + 1))
    sig = report.signatures[0]
    assert (sig.indication, sig.sub_indication, sig.message) == (
        Indication.INDETERMINATE,
        SubIndication.SIG_CONSTRAINTS_FAILURE,
        "changes after signing could not be analysed: the PDF has more than "
        f"{MAX_REVISIONS} revisions after signature 1",
    )
    # Below the bound, metadata-only updates are no change at all.
    assert _first(verifier, cases.many_revisions(signed, 5))[:2] == PASSED


def test_only_validation_data_added(verifier: Verifier, signed: bytes) -> None:
    assert _first(verifier, signed) == (
        Indication.TOTAL_PASSED,
        None,
        "only validation data or metadata added after signing",
    )


SAMPLES = Path(__file__).resolve().parents[1] / "data" / "pdf"

# Real files from other tools (EU DSS samples, tests/data/pdf/README.md): per signature,
# the outcome and message of the modifications check. Their roots are not trusted here, so
# only the failing ones have a verdict decided by this check.
REAL_FILES: list[tuple[str, list[tuple[CheckOutcome, str]]]] = [
    (
        "pades-ltv.pdf",
        [(CheckOutcome.PASSED, "changes after signing are allowed: document time-stamp added")],
    ),
    (
        "pades-ocsp-archiveCutOff-invalid.pdf",
        [
            (
                CheckOutcome.PASSED,
                'changes after signing are allowed: signature 2 added in field "Signature3"',
            ),
            (CheckOutcome.PASSED, "no changes after signing"),
        ],
    ),
    (
        "dss-1376__DSS1376-rev_n-3.pdf",
        [
            (
                # Certified with P=2, then two fields filled with no signature over them.
                CheckOutcome.FAILED,
                'field "Field1" changed after signature 1 with no signature over it '
                "(DocMDP of signature 1 permits it; the gate does not accept unsigned "
                'changes); appearance of field "Field1" changed after signature 1 with no '
                "signature over it (DocMDP of signature 1 permits it; the gate does not "
                'accept unsigned changes); field "Field2" changed after signature 1 with no '
                "signature over it (DocMDP of signature 1 permits it; the gate does not "
                'accept unsigned changes); appearance of field "Field2" changed after '
                "signature 1 with no signature over it (DocMDP of signature 1 permits it; "
                "the gate does not accept unsigned changes)",
            )
        ],
    ),
    (
        "pades-signed-annot-added.pdf",
        [
            (
                CheckOutcome.FAILED,
                "FreeText annotation added on page 1 after signature 1; "
                "the document's named AP entries added after signature 1",
            )
        ],
    ),
    (
        "pdf-structtreeroot-changes.pdf",
        [
            (
                CheckOutcome.PASSED,
                'changes after signing are allowed: signature 2 added in field "sign4"; '
                "the document structure tree updated for the signature",
            ),
            (CheckOutcome.PASSED, "no changes after signing"),
        ],
    ),
]


@pytest.mark.parametrize(("name", "expected"), REAL_FILES, ids=[f[0] for f in REAL_FILES])
def test_real_files(
    verifier: Verifier, name: str, expected: list[tuple[CheckOutcome, str]]
) -> None:
    report = verifier.verify((SAMPLES / name).read_bytes())
    found = []
    for sig in report.signatures:
        (check,) = [c for c in sig.checks if c.name == "modifications"]
        found.append((check.outcome, check.message))
        if check.outcome is CheckOutcome.FAILED:
            assert (sig.indication, sig.sub_indication) == FAILED
    assert found == expected
