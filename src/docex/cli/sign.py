r"""``docex sign``: sign the exchange's documents with the development PKI.  DEVELOPMENT ONLY.

One subcommand per kind builds the kind's signed content from a few options and signs it:
``referral``, ``result``, ``recall``, ``cancel`` and ``receipt``
(:mod:`docex.cli.sign_formats`), and ``manifest``, the DocumentReference a
``medical_document`` comes with (:mod:`docex.cli.sign_manifest`). ``docex sign FILE``
(short for ``docex sign file FILE``) signs any file as it is; a PDF gets PAdES. The
default level is B-LT, which the gate accepts offline: it carries the dev PKI's OCSP
responses and CRLs, whose URLs never resolve. The keys are public: never use any of this
for anything real.

Heavy libraries (pyHanko, certomancer, the FHIR models) are imported inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from docex.cli import sign_formats, sign_manifest
from docex.cli.sign_formats import DEFAULT_LEVEL, Digest, Level, Signer, fail
from docex.errors import DocexError


class _SignGroup(TyperGroup):
    """``docex sign FILE`` keeps working beside the subcommands: it means ``sign file FILE``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        # The group itself takes no option but --help, so anything else before a
        # subcommand's name (`docex sign --signer doctor-dstu FILE`) is the file command's.
        if args and args[0] not in self.commands and args[0] != "--help":
            args = ["file", *args]
        result: list[str] = super().parse_args(ctx, args)
        return result


app = typer.Typer(
    name="sign",
    cls=_SignGroup,
    no_args_is_help=True,
    short_help=r"\[development only] Sign a referral, result, recall, cancel, receipt, "
    "manifest or any FILE with a dev PKI key.",
    help=(
        r"\[development only] Sign a document of the exchange with a dev PKI key. "
        "One subcommand per kind builds its signed FHIR content (the author is the signer, "
        "from the certificate) and signs it, by default attached CAdES B-LT, which the gate "
        "accepts: referral, result, recall, cancel, receipt, and manifest (for a "
        "medical_document). `docex sign FILE` signs any file as it is. "
        "The keys are public: never use them for anything real."
    ),
)


app.command("referral")(sign_formats.referral)
app.command("result")(sign_formats.result)
app.command("recall")(sign_formats.recall)
app.command("cancel")(sign_formats.cancel)
app.command("receipt")(sign_formats.receipt)
app.command("manifest")(sign_manifest.manifest)


@app.command("file")
def sign_file(
    file: Annotated[Path, typer.Argument(help="File to sign; a PDF gets a PAdES signature.")],
    signer: Signer,
    attached: Annotated[
        bool, typer.Option("--attached", help="CAdES only: embed the content in the .p7s.")
    ] = False,
    level: Level = DEFAULT_LEVEL,
    digest: Digest = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Output path [default: FILE.p7s or FILE-signed.pdf]."),
    ] = None,
) -> None:
    r"""\[development only] Sign FILE as it is (`docex sign FILE` for short).

    A PDF gets a PAdES signature, written to FILE-signed.pdf. Anything else gets a CAdES
    signature, written to FILE.p7s (detached unless --attached).
    """
    from docex.devpki.documents import PDF_MAGIC, DevSigners
    from docex.errors import DevPkiError

    signers = DevSigners()
    try:
        chosen = signers.digest_of(signer, digest)
        data = file.read_bytes()
        if data.startswith(PDF_MAGIC):
            if attached:
                raise DevPkiError("--attached is for CAdES; a PAdES signature is inside the PDF")
            what = "PAdES"
            target = out or file.with_name(f"{file.stem}-signed.pdf")
            signed = signers.sign_pades(data, signer=signer, level=level, digest=digest)
        else:
            what = "CAdES"
            target = out or file.with_name(f"{file.name}.p7s")
            signed = signers.sign_cades(
                data, signer=signer, detached=not attached, level=level, digest=digest
            )
        target.write_bytes(signed)
    except (DocexError, OSError) as exc:
        fail(exc)
    typer.echo(f"wrote {target} ({what} {level}, {chosen}, signer {signer}; development only)")
