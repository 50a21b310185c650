"""``docex verify``: check CAdES and PAdES signatures, for people and for scripts."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from docex.cli.exit_codes import ExitCode

if TYPE_CHECKING:
    from docex.signatures.report import ValidationReport
    from docex.signatures.verifier import Verifier

# Below this many files, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 8


@dataclass(frozen=True)
class FileResult:
    """The outcome for one file: a report, or the reason there is none."""

    path: str
    report: ValidationReport | None = None
    error: str | None = None

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


def verify_command(
    files: Annotated[
        list[Path], typer.Argument(help="Signature files: .p7s (CAdES) or .pdf (PAdES).")
    ],
    content: Annotated[
        Path | None,
        typer.Option(
            "--content",
            help="The signed content of a detached signature (one FILE only). "
            "Without it, X.p7s is checked against X when that file exists.",
        ),
    ] = None,
    trust: Annotated[
        list[str] | None,
        typer.Option(
            "--trust",
            help="Trust anchors: a PEM/DER file, a folder of them, or an ETSI TS 119 612 "
            "trusted list (XML). Repeatable. Default: the development anchors in certs-dev/.",
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option("--at", help="Validate as of this ISO 8601 time (default: now)."),
    ] = None,
    online: Annotated[
        bool,
        typer.Option(
            "--online", help="Fetch revocation data from the URLs in certificates (off by default)."
        ),
    ] = False,
    output_format: Annotated[
        str, typer.Option("--format", help="Output: text (for people) or json (one line per file).")
    ] = "text",
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", help="Worker processes for many files.")
    ] = None,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            help="Show the libraries' log messages and the details (tracebacks) of "
            "internal errors on stderr.",
        ),
    ] = False,
) -> None:
    """Verify CAdES (.p7s) and PAdES (.pdf) signatures and print a verdict per file.

    Exit status: 0 every file passed with a qualified signature; 1 some signature failed;
    2 some result is indeterminate, or passed but is not qualified; 3 bad usage or a file
    that is not a signature.
    """
    from docex.cli.render import render_json, render_text

    if output_format not in ("text", "json"):
        _usage(f"--format must be text or json, not {output_format!r}")
    if content is not None and len(files) != 1:
        _usage("--content goes with exactly one signature file")
    validation_time = _parse_time(at)
    trust_sources = _trust_sources(trust)
    settings = _VerifySettings(
        trust=tuple(trust_sources), online=online, at=validation_time, debug=debug
    )
    content_bytes = _read(content) if content is not None else None
    results = _run(settings, files, content_bytes, jobs=jobs, progress=len(files) > 1)
    for result in results:
        if output_format == "json":
            render_json(result)
        else:
            render_text(result)
    raise typer.Exit(int(combined_exit_code([r.exit_code for r in results])))


@dataclass(frozen=True)
class _VerifySettings:
    trust: tuple[str, ...]
    online: bool
    at: datetime | None
    debug: bool = False


def _usage(message: str) -> NoReturn:
    typer.echo(f"docex verify: {message}", err=True)
    raise typer.Exit(int(ExitCode.USAGE))


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


def _trust_sources(trust: list[str] | None) -> list[str]:
    if trust:
        return trust
    default = default_dev_trust()
    if default is None:
        _usage("no --trust given and no certs-dev/trust folder found")
    typer.echo(
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
) -> list[FileResult]:
    from docex.cli.render import progress_bar

    workers = jobs if jobs is not None else min(os.cpu_count() or 1, 8)
    tasks = [(str(f), content) for f in files]
    with progress_bar(total=len(tasks), enabled=progress) as advance:
        if workers > 1 and len(tasks) >= PARALLEL_THRESHOLD:
            with ProcessPoolExecutor(
                max_workers=workers, initializer=_init_worker, initargs=(settings,)
            ) as pool:
                results = []
                for result in pool.map(_verify_one, tasks, chunksize=4):
                    results.append(result)
                    advance()
                return results
        _init_worker(settings)
        try:
            results = []
            for task in tasks:
                results.append(_verify_one(task))
                advance()
            return results
        finally:
            _close_worker()


# One verifier per process, so its caches serve every file that process checks.
_WORKER: tuple[Verifier, _VerifySettings] | None = None


def _init_worker(settings: _VerifySettings) -> None:
    global _WORKER
    from docex.cli.logs import configure_logging
    from docex.errors import TrustConfigError

    # In each worker process too: a forked or spawned worker logs on its own.
    configure_logging(debug=settings.debug)
    from docex.signatures.trust import load_trust_store
    from docex.signatures.verifier import Verifier

    try:
        store = load_trust_store(list(settings.trust))
    except TrustConfigError as exc:
        typer.echo(f"docex verify: {exc}", err=True)
        raise SystemExit(int(ExitCode.USAGE)) from exc
    _WORKER = (Verifier(store, online=settings.online), settings)


def _close_worker() -> None:
    global _WORKER
    if _WORKER is not None:
        _WORKER[0].close()
        _WORKER = None


def _verify_one(task: tuple[str, bytes | None]) -> FileResult:
    from docex.errors import InputError
    from docex.signatures.report import SubIndication

    path, content = task
    if _WORKER is None:
        raise RuntimeError("worker not initialised")
    verifier, settings = _WORKER
    try:
        data = Path(path).read_bytes()
        report = verifier.verify(data, content=content, at=settings.at)
        if content is None and report.sub_indication is SubIndication.SIGNED_DATA_NOT_FOUND:
            sibling = _sibling_content(Path(path))
            if sibling is not None:
                report = verifier.verify(data, content=sibling, at=settings.at)
    except OSError as exc:
        return FileResult(path, error=f"cannot read {path}: {exc.strerror}")
    except InputError as exc:
        return FileResult(path, error=str(exc))
    return FileResult(path, report=report)


def _sibling_content(path: Path) -> bytes | None:
    # X.p7s next to X: the usual way detached signatures travel.
    if path.suffix.lower() not in (".p7s", ".sig"):
        return None
    sibling = path.with_suffix("")
    if sibling.is_file():
        return sibling.read_bytes()
    return None
