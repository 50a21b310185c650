"""``docex dev-pki`` and ``docex sign``: development-only tools over :mod:`docex.devpki`.

Heavy libraries (pyHanko, certomancer) are imported inside the commands so that
``docex --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from docex.cli.exit_codes import ExitCode
from docex.errors import DocexError

_PDF_MAGIC = b"%PDF-"


def dev_pki(
    out: Annotated[
        Path, typer.Option("--out", help="Directory to write the development PKI into.")
    ] = Path("certs-dev"),
) -> None:
    r"""\[development only] Regenerate the development PKI, trusted lists and samples.

    Writes certs-dev/ (or --out): trust anchors, certificates, keys, CRLs, trusted lists,
    signed samples and a README. Never trust any of it outside development.
    """
    from docex.devpki.generate import generate

    try:
        written = generate(out)
    except (DocexError, OSError) as exc:
        _fail(exc)
    typer.echo(f"wrote {len(written)} files under {out} (DEVELOPMENT ONLY, never trust them)")


def sign(
    file: Annotated[Path, typer.Argument(help="File to sign; a PDF gets a PAdES signature.")],
    signer: Annotated[
        str, typer.Option("--signer", help="Label of a dev PKI certificate, e.g. doctor-ecdsa.")
    ],
    attached: Annotated[
        bool, typer.Option("--attached", help="CAdES only: embed the content in the .p7s.")
    ] = False,
    level: Annotated[
        str, typer.Option("--level", help="B-B, B-T, B-LT, or (PAdES only) B-LTA.")
    ] = "B-B",
    digest: Annotated[
        str | None,
        typer.Option(
            "--digest",
            help="sha256 (default), sha384, sha512 or sha1; gost34311 (the only one) for DSTU.",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Output path [default: FILE.p7s or FILE-signed.pdf]."),
    ] = None,
) -> None:
    r"""\[development only] Sign FILE with a key of the development PKI.

    A PDF gets a PAdES signature, written to FILE-signed.pdf.
    Anything else gets a CAdES signature, written to FILE.p7s (detached unless --attached).
    The keys are public: never use them for anything real.
    """
    from docex.devpki import DevPki, sign_cades, sign_pades
    from docex.devpki.dstu_pki import DSTU_END_ENTITY_LABELS, DstuPki
    from docex.devpki.pki import END_ENTITY_LABELS
    from docex.errors import DevPkiError

    try:
        labels = (*END_ENTITY_LABELS, *DSTU_END_ENTITY_LABELS)
        if signer not in labels:
            raise DevPkiError(f"unknown signer {signer!r}; choose one of {', '.join(labels)}")
        data = file.read_bytes()
        if signer in DSTU_END_ENTITY_LABELS:
            # The DSTU branch signs with GOST 34.311-95 only.
            if digest not in (None, "gost34311"):
                raise DevPkiError(f"{signer} signs with GOST 34.311-95 (--digest gost34311)")
            dstu = DstuPki.load()
            if data.startswith(_PDF_MAGIC):
                if attached:
                    raise DevPkiError(
                        "--attached is for CAdES; a PAdES signature is inside the PDF"
                    )
                kind = "PAdES"
                target = out or file.with_name(f"{file.stem}-signed.pdf")
                signed = dstu.sign_pades(data, signer=signer, level=level)
            else:
                kind = "CAdES"
                target = out or file.with_name(f"{file.name}.p7s")
                signed = dstu.sign_cades(data, signer=signer, detached=not attached, level=level)
            target.write_bytes(signed)
            typer.echo(
                f"wrote {target} ({kind} {level}, gost34311, signer {signer}; development only)"
            )
            return
        digest = digest or "sha256"
        pki = DevPki.load()
        kind = "PAdES" if data.startswith(_PDF_MAGIC) else "CAdES"
        if kind == "PAdES":
            if attached:
                raise DevPkiError("--attached is for CAdES; a PAdES signature is inside the PDF")
            target = out or file.with_name(f"{file.stem}-signed.pdf")
            signed = sign_pades(pki, data, signer=signer, level=level, digest=digest)
        else:
            target = out or file.with_name(f"{file.name}.p7s")
            signed = sign_cades(
                pki, data, signer=signer, detached=not attached, level=level, digest=digest
            )
        target.write_bytes(signed)
    except (DocexError, OSError) as exc:
        _fail(exc)
    typer.echo(f"wrote {target} ({kind} {level}, {digest}, signer {signer}; development only)")


def _fail(exc: Exception) -> NoReturn:
    # One line, no traceback: these are usage problems, not bugs.
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    where = f"{exc.filename}: " if isinstance(exc, OSError) and exc.filename else ""
    typer.echo(f"docex: error: {where}{detail}", err=True)
    raise typer.Exit(ExitCode.USAGE)
