"""The auditor's workbench: sign-in, verify a file, stored documents, the audit trail.

Server-rendered pages under ``/ui`` that work without JavaScript. Every page needs a
session opened with an API token (:mod:`docex.api.ui.session`); every form that changes
anything is a POST carrying the session's CSRF secret. The pages reach the domain only
through :mod:`docex.services` and :mod:`docex.reports`, as the API does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeSerializer

from docex.api import problems
from docex.api.deps import RuntimeDep, authenticate_limited, client_address, get_rate_limits
from docex.api.downloads import download_response
from docex.api.ui.render import DEFAULT_LOCALE, LANG_COOKIE, LOCALES, render, translations
from docex.api.ui.session import SessionCodec, WebSession, csrf_matches, new_session
from docex.api.ui.words import N_
from docex.audit.query import AuditFilter
from docex.composition import Container
from docex.domain import TokenRole
from docex.errors import AuthenticationError, DocexError, InputError, NotFoundError
from docex.registry.records import Principal
from docex.services import audit_chain, audit_trail, revalidation, verification
from docex.services import documents as reading
from docex.services.ui_sessions import resume_session
from docex.signatures.report import ValidationReport

router = APIRouter(prefix="/ui", include_in_schema=False)

PAGE_POLICY = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
"""The pages load only from this host, post only to it, and are framed by no one (against
click-jacking of the re-validate and sign-out buttons)."""


class SignInRequiredError(Exception):
    """No session, an expired one, or one whose token was revoked: go to the sign-in page."""


class CsrfRefusedError(Exception):
    """A POST without this session's CSRF secret."""


@dataclass(frozen=True, slots=True)
class Page:
    """What every page needs: the session, who is signed in (if anyone), the language."""

    request: Request
    runtime: Container
    session: WebSession
    principal: Principal | None
    locale: str

    @property
    def who(self) -> Principal:
        """The signed-in principal; the pages that need one depend on ``_signed_in``."""
        if self.principal is None:
            raise SignInRequiredError
        return self.principal

    def html(self, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
        """``template`` as this session's page; the cookie is re-signed (idle timeout)."""
        body = render(
            template,
            locale=self.locale,
            csrf=self.session.csrf,
            principal=self.principal,
            path=self.request.url.path,
            query=self.request.url.query,
            **context,
        )
        response = HTMLResponse(body, status_code=status_code)
        response.headers["Content-Security-Policy"] = PAGE_POLICY
        _codec(self.runtime).write(response, self.session, request=self.request)
        return response


def _codec(runtime: Container) -> SessionCodec:
    return SessionCodec(runtime.settings.token_pepper.get_secret_value().encode())


def _locale(request: Request) -> str:
    wanted = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return wanted if wanted in LOCALES else DEFAULT_LOCALE


async def _page(request: Request, runtime: RuntimeDep) -> Page:
    session = _codec(runtime).read(request) or new_session()
    principal = None
    if session.token_id is not None:
        try:
            principal = await run_in_threadpool(
                resume_session,
                sessions=runtime.sessions,
                token_id=session.token_id,
                method=request.method,
                path=request.url.path,
            )
        except AuthenticationError:
            session = new_session()
    if principal is not None:
        # A session speaks for its token: its pages count against the same limits as the
        # token's API requests, or a session would be a way around them.
        limits = get_rate_limits(request)
        client, token_id = client_address(request), principal.token_id

        def within_limits() -> None:
            limits.check_client(client)
            limits.check_token(token_id)

        await run_in_threadpool(within_limits)
    return Page(request, runtime, session, principal, _locale(request))


async def _signed_in(page: Annotated[Page, Depends(_page)]) -> Page:
    if page.principal is None:
        raise SignInRequiredError
    return page


async def _auditor(page: Annotated[Page, Depends(_signed_in)]) -> Page:
    if page.principal is None or page.principal.role is not TokenRole.AUDITOR:
        raise SignInRequiredError
    return page


async def _checked_form(request: Request, page: Page) -> None:
    form = await request.form()
    presented = form.get("csrf")
    if not csrf_matches(page.session, presented if isinstance(presented, str) else None):
        raise CsrfRefusedError


async def _post_any(request: Request, page: Annotated[Page, Depends(_page)]) -> Page:
    await _checked_form(request, page)
    return page


async def _post_signed_in(request: Request, page: Annotated[Page, Depends(_signed_in)]) -> Page:
    await _checked_form(request, page)
    return page


async def _post_auditor(request: Request, page: Annotated[Page, Depends(_auditor)]) -> Page:
    await _checked_form(request, page)
    return page


AnyPage = Annotated[Page, Depends(_page)]
SignedIn = Annotated[Page, Depends(_signed_in)]
Auditor = Annotated[Page, Depends(_auditor)]
PostAny = Annotated[Page, Depends(_post_any)]
PostSignedIn = Annotated[Page, Depends(_post_signed_in)]
PostAuditor = Annotated[Page, Depends(_post_auditor)]


def install_handlers(app: Any) -> None:
    """Answer the two refusals as pages, not as API problem documents."""

    async def sign_in_required(request: Request, _exc: Exception) -> Response:
        target = "/ui/sign-in?" + urlencode({"next": request.url.path})
        return RedirectResponse(target, status_code=303)

    async def csrf_refused(request: Request, _exc: Exception) -> Response:
        body = render(
            "refused.html", locale=_locale(request), csrf="", principal=None, path="", query=""
        )
        return HTMLResponse(body, status_code=403)

    async def refused_as_page(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DocexError)  # noqa: S101 -- registered for this class
        # The API's answer decides the status, the headers and what is logged; a page
        # only shows it as HTML, in the page's language.
        answer = problems.for_error(exc)
        if not request.url.path.startswith("/ui/"):
            return answer
        retry_after = answer.headers.get("Retry-After")
        body = render(
            "error.html",
            locale=_locale(request),
            csrf="",
            principal=None,
            path="",
            query="",
            status=answer.status_code,
            title=ERROR_TITLES.get(answer.status_code, N_("The request was refused")),
            detail=str(exc).partition("\n")[0],
            retry_after=retry_after,
        )
        page = HTMLResponse(body, status_code=answer.status_code)
        page.headers["Content-Security-Policy"] = PAGE_POLICY
        if retry_after is not None:
            page.headers["Retry-After"] = retry_after
        return page

    app.add_exception_handler(SignInRequiredError, sign_in_required)
    app.add_exception_handler(CsrfRefusedError, csrf_refused)
    # Replaces the API's handler for our errors (problems.install): it still answers
    # every path outside /ui/ with problem+json.
    app.add_exception_handler(DocexError, refused_as_page)


ERROR_TITLES = {
    400: N_("The request was refused"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    409: N_("Not possible now"),
    413: N_("The file is too large"),
    422: N_("The request was refused"),
    429: N_("Too many requests"),
    503: N_("The service is unavailable for a moment"),
}
"""The title an error page shows for an API status; the English detail is shown under it."""


def _next(target: str | None) -> str:
    # Only our own pages: an open redirect would make the sign-in page a phishing aid.
    if target and target.startswith("/ui/") and not target.startswith("//"):
        return target
    return "/ui/verify"


@router.get("", response_class=HTMLResponse)
@router.get("/", response_class=HTMLResponse)
async def home(page: AnyPage) -> Response:
    """The workbench's front door."""
    return RedirectResponse("/ui/verify" if page.principal else "/ui/sign-in", status_code=303)


@router.get("/lang/{locale}")
async def switch_language(locale: str, request: Request) -> Response:
    """Switch the pages' language and return to the page the switch was on."""
    response = RedirectResponse(_next(request.query_params.get("next")), status_code=303)
    if locale in LOCALES:
        response.set_cookie(LANG_COOKIE, locale, max_age=365 * 86400, samesite="strict")
    return response


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_form(page: AnyPage, next: str | None = None) -> Response:
    """The sign-in form."""
    return page.html("sign_in.html", next=_next(next), error=None)


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(
    page: PostAny,
    token: Annotated[str, Form()],
    next: Annotated[str | None, Form()] = None,
) -> Response:
    """Exchange an API token for a session cookie."""
    try:
        # The API's rate limits and refused-token aggregation apply to sign-in too.
        principal = await authenticate_limited(page.request, page.runtime, token.strip())
    except AuthenticationError:
        return page.html("sign_in.html", status_code=401, next=_next(next), error="refused")
    response = RedirectResponse(_next(next), status_code=303)
    _codec(page.runtime).write(
        response, page.session.signed_in(principal.token_id), request=page.request
    )
    return response


@router.post("/sign-out")
async def sign_out(page: PostAny) -> Response:
    """End the session."""
    response = RedirectResponse("/ui/sign-in", status_code=303)
    SessionCodec.clear(response)
    return response


@router.get("/verify", response_class=HTMLResponse)
async def verify_form(page: SignedIn) -> Response:
    """The verify-a-file form: nothing uploaded here is stored."""
    return page.html("verify.html", error=None)


def _report_codec(runtime: Container) -> URLSafeSerializer:
    key = runtime.settings.token_pepper.get_secret_value()
    return URLSafeSerializer(key, salt="docex-ui-report")


def _parse_time(value: str | None, what: str = "the validation time") -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"{what} is not a date and time: {value[:40]!r}") from exc
    if moment.tzinfo is None:
        # A time typed without an offset is Kyiv time, as the pages say.
        from docex.api.ui.render import KYIV

        moment = moment.replace(tzinfo=KYIV)
    return moment


# The pages' time fields are text in Kyiv time (a browser's datetime-local field
# would show its own locale's format); a value that is not one gets this clear message.
SINCE_NOT_A_TIME = N_(
    "The start of the time range is not a date and time: {value}. "
    "Write it as YYYY-MM-DD HH:MM, in Kyiv time."
)
AT_NOT_A_TIME = N_(
    "The validation time is not a date and time: {value}. "
    "Write it as YYYY-MM-DD HH:MM, in Kyiv time."
)
UNTIL_NOT_A_TIME = N_(
    "The end of the time range is not a date and time: {value}. "
    "Write it as YYYY-MM-DD HH:MM, in Kyiv time."
)


def _time_field(value: str | None, message: str, page: Page) -> datetime | None:
    """A time field's value: ``YYYY-MM-DD HH:MM`` (seconds and an offset optional; a
    date alone is its midnight), in Kyiv time unless it names its offset."""
    try:
        return _parse_time(value.strip() if value else None)
    except InputError as exc:
        shown = repr(value[:40] if value else "")
        raise InputError(translations(page.locale).gettext(message).format(value=shown)) from exc


@router.post("/verify", response_class=HTMLResponse)
async def verify_file(
    page: PostSignedIn,
    signature: Annotated[UploadFile, File()],
    content: Annotated[UploadFile | None, File()] = None,
    at: Annotated[str | None, Form()] = None,
) -> Response:
    """Verify an uploaded signature (and its detached content) and show the report."""
    settings = page.runtime.settings
    data = await signature.read()
    detached = await content.read() if content is not None else b""
    try:
        report = await verification.verify_unstored(
            verifier=page.runtime.verifier,
            data=data,
            content=detached or None,
            at=_time_field(at, AT_NOT_A_TIME, page),
            max_signature_bytes=settings.max_upload_bytes,
            max_content_bytes=settings.max_content_bytes,
        )
    except InputError as exc:
        return page.html("verify.html", status_code=422, error=str(exc))
    # The downloads carry the report signed, so that they need no server-side state and
    # cannot be made to say what docex did not.
    sealed = _report_codec(page.runtime).dumps(report.to_dict())
    return page.html("result.html", report=report, sealed=sealed, filename=signature.filename or "")


def _report_response(runtime: Container, report: ValidationReport, fmt: str, name: str) -> Response:
    if fmt == "json":
        return Response(
            report.to_json(indent=2),
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}.json"'},
        )
    if fmt == "xml":
        from docex.reports.etsi_xml import etsi_validation_report

        return Response(
            etsi_validation_report(report),
            media_type="application/xml",
            headers={"Content-Disposition": f'attachment; filename="{name}.xml"'},
        )
    from docex.reports.pdf import pdf_validation_report

    sources = ", ".join(str(p) for p in runtime.settings.trust)
    body = pdf_validation_report(report, trust=f"trust sources as configured now: {sources}")
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
    )


@router.post("/verify/report")
async def verify_report(
    page: PostSignedIn,
    sealed: Annotated[str, Form()],
    fmt: Annotated[Literal["pdf", "json", "xml"], Form(alias="format")],
) -> Response:
    """A verified file's report as PDF, JSON or ETSI XML."""
    try:
        data = _report_codec(page.runtime).loads(sealed)
    except BadSignature:
        raise CsrfRefusedError from None
    report = ValidationReport.from_dict(data)
    return await run_in_threadpool(
        _report_response, page.runtime, report, fmt, f"docex-report-{report.document.sha256[:12]}"
    )


@router.get("/documents", response_class=HTMLResponse)
async def document_lookup(page: Auditor, id: str | None = None) -> Response:
    """Look up a stored document by its id."""
    if not id:
        return page.html("lookup.html", error=None)
    try:
        document_id = uuid.UUID(id.strip())
    except ValueError:
        return page.html("lookup.html", status_code=422, error="not-an-id")
    return RedirectResponse(f"/ui/documents/{document_id}", status_code=303)


@router.get("/documents/{document_id}", response_class=HTMLResponse)
async def document_page(page: Auditor, document_id: uuid.UUID) -> Response:
    """A stored document: metadata, the acceptance report and every re-validation."""
    try:
        document = await run_in_threadpool(
            reading.get_document, page.runtime, principal=page.who, document_id=document_id
        )
        history = await run_in_threadpool(
            revalidation.report_history,
            sessions=page.runtime.sessions,
            principal=page.who,
            document_id=document_id,
        )
    except NotFoundError:
        return page.html("lookup.html", status_code=404, error="not-found")
    reports: list[tuple[str, int | None, ValidationReport]] = [
        ("acceptance", None, ValidationReport.from_dict(history.acceptance))
    ]
    reports += [
        ("revalidation", r.id, ValidationReport.from_dict(r.report)) for r in history.revalidations
    ]
    return page.html("document.html", document=document, reports=reports, error=None)


@router.post("/documents/{document_id}/revalidate")
async def document_revalidate(
    page: PostAuditor, document_id: uuid.UUID, at: Annotated[str | None, Form()] = None
) -> Response:
    """Verify the stored original again, now or as of a date, and keep that report."""
    limits = get_rate_limits(page.request)
    try:
        await run_in_threadpool(limits.check_revalidation, page.who.token_id)
        await run_in_threadpool(
            lambda: revalidation.revalidate(
                sessions=page.runtime.sessions,
                store=page.runtime.store,
                verifier=page.runtime.verifier,
                acceptance_policy=page.runtime.acceptance_policy,
                policy=revalidation.RevalidationPolicy.from_settings(page.runtime.settings),
                principal=page.who,
                document_id=document_id,
                at=_time_field(at, AT_NOT_A_TIME, page),
            )
        )
    except InputError as exc:
        return page.html("lookup.html", status_code=422, error=str(exc))
    return RedirectResponse(f"/ui/documents/{document_id}#latest", status_code=303)


@router.get("/documents/{document_id}/original")
async def document_original(page: Auditor, document_id: uuid.UUID) -> Response:
    """The original signed file, as submitted."""
    download = await run_in_threadpool(
        reading.open_content, page.runtime, principal=page.who, document_id=document_id
    )
    return download_response(download, method="GET", if_none_match=None)


@router.get("/documents/{document_id}/report")
async def document_report(
    page: Auditor,
    document_id: uuid.UUID,
    fmt: Annotated[Literal["pdf", "json", "xml"], Query(alias="format")] = "pdf",
    revalidation_id: Annotated[int | None, Query(alias="revalidation", ge=1)] = None,
) -> Response:
    """One stored report (the acceptance one unless a re-validation is named)."""
    report = await run_in_threadpool(
        lambda: revalidation.stored_report(
            sessions=page.runtime.sessions,
            principal=page.who,
            document_id=document_id,
            revalidation_id=revalidation_id,
        )
    )
    name = f"docex-report-{document_id}" + (f"-{revalidation_id}" if revalidation_id else "")
    return await run_in_threadpool(_report_response, page.runtime, report, fmt, name)


PAGE_SIZE = 50


@router.get("/audit", response_class=HTMLResponse)
async def audit_page(
    page: Auditor,
    action: str | None = None,
    edrpou: str | None = None,
    document: str | None = None,
    since: str | None = None,
    until: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = PAGE_SIZE,
) -> Response:
    """The audit trail, filtered and paged, with the hash chain's verification status."""
    filters = {
        "action": action or "",
        "edrpou": edrpou or "",
        "document": document or "",
        "since": since or "",
        "until": until or "",
        "limit": str(limit),
    }
    try:
        where = AuditFilter(
            action=action or None,
            actor_facility_edrpou=edrpou or None,
            target_id=document or None,
            since=_time_field(since, SINCE_NOT_A_TIME, page),
            until=_time_field(until, UNTIL_NOT_A_TIME, page),
        )
        trail = await run_in_threadpool(
            lambda: audit_trail.read_audit_log(
                sessions=page.runtime.sessions,
                principal=page.who,
                where=where,
                cursor=cursor or None,
                limit=limit,
            )
        )
    except InputError as exc:
        return page.html(
            "audit.html",
            status_code=422,
            error=str(exc),
            trail=None,
            chain=None,
            filters=filters,
            next_query=None,
        )
    chain = await run_in_threadpool(audit_chain.verify_audit_chain, sessions=page.runtime.sessions)
    next_query = (
        urlencode({**{k: v for k, v in filters.items() if v}, "cursor": trail.next_cursor})
        if trail.next_cursor
        else None
    )
    return page.html(
        "audit.html", error=None, trail=trail, chain=chain, filters=filters, next_query=next_query
    )
