"""``docex sign``: sign the exchange's documents with the development PKI.  DEVELOPMENT ONLY.

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

import click

from docex.cli import sign_formats, sign_manifest
from docex.cli.help import HelpGroup
from docex.cli.sign_formats import digest_option, fail, level_option, signer_option
from docex.errors import DocexError


class _SignGroup(HelpGroup):
    """``docex sign FILE`` keeps working beside the subcommands: it means ``sign file FILE``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Parse as a group, with ``file`` put before anything that is not a subcommand."""
        # The group itself takes no option but --help, so anything else before a
        # subcommand's name (`docex sign --signer doctor-dstu FILE`) is the file command's.
        if args and args[0] not in self.commands and args[0] != "--help":
            args = ["file", *args]
        return super().parse_args(ctx, args)


app = _SignGroup(
    name="sign",
    no_args_is_help=True,
    short_help="[development only] Sign a referral, result, recall, cancel, receipt, "
    "manifest or any FILE with a dev PKI key.",
    help=(
        "[development only] Sign a document of the exchange with a dev PKI key. "
        "One subcommand per kind builds its signed FHIR content (the author is the signer, "
        "from the certificate) and signs it, by default attached CAdES B-LT, which the gate "
        "accepts: referral, result, recall, cancel, receipt, and manifest (for a "
        "medical_document). `docex sign FILE` signs any file as it is. "
        "The keys are public: never use them for anything real."
    ),
)

for _kind in (
    sign_formats.referral,
    sign_formats.result,
    sign_formats.recall,
    sign_formats.cancel,
    sign_formats.receipt,
    sign_manifest.manifest,
):
    app.add_command(_kind)


@app.command("file")
@click.argument(
    "file",
    type=click.Path(path_type=Path),
    help="File to sign; a PDF gets a PAdES signature.",
)
@signer_option
@click.option("--attached", is_flag=True, help="CAdES only: embed the content in the .p7s.")
@level_option
@digest_option
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    help="Output path [default: FILE.p7s or FILE-signed.pdf].",
)
def sign_file(
    file: Path,
    signer: str,
    attached: bool,
    level: str,
    digest: str | None,
    out: Path | None,
) -> None:
    """[development only] Sign FILE as it is (`docex sign FILE` for short).

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
    click.echo(f"wrote {target} ({what} {level}, {chosen}, signer {signer}; development only)")
