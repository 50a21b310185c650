"""The workbench end to end in a real browser: sign in, verify, report, audit, sign out."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import FilePayload, Page, Route, expect
from pypdf import PdfReader

from docex.devpki.pdf import minimal_pdf
from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_pades
from tests.api.conftest import REFERRAL, Api
from tests.api.submitting import submit
from tests.api.ui.conftest import ARTIFACTS, Shots

P7S = "application/pkcs7-signature"
# The date format in Ukrainian letters: Cyrillic on purpose, hence the noqa.
FORMAT_UK = "РРРР-ММ-ДД ГГ:ХХ (YYYY-MM-DD HH:MM), за київським часом."  # noqa: RUF001
SINCE_LABEL = "Від (київський час, РРРР-ММ-ДД ГГ:ХХ)"  # noqa: RUF001
UNTIL_LABEL = "До (київський час, РРРР-ММ-ДД ГГ:ХХ)"  # noqa: RUF001
AT_LABEL = "Час перевірки (необов'язково, київський час, РРРР-ММ-ДД ГГ:ХХ)"  # noqa: RUF001


@pytest.fixture(scope="module")
def signed_pdf(pki: DevPki) -> bytes:
    """A PAdES B-LT by doctor-ecdsa."""
    return sign_pades(pki, minimal_pdf(), signer="doctor-ecdsa", level="B-LT")


@pytest.fixture(scope="module", autouse=True)
def _signed_before_the_browser(good_sig: bytes, signed_pdf: bytes) -> None:
    """Make the module's signatures before its first test opens the Playwright driver:
    pyHanko signs with ``asyncio.run``, which the driver's running loop would refuse, and
    the driver stays open for the whole module (see conftest.py). An autouse fixture of
    module scope comes before ``browser`` in every test's fixtures."""


def payload(name: str, media_type: str, data: bytes) -> FilePayload:
    """A file for a file input, from memory."""
    return {"name": name, "mimeType": media_type, "buffer": data}


def sign_in(page: Page, api: Api, who: str) -> None:
    page.goto(f"{api.url}/ui/")
    expect(page).to_have_url(re.compile(r"/ui/sign-in"))
    page.get_by_label("Токен API").fill(api.tokens[who])
    page.get_by_role("button", name="Увійти").click()


def tampered(content: bytes) -> bytes:
    """The content with one byte changed, as a forger who edits a signed referral would."""
    index = content.index(b"referral")
    return content[:index] + b"R" + content[index + 1 :]


def verify(page: Page, api: Api, signature: bytes, content: bytes) -> None:
    page.goto(f"{api.url}/ui/verify")
    page.get_by_label("Файл підпису (.p7s, .pdf)").set_input_files(
        files=payload("referral.p7s", P7S, signature)
    )
    page.get_by_label("Відокремлений вміст (необов'язково)").set_input_files(
        files=payload("referral.json", "application/json", content)
    )
    page.get_by_role("button", name="Перевірити", exact=True).click()


def test_auditor_verifies_downloads_browses_and_signs_out(
    api: Api, good_sig: bytes, page: Page, shots: Shots
) -> None:
    sign_in(page, api, "auditor")
    expect(page).to_have_url(re.compile(r"/ui/verify$"))
    shots.take("verify-form")

    verify(page, api, good_sig, REFERRAL)
    banner = page.get_by_role("status", name="Висновок")
    expect(banner.locator(".indication")).to_have_text("TOTAL_PASSED")
    expect(banner).to_contain_text("Підпис дійсний.")
    expect(banner).to_contain_text("QESig")
    expect(page.locator(".signature dl")).to_contain_text("CAdES-BASELINE-LT")
    # The verifier's words in Ukrainian, each with its English original beside it.
    digest = page.locator("table.checks tr", has_text="message_digest")
    expect(digest.locator("td").nth(0)).to_have_text("геш повідомлення message_digest")
    expect(digest.locator("td").nth(1)).to_have_text("пройдено passed")
    expect(digest.locator("td").nth(2)).to_have_text(
        "геш повідомлення збігається з підписаним вмістом "
        "(the message digest matches the signed content)"
    )
    expect(digest.locator('td [lang="en"]').nth(2)).to_have_text(
        "(the message digest matches the signed content)"
    )
    expect(page.locator(".signature p.message")).to_have_text(
        "підпис дійсний (the signature is valid)"
    )
    shots.take("verified-valid")

    with page.expect_download() as caught:
        page.get_by_role("button", name="Протокол PDF").click()
    pdf_path = ARTIFACTS / "valid-report.pdf"
    caught.value.save_as(pdf_path)
    text = "\n".join(p.extract_text() for p in PdfReader(pdf_path).pages)
    assert "TOTAL_PASSED" in text
    assert "CAdES-BASELINE-LT" in text

    verify(page, api, good_sig, tampered(REFERRAL))
    banner = page.get_by_role("status", name="Висновок")
    expect(banner.locator(".indication")).to_have_text("TOTAL_FAILED / HASH_FAILURE")
    expect(banner).to_contain_text("Підпис недійсний.")
    expect(banner.locator(".sub-indication")).to_have_text(
        "підписані дані не збігаються з підписом (геш не збігається) HASH_FAILURE"
    )
    failed = page.locator("table.checks tr.failed")
    expect(failed.locator("td").nth(1)).to_have_text("не пройдено failed")
    expect(failed.locator("td").nth(2)).to_contain_text(
        "підписаний вміст не збігається з гешем повідомлення в підписі"
    )
    shots.take("verified-tampered")

    page.get_by_role("link", name="Журнал аудиту").click()
    expect(page.get_by_role("status")).to_contain_text("Геш-ланцюжок цілий")
    # Action, outcome, actor and target in Ukrainian, the stored names beside them.
    used = page.locator("table.audit tbody tr", has_text="token.use").first
    expect(used.locator("td").nth(2)).to_have_text("використано токен token.use")
    expect(used.locator("td").nth(3)).to_have_text("успішно ok")
    expect(used.locator("td").nth(4)).to_contain_text("аудитор auditor")
    expect(used.locator("td").nth(5)).to_contain_text("токен api_token")
    shots.take("audit-trail")

    page.get_by_label("Дія").fill("token.refused")
    page.get_by_role("button", name="Відібрати").click()
    expect(page.locator("table.audit")).to_contain_text("Записів немає.")
    shots.take("audit-filtered")

    page.get_by_role("button", name="Вийти").click()
    expect(page).to_have_url(re.compile(r"/ui/sign-in"))
    page.goto(f"{api.url}/ui/audit")
    expect(page).to_have_url(re.compile(r"/ui/sign-in\?next=%2Fui%2Faudit"))
    shots.take("signed-out")


def test_auditor_looks_up_revalidates_and_downloads_a_stored_document(
    shared_api: Api, good_sig: bytes, page: Page, shots: Shots
) -> None:
    with shared_api.client("a") as facility:
        submitted = submit(facility, good_sig)
    assert submitted.status_code == 201, submitted.text
    document_id = submitted.json()["id"]

    sign_in(page, shared_api, "auditor")
    page.get_by_role("link", name="Збережені документи").click()
    page.get_by_label("Ідентифікатор документа").fill("not-a-uuid")
    page.get_by_role("button", name="Знайти").click()
    expect(page.get_by_role("alert")).to_have_text("Це не ідентифікатор документа.")
    page.get_by_label("Ідентифікатор документа").fill(document_id)
    page.get_by_role("button", name="Знайти").click()
    expect(page).to_have_url(re.compile(f"/ui/documents/{document_id}$"))
    expect(page.locator("dl.meta")).to_contain_text("38291045")
    expect(page.get_by_role("heading", name="Протокол під час приймання")).to_be_visible()
    shots.take("document")

    page.get_by_role("button", name="Перевірити повторно").click()
    expect(page.get_by_role("heading", name="Повторна перевірка 1")).to_be_visible()
    expect(page.locator("#latest .banner .indication")).to_have_text("TOTAL_PASSED")
    shots.take("document-revalidated")

    with page.expect_download() as caught:
        page.get_by_role("link", name="Завантажити оригінал").click()
    original = ARTIFACTS / "original.p7s"
    caught.value.save_as(original)
    assert original.read_bytes() == good_sig


def test_a_post_without_the_csrf_token_is_refused(
    shared_api: Api, page: Page, shots: Shots
) -> None:
    sign_in(page, shared_api, "auditor")
    expect(page).to_have_url(re.compile(r"/ui/verify$"))
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    # The session cookie is the browser's own, so only the missing CSRF field is wrong.
    with httpx.Client(base_url=shared_api.url, cookies=cookies) as client:
        forged = client.post("/ui/sign-out")
        wrong = client.post("/ui/sign-out", data={"csrf": "guessed"})
    assert forged.status_code == 403
    assert "CSRF" in forged.text
    assert wrong.status_code == 403
    # The refused sign-out did not end the session.
    page.goto(f"{shared_api.url}/ui/audit")
    expect(page).to_have_url(re.compile(r"/ui/audit$"))
    session = next(c for c in page.context.cookies() if c["name"] == "docex_session")
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Strict"
    shots.take("still-signed-in")


def test_nothing_without_a_token(shared_api: Api, page: Page, shots: Shots) -> None:
    for path in ("/ui/verify", "/ui/documents", "/ui/audit"):
        page.goto(f"{shared_api.url}{path}")
        expect(page).to_have_url(re.compile(r"/ui/sign-in\?next="))
    page.get_by_label("Токен API").fill("dxt_0123456789abcdef_wrong")
    page.get_by_role("button", name="Увійти").click()
    refused = "Токен недійсний або відкликаний."  # noqa: RUF001  # Ukrainian, Cyrillic on purpose
    expect(page.get_by_role("alert")).to_have_text(refused)
    shots.take("sign-in-refused")


def test_a_facility_verifies_but_reads_no_audit_trail(
    shared_api: Api, good_sig: bytes, page: Page, shots: Shots
) -> None:
    sign_in(page, shared_api, "a")
    expect(page.locator("header")).to_contain_text("38291045")
    expect(page.get_by_role("link", name="Журнал аудиту")).to_have_count(0)
    verify(page, shared_api, good_sig, REFERRAL)
    expect(page.locator(".banner .indication")).to_have_text("TOTAL_PASSED")
    page.goto(f"{shared_api.url}/ui/audit")
    expect(page).to_have_url(re.compile(r"/ui/sign-in"))


def test_english_and_kyiv_time(shared_api: Api, good_sig: bytes, page: Page, shots: Shots) -> None:
    sign_in(page, shared_api, "auditor")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    verify_en = page.get_by_label("Signature file (.p7s, .pdf)")
    verify_en.set_input_files(files=payload("r.p7s", P7S, good_sig))
    page.get_by_label("Detached content (optional)").set_input_files(
        files=payload("r.json", "application/json", REFERRAL)
    )
    # Validation as of a moment in Kyiv winter time (UTC+2): UTC beside it is 2 h earlier.
    page.get_by_label("Validation time (optional, Kyiv time, YYYY-MM-DD HH:MM)").fill(
        "2026-01-15T12:00:00"
    )
    page.get_by_role("button", name="Verify", exact=True).click()
    banner = page.get_by_role("status", name="Verdict")
    expect(banner).to_contain_text("Validation time: 2026-01-15 12:00:00 (2026-01-15 10:00:00 UTC)")
    # In English the verifier's words are shown once, with no translation beside them.
    digest = page.locator("table.checks tr", has_text="message_digest")
    expect(digest.locator("td").nth(0)).to_have_text("message digest message_digest")
    expect(digest.locator("td").nth(2)).to_have_text(
        "the message digest matches the signed content"
    )
    expect(page.locator(".original[lang=en]", has_text="the signature is valid")).to_have_count(0)
    shots.take("english-result")


def test_the_validation_time_is_typed_in_kyiv_time(
    shared_api: Api, good_sig: bytes, page: Page, shots: Shots
) -> None:
    sign_in(page, shared_api, "auditor")
    for typed in ("15.01.2026 12:00", "2026-01-15 12:00"):
        page.get_by_label("Файл підпису (.p7s, .pdf)").set_input_files(
            files=payload("referral.p7s", P7S, good_sig)
        )
        page.get_by_label("Відокремлений вміст (необов'язково)").set_input_files(
            files=payload("referral.json", "application/json", REFERRAL)
        )
        field = page.get_by_label(AT_LABEL)
        # Text, so the browser's locale does not decide how a date is written.
        expect(field).to_have_attribute("type", "text")
        field.fill(typed)
        page.get_by_role("button", name="Перевірити", exact=True).click()
        if typed.startswith("15."):
            expect(page.get_by_role("alert")).to_have_text(
                f"Час перевірки — не дата й час: '{typed}'. Запишіть його як {FORMAT_UK}"
            )
            shots.take("validation-time-refused")
    # Kyiv winter time is UTC+2: UTC beside it is two hours earlier.
    expect(page.get_by_role("status", name="Висновок")).to_contain_text(
        "Час перевірки: 2026-01-15 12:00:00 (2026-01-15 10:00:00 UTC)"
    )
    shots.take("validation-time")


def test_api_docs_load_no_asset_from_another_host(
    shared_api: Api, page: Page, shots: Shots
) -> None:
    here = shared_api.url.split("/")[2]
    elsewhere: list[str] = []

    def away(route: Route) -> None:
        # What reaches the network layer: a request the page's policy blocked does not.
        elsewhere.append(route.request.url)
        route.abort()

    page.route(lambda url: url.split("/")[2] != here, away)
    page.goto(f"{shared_api.url}/docs")
    # Swagger UI's bundle is large; parsing it on a loaded CI machine takes a while.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("docex", timeout=30_000)
    shots.take("swagger")
    page.goto(f"{shared_api.url}/redoc")
    expect(page.locator("h1")).to_contain_text("docex", timeout=30_000)
    shots.take("redoc")
    assert elsewhere == []


def test_audit_trail_filters_by_facility_and_pages(
    api: Api, good_sig: bytes, page: Page, shots: Shots
) -> None:
    with api.client("a") as facility:
        assert submit(facility, good_sig).status_code == 201
    sign_in(page, api, "auditor")
    page.goto(f"{api.url}/ui/audit?limit=2")
    rows = page.locator("table.audit tbody tr")
    expect(rows).to_have_count(2)
    first_page = rows.first.locator("td").first.inner_text()
    page.get_by_role("link", name="Наступна сторінка").click()
    expect(rows).to_have_count(2)
    assert int(rows.first.locator("td").first.inner_text()) > int(first_page)
    shots.take("audit-second-page")

    page.get_by_label("ЄДРПОУ закладу").fill("38291045")
    page.get_by_label("Дія").fill("document.*")
    page.get_by_role("button", name="Відібрати").click()
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td").nth(2)).to_have_text("документ подано document.submit")
    expect(rows.first).to_contain_text("38291045")
    expect(rows.first.locator("td").nth(5)).to_contain_text("документ document")
    shots.take("audit-facility-documents")

    # The time filters are labelled text fields in Kyiv time, not the browser's format.
    since = page.get_by_label(SINCE_LABEL)
    expect(since).to_have_attribute("type", "text")
    since.fill("2000-01-01 00:00")
    page.get_by_label(UNTIL_LABEL).fill("2000-01-02")
    page.get_by_role("button", name="Відібрати").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_text("Записів немає.")
    since.fill("2000-01-01 00:00")
    page.get_by_label(UNTIL_LABEL).fill("")
    page.get_by_role("button", name="Відібрати").click()
    expect(rows.first.locator("td").nth(2)).to_have_text("документ подано document.submit")
    shots.take("audit-time-filter")

    page.goto(f"{api.url}/ui/audit?since=yesterday")
    expect(page.get_by_role("alert")).to_have_text(
        f"Початок проміжку часу — не дата й час: 'yesterday'. Запишіть його як {FORMAT_UK}"
    )
    shots.take("audit-time-refused")


def test_a_signed_pdf_and_a_tampered_one(
    shared_api: Api, signed_pdf: bytes, page: Page, shots: Shots
) -> None:
    signed = signed_pdf
    # One letter of the page's text changed inside the signed byte range.
    forged = signed.replace(b"development sample", b"development Sample", 1)
    assert forged != signed
    sign_in(page, shared_api, "auditor")
    for data, indication, modifications in (
        (signed, "TOTAL_PASSED", "passed"),
        (forged, "TOTAL_FAILED / HASH_FAILURE", None),
    ):
        page.goto(f"{shared_api.url}/ui/verify")
        page.get_by_label("Файл підпису (.p7s, .pdf)").set_input_files(
            files=payload("document.pdf", "application/pdf", data)
        )
        page.get_by_role("button", name="Перевірити", exact=True).click()
        expect(page.locator(".banner .indication")).to_have_text(indication)
        expect(page.locator(".signature dl")).to_contain_text("PAdES-BASELINE-LT")
        section = page.locator(".signature").first
        if modifications is not None:
            expect(section.locator("p." + modifications)).to_be_visible()
        shots.take("pdf-" + indication.split()[0].lower())


def test_a_file_that_is_no_signature_is_refused_on_the_page(
    shared_api: Api, page: Page, shots: Shots
) -> None:
    sign_in(page, shared_api, "auditor")
    page.get_by_label("Файл підпису (.p7s, .pdf)").set_input_files(
        files=payload("notes.txt", "text/plain", b"just some notes")
    )
    page.get_by_role("button", name="Перевірити", exact=True).click()
    # The verifier's own reason: text that is neither DER, PEM nor base64 of either.
    expect(page.get_by_role("alert")).to_have_text("base64 text that does not decode")
    expect(page.get_by_role("status", name="Висновок")).to_have_count(0)
    shots.take("not-a-signature")


def test_the_file_fields_speak_the_pages_language(
    shared_api: Api, good_sig: bytes, page: Page, shots: Shots
) -> None:
    # Chromium's own file button reads "Choose File" whatever the page's language.
    sign_in(page, shared_api, "a")
    fields = page.locator("#verify-form")
    expect(fields.locator("button.file-button")).to_have_text(["Обрати файл", "Обрати файл"])
    expect(fields.locator(".file-chosen")).to_have_text(["Файл не обрано", "Файл не обрано"])
    page.get_by_label("Файл підпису (.p7s, .pdf)").set_input_files(
        files=payload("referral.p7s", P7S, good_sig)
    )
    expect(fields.locator(".file-chosen").first).to_have_text("referral.p7s")
    # The keyboard reaches the hidden input itself, by its label, as before.
    page.get_by_label("Файл підпису (.p7s, .pdf)").focus()
    expect(page.get_by_label("Файл підпису (.p7s, .pdf)")).to_be_focused()
    shots.take("verify-form-chosen")
    page.get_by_label("Відокремлений вміст (необов'язково)").set_input_files(
        files=payload("referral.json", "application/json", REFERRAL)
    )
    page.get_by_role("button", name="Перевірити", exact=True).click()
    expect(page.locator(".banner .indication")).to_have_text("TOTAL_PASSED")
    # The time-stamp's line names its TSA once; a passed token's message only restated it.
    stamp = page.locator(".signature li", has_text="Docex DEV Time-Stamping Authority")
    expect(stamp).to_have_count(1)
    expect(stamp).to_contain_text("— TOTAL_PASSED, кваліфікована")
    assert stamp.inner_text().count("Time-Stamping Authority") == 1
