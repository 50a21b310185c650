"""``docex demo-seed``: the development PKI's facilities, doctors and demo tokens.

``make run`` runs it before ``docex serve``. Development only: it refuses to run with
``DOCEX_ENVIRONMENT=production``.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import click

from docex.cli.context import admin_context

if TYPE_CHECKING:
    from docex.services.demo import DemoSeed
    from docex.settings import Settings

SAMPLE = Path("certs-dev/samples/referral.p7s")
"""A referral of facility 38291045 to 40123457: a signed ServiceRequest, attached CAdES B-LT.
Everything the exchange records of it is in the signed content, so the request names only
the file and its kind."""
SENDER, RECIPIENT = "38291045", "40123457"


def default_certs() -> Path:
    """The development certificates: in the working directory, or in the source checkout."""
    candidates = [
        Path("certs-dev") / "certs",
        Path(__file__).parents[3] / "certs-dev" / "certs",
    ]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[0]


@click.command("demo-seed")
@click.option(
    "--certs",
    type=click.Path(path_type=Path),
    help="Folder of the dev PKI certificates [default: certs-dev/certs].",
)
def demo_seed(certs: Path | None) -> None:
    """[development only] Seed the dev PKI's facilities, doctors and demo API tokens.

    Adds the two facilities of certs-dev/, every doctor certificate there as an employee
    (so each sample shows its own verdict), and a token for each facility and an auditor,
    printed once. Running it again adds nothing and says so.
    """
    from docex.errors import SettingsError
    from docex.services.admin_audit import Operator
    from docex.services.demo import read_demo_people, seed_demo
    from docex.settings import Environment

    with admin_context() as admin:
        if admin.settings.environment is Environment.PRODUCTION:
            raise SettingsError(
                "demo data is for development; refusing with environment=production"
            )
        people = read_demo_people(certs or default_certs())
        seed = seed_demo(
            sessions=admin.sessions,
            policy=admin.token_policy,
            actor=Operator.at_command_line(),
            people=people,
        )
    _report(seed, admin.settings)


def _docex() -> str:
    # `make run` installs into .venv without putting it on PATH.
    local = Path(".venv/bin/docex")
    return str(local) if local.exists() else "docex"


def _curl(url: str, authorization: str) -> str:
    """A curl command submitting the sample referral; ``authorization`` is the quoted header."""
    return (
        f"curl -sS {url}/api/v1/documents \\\n"
        f"        -H {authorization} \\\n"
        f"        -F file=@{SAMPLE} -F kind=referral"
    )


def _report(seed: DemoSeed, settings: Settings) -> None:
    from docex.cli.serve import base_url

    url = base_url(settings.host, settings.port)
    echo = click.echo
    if not seed.changed:
        echo("Demo data already present: facilities, doctors and demo tokens exist.")
        echo("The demo tokens were shown when the data was first seeded and cannot be shown")
        echo("again. Issue a new one with, for example:")
        echo("")
        echo(f"    TOKEN=$({_docex()} token issue --facility {SENDER} --label demo)")
        # Double quotes, so that the shell expands $TOKEN.
        echo("    " + _curl(url, '"Authorization: Bearer $TOKEN"'))
        echo("")
        echo(f"OpenAPI docs: {url}/docs")
        return
    echo("DEVELOPMENT demo data seeded (the dev PKI's keys are public: never use in production)")
    for edrpou in seed.facilities:
        echo(f"  facility {edrpou} added")
    for person in seed.employees:
        echo(f"  doctor {person.rnokpp} {person.full_name} at {person.edrpou} ({person.label})")
    if seed.tokens:
        echo("")
        echo("API tokens, shown ONLY THIS ONCE (only their hashes are stored):")
        for issued in seed.tokens:
            holder = f"facility {issued.edrpou}" if issued.edrpou else "auditor"
            echo(f"  {holder:<18} {issued.token}")
        sender = next((t for t in seed.tokens if t.edrpou == SENDER), None)
        if sender is not None:
            echo("")
            echo(f"Submit the sample referral as facility {SENDER}, addressed to {RECIPIENT}:")
            echo("")
            echo("    " + _curl(url, shlex.quote(f"Authorization: Bearer {sender.token}")))
            echo("")
            echo("Sign your own documents with `docex sign referral|result|recall|cancel|receipt`")
            echo('(README.md, "A referral end to end", walks through one).')
    echo("")
    echo(f"OpenAPI docs: {url}/docs")
