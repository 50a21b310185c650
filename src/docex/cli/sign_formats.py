r"""The kind subcommands of ``docex sign``: build a kind's signed content, then sign it.

Each command builds the FHIR resource of its kind (:mod:`docex.formats.building`) for the
signer's author, as the signing certificate names it, so that the content and the
signature cannot disagree about who wrote it. The content is read back as the gate reads
it (:func:`docex.formats.reading.read_facts`) before anything is signed: a combination
the gate refuses is refused here, before a signature is spent on it.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from docex.cli.exit_codes import ExitCode
from docex.cli.params import ValueChoice
from docex.domain import DocumentKind, ReferralPriority
from docex.errors import DocexError

if TYPE_CHECKING:
    from docex.formats.facts import Author

    Build = Callable[[Author], dict[str, Any]]

Command = Callable[..., None]

DEFAULT_LEVEL = "B-LT"  # docex.devpki.documents.DEFAULT_LEVEL, without importing it here

signer_option = click.option(
    "--signer",
    required=True,
    help="Label of a dev PKI certificate: doctor-ecdsa, doctor-rsa (facility 38291045), "
    "doctor2-ecdsa (facility 40123457), facility-seal, doctor-dstu, …",
)
level_option = click.option(
    "--level", default=DEFAULT_LEVEL, help="B-B, B-T, B-LT, or (PAdES only) B-LTA."
)
digest_option = click.option(
    "--digest",
    help="sha256 (default), sha384, sha512 or sha1; gost34311 (the only one) for DSTU.",
)
attached_option = click.option(
    "--attached/--detached",
    default=True,
    help="Embed the content in the .p7s (one file to send), or write it beside: with "
    "--detached the content goes to OUT without .p7s (or --content-out).",
)
out_option = click.option(
    "--out", "-o", type=click.Path(path_type=Path), help="Where to write the signature."
)
content_out_option = click.option(
    "--content-out",
    type=click.Path(path_type=Path),
    help="With --detached: where to write the signed content "
    "[default: OUT without .p7s, or OUT with .json].",
)
patient_option = click.option(
    "--patient",
    required=True,
    help="The patient: RNOKPP (10 digits) or eHealth person id (UUID).",
)
reason_option = click.option("--reason", help="Why, in words (statusReason).")
referral_id_option = click.option(
    "--referral",
    required=True,
    type=click.UUID,
    help="Document id of the referral (from its 201).",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Signing:
    """Who signs and how, as ``--signer`` and the options of :func:`signing_options` say."""

    signer: str
    attached: bool
    level: str
    digest: str | None
    out: Path | None
    content_out: Path | None


def signing_options(*, detachable: bool = True) -> Callable[[Command], Command]:
    """The options every kind ends with: --attached/--detached, --level, --digest, --out,
    --content-out; a manifest, always attached, takes neither the first nor the last.

    The command receives them, with ``--signer`` (which each command places among its
    own options), as one ``signing: Signing``.
    """

    def decorate(function: Command) -> Command:
        @functools.wraps(function)
        def command(
            *,
            signer: str,
            level: str,
            digest: str | None,
            out: Path | None,
            attached: bool = True,
            content_out: Path | None = None,
            **given: Any,
        ) -> None:
            signing = Signing(
                signer=signer,
                attached=attached,
                level=level,
                digest=digest,
                out=out,
                content_out=content_out,
            )
            function(signing=signing, **given)

        options = [level_option, digest_option, out_option]
        if detachable:
            options = [attached_option, *options, content_out_option]
        # Click lists options in the order their decorators stand, top to bottom: the
        # innermost is applied first.
        wrapped: Command = command
        for option in reversed(options):
            wrapped = option(wrapped)
        return wrapped

    return decorate


# Each command below writes its own parameters out: click passes every option as a
# keyword named after it, and the command's docstring is its --help page. So recall and
# cancel, which differ only in their kind and their help, stay two commands.


@click.command("referral")
@patient_option
@click.option("--service", required=True, help="Service code, e.g. K-CARD-01.")
@click.option("--service-text", required=True, help="What the service is, in words.")
@signer_option
@click.option("--performer", help="EDRPOU of the facility addressed; leave out for any facility.")
@click.option(
    "--priority",
    type=ValueChoice(ReferralPriority),
    default=ReferralPriority.ROUTINE.value,
    help="How urgent.",
)
@click.option(
    "--valid-until",
    help="End of validity, ISO 8601 with offset (2026-12-31T23:59:59+02:00).",
)
@signing_options()
def referral(
    patient: str,
    service: str,
    service_text: str,
    performer: str | None,
    priority: ReferralPriority,
    valid_until: str | None,
    signing: Signing,
) -> None:
    """[development only] Sign a referral: a FHIR ServiceRequest (referral/1).

    The requester is the signer (a contained PractitionerRole: RNOKPP and facility EDRPOU
    from the certificate). Written to OUT [default: referral.p7s].
    """
    from docex.formats import building

    def build(author: Author) -> dict[str, Any]:
        return building.referral(
            patient=patient,
            author_rnokpp=author.rnokpp,
            author_edrpou=author.edrpou,
            service_code=service,
            service_text=service_text,
            performer_edrpou=performer,
            priority=priority,
            valid_until=_aware("--valid-until", valid_until),
        )

    sign_json(DocumentKind.REFERRAL, build, signing, default_out=Path("referral.p7s"))


@click.command("result")
@patient_option
@signer_option
@click.option("--answers", type=click.UUID, help="Document id of the referral this result answers.")
@click.option("--recipient", help="EDRPOU the result goes to, when it answers no referral.")
@click.option(
    "--replaces", type=click.UUID, help="Document id of the earlier result this one corrects."
)
@click.option("--code", default="11502-2", help="LOINC code of the report.")
@click.option("--code-text", default="Laboratory report", help="What the report is, in words.")
@click.option("--conclusion", help="The conclusion, in words.")
@signing_options()
def result(
    patient: str,
    answers: uuid.UUID | None,
    recipient: str | None,
    replaces: uuid.UUID | None,
    code: str,
    code_text: str,
    conclusion: str | None,
    signing: Signing,
) -> None:
    """[development only] Sign an examination result: a FHIR DiagnosticReport.

    With --answers it answers that referral and goes to its issuer; with --recipient it is
    a standalone result for that facility; --replaces makes it a correction. The performer
    is the signer. Written to OUT [default: result.p7s].
    """
    from docex.formats import building

    def build(author: Author) -> dict[str, Any]:
        return building.examination_result(
            patient=patient,
            author_rnokpp=author.rnokpp,
            author_edrpou=author.edrpou,
            answers=answers,
            replaces=replaces,
            recipient_edrpou=recipient,
            code=code,
            code_text=code_text,
            conclusion=conclusion,
        )

    sign_json(DocumentKind.EXAMINATION_RESULT, build, signing, default_out=Path("result.p7s"))


@click.command("recall")
@referral_id_option
@patient_option
@signer_option
@reason_option
@signing_options()
def recall(referral: uuid.UUID, patient: str, reason: str | None, signing: Signing) -> None:
    """[development only] Sign the recall of a referral: a FHIR Task (code recall).

    Written to OUT [default: recall.p7s].
    """
    _sign_task(
        DocumentKind.REFERRAL_RECALL,
        focus=referral,
        patient=patient,
        reason=reason,
        signing=signing,
        default_out=Path("recall.p7s"),
    )


@click.command("cancel")
@referral_id_option
@patient_option
@signer_option
@reason_option
@signing_options()
def cancel(referral: uuid.UUID, patient: str, reason: str | None, signing: Signing) -> None:
    """[development only] Sign a referral's cancellation (entered in error): a FHIR Task.

    Written to OUT [default: cancel.p7s].
    """
    _sign_task(
        DocumentKind.REFERRAL_CANCELLATION,
        focus=referral,
        patient=patient,
        reason=reason,
        signing=signing,
        default_out=Path("cancel.p7s"),
    )


@click.command("receipt")
@click.option(
    "--document",
    required=True,
    type=click.UUID,
    help="Id of the delivered document received.",
)
@patient_option
@signer_option
@signing_options()
def receipt(document: uuid.UUID, patient: str, signing: Signing) -> None:
    """[development only] Sign a receipt for a delivered document: a FHIR Task (receipt/1).

    Send it to POST /api/v1/deliveries/{document}/receipt. Written to OUT
    [default: receipt.p7s].
    """
    _sign_task(
        DocumentKind.RECEIPT,
        focus=document,
        patient=patient,
        reason=None,
        signing=signing,
        default_out=Path("receipt.p7s"),
    )


def _sign_task(
    kind: DocumentKind,
    *,
    focus: uuid.UUID,
    patient: str,
    reason: str | None,
    signing: Signing,
    default_out: Path,
) -> None:
    from docex.formats import building

    def build(author: Author) -> dict[str, Any]:
        return building.task(
            kind=kind,
            focus=focus,
            patient=patient,
            author_rnokpp=author.rnokpp,
            author_edrpou=author.edrpou,
            reason=reason,
        )

    sign_json(kind, build, signing, default_out=default_out)


def sign_json(kind: DocumentKind, build: Build, signing: Signing, *, default_out: Path) -> None:
    """Build the content for the signer's author, read it back as the gate does, sign it,
    and write it to ``signing.out`` (``default_out`` if not given)."""
    from docex.devpki.documents import DevSigners
    from docex.formats import building
    from docex.formats.reading import read_facts

    signer, level, attached = signing.signer, signing.level, signing.attached
    out = signing.out or default_out
    signers = DevSigners()
    try:
        chosen = signers.digest_of(signer, signing.digest)
        author = signers.author(signer)
        content = building.encode(build(author))
        facts = read_facts(kind, content)
        signed = signers.sign_cades(
            content, signer=signer, detached=not attached, level=level, digest=signing.digest
        )
        written = [out]
        if not attached:
            content_path = signing.content_out or _content_path(out)
            content_path.write_bytes(content)
            written.append(content_path)
        out.write_bytes(signed)
    except ValueError as exc:  # a malformed value given to the builder (e.g. the patient)
        fail(exc)
    except (DocexError, OSError) as exc:
        fail(exc)
    form = "attached" if attached else f"detached, content in {written[1]}"
    who = f"RNOKPP {author.rnokpp} at {author.edrpou}" if author.rnokpp else author.edrpou
    click.echo(
        f"wrote {out} ({facts.format} signed by {signer} ({who}): CAdES {level} {form}, "
        f"{chosen}; development only)"
    )


def _content_path(out: Path) -> Path:
    # `X.json.p7s` signs `X.json`, the convention of certs-dev/samples.
    if out.suffix == ".p7s" and Path(out.stem).suffix:
        return out.with_suffix("")
    return out.with_suffix(".json")


def _aware(option: str, value: str | None) -> datetime | None:
    """An ISO 8601 moment with its offset: validity ends are legal facts, never naive."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 date-time", param_hint=option
        ) from None
    if moment.utcoffset() is None:
        raise click.BadParameter(
            f"{value!r} has no offset; write it as 2026-12-31T23:59:59+02:00", param_hint=option
        )
    return moment


def fail(exc: Exception) -> NoReturn:
    """Say what went wrong on one line and exit with ``USAGE``."""
    # No traceback: these are usage problems, not bugs.
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    where = f"{exc.filename}: " if isinstance(exc, OSError) and exc.filename else ""
    click.echo(f"docex: error: {where}{detail}", err=True)
    raise click.exceptions.Exit(ExitCode.USAGE)
