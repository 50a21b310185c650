"""``docex verify``: check CAdES and PAdES signatures, for people and for scripts."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from docex.cli.exit_codes import ExitCode

if TYPE_CHECKING:
    from docex.signatures.isolation import SignatureVerifier
    from docex.signatures.policy import AcceptanceDecision
    from docex.signatures.report import ValidationReport


@dataclass(frozen=True)
class FileResult:
    """The outcome for one file: a report, or the reason there is none."""

    path: str
    report: ValidationReport | None = None
    error: str | None = None
    acceptance: AcceptanceDecision | None = None
    """What the gate's acceptance policy would make of the report (not the exit status)."""
    kind: str | None = None
    """The document kind the policy decided for."""

    @property
    def exit_code(self) -> ExitCode:
        if self.report is None:
            return ExitCode.USAGE
        return exit_code_for(self.report)


def exit_code_for(report: ValidationReport) -> ExitCode:
    """The exit status one report calls for."""
    from docex.signatures.report import Indication

    if report.indication is Indication.TOTAL_FAILED:
        return ExitCode.FAILED
    if report.indication is Indication.INDETERMINATE or not report.qualification.is_qualified:
        return ExitCode.INDETERMINATE
    return ExitCode.OK


def combined_exit_code(codes: Sequence[ExitCode]) -> ExitCode:
    """The status of a run: a file that could not be checked outranks a failure, which
    outranks an indeterminate or unqualified result."""
    for code in (ExitCode.USAGE, ExitCode.FAILED, ExitCode.INDETERMINATE):
        if code in codes:
            return code
    return ExitCode.OK


@click.command("verify")
@click.argument(
    "files",
    nargs=-1,
    required=True,
    type=click.Path(path_type=Path),
    help="Signature files: .p7s (CAdES) or .pdf (PAdES); a folder is walked for "
    "signature files (X.p7s is checked against X beside it); - reads one from stdin.",
)
@click.option(
    "--content",
    type=click.Path(path_type=Path),
    help="The signed content of a detached signature (one FILE only). "
    "Without it, X.p7s is checked against X when that file exists.",
)
@click.option(
    "--trust",
    multiple=True,
    help="Trust anchors: a PEM/DER file, a .p7b CA bundle, a folder of them, or an "
    "ETSI TS 119 612 trusted list (XML). Repeatable. Default: the development "
    "anchors in certs-dev/.",
)
@click.option(
    "--trusted-list-signer",
    multiple=True,
    help="Certificate file of a trusted list's operator: a --trust trusted list must "
    "carry an XML signature that verifies with one of them. Repeatable.",
)
@click.option(
    "--trusted-list-unsigned-dev-only",
    is_flag=True,
    help="Read trusted lists without checking their signature (development PKI only).",
)
@click.option("--at", help="Validate as of this ISO 8601 time (default: now).")
@click.option(
    "--online",
    is_flag=True,
    help="Fetch revocation data from the URLs in certificates (off by default).",
)
@click.option(
    "--format",
    "output_format",
    default="text",
    help="Output: text (for people), json (one line per file) or xml (the ETSI TS "
    "119 102-2 validation report; one FILE).",
)
@click.option(
    "--report",
    "report_pdf",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a PDF validation report for people to this file (one FILE).",
)
@click.option("--jobs", "-j", type=int, help="Worker processes for many files.")
@click.option(
    "--kind",
    default="referral",
    help="The document kind the gate's acceptance policy decides for "
    "(referral, examination_result, medical_document, ...).",
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Text output in detail: signer and certificate fingerprints, trust anchor, "
    "integrity, time, modifications, revocation, and the bottom line.",
)
@click.option(
    "--debug",
    is_flag=True,
    help="Show the libraries' log messages and the details (tracebacks) of "
    "internal errors on stderr.",
)
def verify_command(
    files: tuple[Path, ...],
    content: Path | None,
    trust: tuple[str, ...],
    trusted_list_signer: tuple[str, ...],
    trusted_list_unsigned_dev_only: bool,
    at: str | None,
    online: bool,
    output_format: str,
    report_pdf: Path | None,
    jobs: int | None,
    kind: str,
    verbose: bool,
    debug: bool,
) -> None:
    """Verify CAdES (.p7s) and PAdES (.pdf) signatures and print a verdict per file.

    Each file gets the neutral ETSI verdict and, on a line of its own, whether the
    exchange's acceptance policy would accept it as a document of ``--kind``.

    Exit status (from the ETSI verdict, not the policy): 0 every file passed with a
    qualified signature; 1 some signature failed; 2 some result is indeterminate, or passed
    but is not qualified; 3 bad usage or a file that is not a signature.
    """
    from docex.cli.render import render_json, render_text
    from docex.signatures.policy import DOCEX_GATE_2026

    if output_format not in ("text", "json", "xml"):
        _usage(f"--format must be text, json or xml, not {output_format!r}")
    if kind not in DOCEX_GATE_2026.qualifications:
        kinds = ", ".join(DOCEX_GATE_2026.qualifications)
        _usage(f"--kind must be one of {kinds}, not {kind!r}")
    if content is not None and len(files) != 1:
        _usage("--content goes with exactly one signature file")
    stdin = None
    if any(str(f) == STDIN for f in files):
        if len(files) != 1:
            _usage("- (stdin) is read alone: give no other FILE with it")
        stdin = _read_stdin()
    paths = _expand(files)
    if not paths:
        _usage("no signature file found in the folder(s) given")
    if output_format == "xml" and len(paths) != 1:
        _usage("--format xml writes one report: give exactly one FILE")
    if report_pdf is not None and len(paths) != 1:
        _usage("--report writes one PDF report: give exactly one FILE")
    validation_time = _parse_time(at)
    trust_sources = _trust_sources(trust)
    settings = _VerifySettings(
        trust=tuple(trust_sources),
        online=online,
        at=validation_time,
        kind=kind,
        debug=debug,
        trusted_list_signer=tuple(trusted_list_signer),
        trusted_list_unsigned_dev_only=trusted_list_unsigned_dev_only,
    )
    content_bytes = _read(content) if content is not None else None
    results = _run(settings, paths, content_bytes, jobs=jobs, progress=len(paths) > 1, stdin=stdin)
    for result in results:
        if output_format == "json":
            render_json(result)
        elif output_format == "xml":
            _write_xml(result)
        else:
            render_text(result, verbose=verbose)
    if report_pdf is not None:
        _write_pdf(results[0], report_pdf, trust_sources)
    if len(results) > 1:
        click.echo(_summary(results), err=output_format != "text")
    raise click.exceptions.Exit(int(combined_exit_code([r.exit_code for r in results])))


STDIN = "-"
SIGNATURE_SUFFIXES = frozenset({".p7s", ".p7m", ".p7", ".sig", ".pdf"})
"""What a folder walk picks up; files named on the command line are checked whatever
their name."""
MAX_WALKED_FILES = 100_000


def _expand(paths: Sequence[Path]) -> list[Path]:
    """Files as given, folders walked (sorted) for signature files.

    In a folder, X is the detached content of X.p7s (or X.sig) beside it, not a signature
    of its own, and is left out rather than reported as "not a signature".
    """
    out: list[Path] = []
    for path in paths:
        if str(path) == STDIN or not path.is_dir():
            out.append(path)
            continue
        found = sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink())
        if len(found) > MAX_WALKED_FILES:
            _usage(f"{path} holds more than {MAX_WALKED_FILES} files; name a smaller folder")
        names = set(found)
        for candidate in found:
            if candidate.suffix.lower() not in SIGNATURE_SUFFIXES:
                continue
            if candidate.suffix.lower() == ".pdf" and (
                candidate.with_name(candidate.name + ".p7s") in names
                or candidate.with_name(candidate.name + ".sig") in names
            ):
                continue  # a PDF that travels with a detached CAdES is that one's content
            out.append(candidate)
    return out


def _read_stdin() -> bytes:
    from docex.signatures.isolation import DEFAULT_MAX_INPUT_BYTES

    # Bounded like any input: one byte more than the limit says it is too large.
    data = sys.stdin.buffer.read(DEFAULT_MAX_INPUT_BYTES + 1)
    if len(data) > DEFAULT_MAX_INPUT_BYTES:
        _usage(f"stdin holds more than {DEFAULT_MAX_INPUT_BYTES} bytes, the verifier's limit")
    return data


def _summary(results: Sequence[FileResult]) -> str:
    counts = dict.fromkeys(ExitCode, 0)
    for result in results:
        counts[result.exit_code] += 1
    return (
        f"{len(results)} files: {counts[ExitCode.OK]} passed and qualified, "
        f"{counts[ExitCode.FAILED]} failed, {counts[ExitCode.INDETERMINATE]} indeterminate "
        f"or not qualified, {counts[ExitCode.USAGE]} not checked"
    )


def _write_xml(result: FileResult) -> None:
    from docex.reports.etsi_xml import etsi_validation_report

    if result.report is None:
        click.echo(f"docex verify: {result.error}", err=True)
        return
    sys.stdout.buffer.write(etsi_validation_report(result.report))
    sys.stdout.buffer.flush()


def _write_pdf(result: FileResult, target: Path, trust_sources: Sequence[str]) -> None:
    from docex.reports.pdf import pdf_validation_report

    if result.report is None:
        click.echo(f"docex verify: no PDF report: {result.error}", err=True)
        return
    document = pdf_validation_report(
        result.report, trust=f"trust sources: {', '.join(trust_sources)}"
    )
    try:
        # Written whole to a temporary file beside the target, then moved into place:
        # an interrupted run leaves no half-written report.
        partial = target.with_name(f".{target.name}.partial")
        partial.write_bytes(document)
        partial.replace(target)
    except OSError as exc:
        _usage(f"cannot write the PDF report {target}: {exc.strerror}")
    click.echo(f"docex verify: PDF report written to {target}", err=True)


@dataclass(frozen=True)
class _VerifySettings:
    trust: tuple[str, ...]
    online: bool
    at: datetime | None
    kind: str = "referral"
    debug: bool = False
    trusted_list_signer: tuple[str, ...] = ()
    trusted_list_unsigned_dev_only: bool = False


def _usage(message: str) -> NoReturn:
    click.echo(f"docex verify: {message}", err=True)
    raise click.exceptions.Exit(int(ExitCode.USAGE))


def _parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        _usage(f"--at {value!r} is not an ISO 8601 time")
    if parsed.tzinfo is None:
        _usage(f"--at {value!r} needs a time zone, e.g. {value}+02:00 or {value}Z")
    return parsed


def _trust_sources(trust: Sequence[str]) -> list[str]:
    if trust:
        return list(trust)
    default = default_dev_trust()
    if default is None:
        _usage("no --trust given and no certs-dev/trust folder found")
    click.echo(
        f"docex verify: no --trust given; using the DEVELOPMENT trust anchors in {default} "
        "(never rely on these in production)",
        err=True,
    )
    return [str(default)]


def default_dev_trust() -> Path | None:
    """The development trust folder: in the working directory, or in the source checkout."""
    candidates = [
        Path.cwd() / "certs-dev" / "trust",
        Path(__file__).parents[3] / "certs-dev" / "trust",
    ]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        _usage(f"cannot read {path}: {exc.strerror}")


def _run(
    settings: _VerifySettings,
    files: Sequence[Path],
    content: bytes | None,
    *,
    jobs: int | None,
    progress: bool,
    stdin: bytes | None = None,
) -> list[FileResult]:
    from docex.cli.render import progress_bar

    workers = jobs if jobs is not None else min(os.cpu_count() or 1, 8)
    tasks = [(str(f), content) for f in files]
    if stdin is not None:
        # The signature read from stdin, verified like a file named "-".
        with _open_verifier(settings, workers=1) as verifier:
            return [_verify_bytes(verifier, settings, STDIN, stdin, content)]
    workers = max(1, min(workers, len(tasks)))
    if workers > 1 and any(Path(path).suffix.lower() == ".pdf" for path, _ in tasks):
        # The verifier loads its PDF side with the first PDF; here, before the workers
        # fork, so that they start with it instead of each importing it again.
        importlib.import_module("docex.signatures.pades")
    # Each file is verified in a worker process, within the time and memory budget of
    # DOCEX_VERIFY_* (see docs/limits.md); the workers keep their caches across files.
    verifier = _open_verifier(settings, workers=workers)
    with verifier, progress_bar(total=len(tasks), enabled=progress) as advance:
        with ThreadPoolExecutor(max_workers=workers) as threads:
            results = []
            for result in threads.map(lambda task: _verify_one(verifier, settings, task), tasks):
                results.append(result)
                advance()
            return results


def _open_verifier(settings: _VerifySettings, *, workers: int) -> SignatureVerifier:
    from functools import partial

    from docex.cli.logs import configure_logging
    from docex.errors import DocexError
    from docex.signatures.isolation import DEFAULT_MAX_INPUT_BYTES, build_verifier
    from docex.verifier_settings import Environment, read_verifier_settings

    try:
        # Only the verifier's settings (DOCEX_VERIFY_*, DOCEX_MAX_*, DOCEX_OUTBOUND_*)
        # matter here, read without pydantic (issue 12: a fast start); production's
        # checks guard the service's secrets and trust, which this command does not use.
        config = read_verifier_settings(os.environ, environment=Environment.DEVELOPMENT)
        return build_verifier(
            config,
            trust=settings.trust,
            trusted_list_signers=settings.trusted_list_signer,
            allow_unsigned_trusted_list=settings.trusted_list_unsigned_dev_only,
            online=settings.online,
            # The verifier's own limit: the CLI checks files, not the API's uploads.
            max_input_bytes=DEFAULT_MAX_INPUT_BYTES,
            # DOCEX_VERIFY_WORKERS=0 verifies in this process; otherwise --jobs decides.
            workers=0 if config.verify_workers == 0 else workers,
            # A spawned worker logs on its own: library tracebacks stay off the terminal
            # there too, and --debug shows them.
            initializer=partial(configure_logging, debug=settings.debug),
            # The command has no other thread yet: forked workers start with the verifier
            # this process imports, instead of importing it again (issue 12). One worker
            # imports it itself: this process never verifies, and a worker forked from a
            # smaller process has fewer pages to copy.
            start_method="fork",
            preload=workers > 1,
        )
    except DocexError as exc:
        click.echo(f"docex verify: {exc}", err=True)
        raise SystemExit(int(ExitCode.USAGE)) from exc


def _verify_one(
    verifier: SignatureVerifier, settings: _VerifySettings, task: tuple[str, bytes | None]
) -> FileResult:
    path, content = task
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return FileResult(path, error=f"cannot read {path}: {exc.strerror}")
    return _verify_bytes(verifier, settings, path, data, content)


def _verify_bytes(
    verifier: SignatureVerifier,
    settings: _VerifySettings,
    path: str,
    data: bytes,
    content: bytes | None,
) -> FileResult:
    from docex.errors import InputError
    from docex.signatures.policy import DOCEX_GATE_2026
    from docex.signatures.report import SubIndication

    sibling: bytes | None = None
    unreadable: OSError | None = None
    if content is None and path != STDIN:
        try:
            sibling = _sibling_content(Path(path))
        except OSError as exc:
            unreadable = exc  # an error only if the signature turns out to need it
    try:
        # X beside X.p7s is offered as the content only if the signature is detached: an
        # attached one is checked against its own, and either is verified once.
        report = verifier.verify(data, content=content, at=settings.at, content_if_detached=sibling)
    except OSError as exc:
        return FileResult(path, error=f"cannot read {path}: {exc.strerror}")
    except InputError as exc:
        return FileResult(path, error=str(exc))
    if unreadable is not None and report.sub_indication is SubIndication.SIGNED_DATA_NOT_FOUND:
        return FileResult(path, error=f"cannot read {path}: {unreadable.strerror}")
    acceptance = DOCEX_GATE_2026.decide(report, kind=settings.kind)
    return FileResult(path, report=report, acceptance=acceptance, kind=settings.kind)


def _sibling_content(path: Path) -> bytes | None:
    # X.p7s next to X: the usual way detached signatures travel.
    if path.suffix.lower() not in (".p7s", ".sig"):
        return None
    from docex.signatures.isolation import DEFAULT_MAX_INPUT_BYTES

    sibling = path.with_suffix("")
    if not sibling.is_file():
        return None
    # Bounded like any input: one byte more than the verifier's limit is enough for it to
    # refuse the content as too large (and only if the signature turns out detached).
    with sibling.open("rb") as file:
        return file.read(DEFAULT_MAX_INPUT_BYTES + 1)
