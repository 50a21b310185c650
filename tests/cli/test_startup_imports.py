"""``docex`` imports only what the command it runs needs (issue 12: a fast start).

Each check runs a fresh interpreter, because this test process has long since imported
everything, and lists the top-level packages loaded by the time the process exits. A
test fails when someone adds an eager import of a heavy library again.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.fresh_python import REPO, modules_at_exit, run_python

SAMPLE = REPO / "certs-dev" / "samples" / "referral.txt.p7s"

SERVICE_ONLY = frozenset(
    {"fastapi", "starlette", "uvicorn", "httpx", "minio", "fhir", "reportlab", "jinja2"}
)
"""The web service's, the storage's and the PDF report's libraries: no ``docex verify``
of a file (without ``--report``) needs one."""

ADMIN_ONLY = frozenset({"sqlalchemy", "alembic", "psycopg"})
"""The database's libraries: only the administrative commands open it."""

VERIFIER = frozenset({"pyhanko", "pyhanko_certvalidator", "asn1crypto", "cryptography", "lxml"})
"""The verifier's libraries: loaded by ``verify`` when it verifies, not to show help."""


def _loaded_modules(body: str, *args: str, env: dict[str, str] | None = None) -> set[str]:
    return modules_at_exit(body, *args, env=env)[1]


def _loaded(body: str, *args: str, env: dict[str, str] | None = None) -> set[str]:
    """The top-level packages loaded by the time the process exits."""
    return {name.split(".")[0] for name in _loaded_modules(body, *args, env=env)}


def test_importing_the_cli_loads_no_heavy_library() -> None:
    loaded = _loaded("import docex.cli.main, docex.cli.verify")
    assert "docex" in loaded
    assert loaded & (SERVICE_ONLY | ADMIN_ONLY | VERIFIER) == set()
    # Settings are read when a command runs, never at import.
    assert "pydantic_settings" not in loaded


def test_help_loads_no_heavy_library() -> None:
    loaded = _loaded("from docex.cli.main import run\nrun()", "--help")
    assert loaded & (SERVICE_ONLY | ADMIN_ONLY | VERIFIER | {"pydantic"}) == set()


def test_help_lists_the_commands_without_importing_one() -> None:
    loaded = _loaded_modules("from docex.cli.main import run\nrun()", "--help")
    assert "click" in loaded
    assert {m for m in loaded if m.startswith("docex.cli.")} == {
        "docex.cli.exit_codes",
        "docex.cli.help",
        "docex.cli.main",
    }
    assert {m.split(".")[0] for m in loaded} & {"typer", "rich"} == set()


def test_verify_one_file_loads_no_service_library() -> None:
    # In process (no worker), so that the verifier's own imports are counted too.
    loaded = _loaded(
        "from docex.cli.main import run\nrun()",
        "verify",
        str(SAMPLE),
        env={"DOCEX_VERIFY_WORKERS": "0"},
    )
    assert "pyhanko" in loaded  # it did verify
    assert loaded & SERVICE_ONLY == set()
    # The development anchors are certificates: no trusted list to parse, so no XML.
    assert "lxml" not in loaded


def test_verify_one_file_leaves_the_verifier_to_its_worker() -> None:
    # One file, one worker: the command itself never verifies, so it imports neither the
    # verifier nor the PDF side, and loads no trust store; its worker does all three.
    pdf = REPO / "certs-dev" / "samples" / "examination-result.pdf"
    done, loaded = modules_at_exit("from docex.cli.main import run\nrun()", "verify", str(pdf))
    assert done.returncode == 0, done.stderr
    assert "accepted" in done.stdout
    assert "docex.signatures.isolation" in loaded  # it did start a worker
    here = {"docex.signatures.verifier", "docex.signatures.pades", "docex.signatures.trust"}
    assert loaded & here == set()
    assert "pyhanko.pdf_utils.reader" not in loaded


def test_verify_two_files_loads_the_verifier_once_for_both_workers() -> None:
    pdf = REPO / "certs-dev" / "samples" / "examination-result.pdf"
    done, loaded = modules_at_exit(
        "from docex.cli.main import run\nrun()", "verify", "--jobs", "2", str(SAMPLE), str(pdf)
    )
    assert done.returncode == 0, done.stderr
    # Imported here before the two workers fork, so that neither imports it again.
    assert {"docex.signatures.verifier", "docex.signatures.pades"} <= loaded


def test_loading_the_settings_loads_no_database_library() -> None:
    # The default database URL is SQLite's; its validator needs no SQLAlchemy to check it.
    loaded = _loaded("from docex.settings import load_settings\nload_settings()")
    assert "pydantic_settings" in loaded  # it did load them
    assert loaded & ADMIN_ONLY == set()


def test_verify_one_file_loads_no_database_library() -> None:
    loaded = _loaded(
        "from docex.cli.main import run\nrun()",
        "verify",
        str(SAMPLE),
        env={"DOCEX_VERIFY_WORKERS": "0"},
    )
    assert "pyhanko" in loaded
    assert loaded & ADMIN_ONLY == set()


_STARTS = """
import atexit, sys
import multiprocessing.process as processes
started = []
start = processes.BaseProcess.start
def recording(self):
    started.append(type(self).__name__)
    start(self)
processes.BaseProcess.start = recording
atexit.register(lambda: print("started:", ",".join(started), file=sys.stderr))
sys.argv = ["docex", *sys.argv[1:]]
from docex.cli.main import run
run()
"""


def test_verify_forks_its_worker_instead_of_spawning_an_interpreter() -> None:
    # A spawned worker imports the verifier again (about a second); a forked one starts
    # with the verifier this process imported. The budget still applies (docs/limits.md).
    done = run_python(_STARTS, "verify", str(SAMPLE), env={"DOCEX_VERIFY_WORKERS": "2"})
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "started: ForkProcess"


SIGNING_AND_FETCHING = frozenset(
    {
        "pyhanko.sign.signers.pdf_signer",
        "pyhanko.sign.signers.pdf_cms",
        "pyhanko.sign.timestamps",
        "aiohttp",
    }
)
"""pyHanko's signers and HTTP clients: ``pyhanko/sign/__init__.py`` and
``pyhanko/sign/signers/__init__.py`` import them, and an offline verification needs none
(docex.signatures.pyhanko_imports: ``pyhanko.sign.signers`` itself is in ``sys.modules``,
its ``__init__`` not run)."""

PADES_SIDE = frozenset(
    {
        "docex.signatures.pades",
        "docex.signatures.pdf_embedded",
        "docex.signatures.pdfdiff",
        "pyhanko.pdf_utils.reader",
    }
)
"""What only a PDF's signatures need: docex's PAdES checks, its reading of signature
fields and pyHanko's PDF reader."""

PDF_VALIDATION_AND_SIGNING = frozenset(
    {
        "pyhanko.sign.validation.pdf_embedded",
        "pyhanko.sign.validation.generic_cms",
        "pyhanko.sign.validation.status",
        "pyhanko.sign.diff_analysis",
        "pyhanko.sign.fields",
        "pyhanko.pdf_utils.form_tools",
        "pyhanko.pdf_utils.writer",
        "pyhanko.pdf_utils.layout",
        "pyhanko.pdf_utils.text",
        "pyhanko.pdf_utils.font",
        "pyhanko.pdf_utils.content",
    }
)
"""pyHanko's PDF validation (its modification analysis and statuses) and the signing side
of its form fields (appearances, fonts, the writer): docex reads signature fields itself
(docex.signatures.pdf_embedded) and has its own modification analysis (pdfdiff)."""


def _verify_p7s_modules(*options: str) -> set[str]:
    # In process (no worker), so that the verifier's own imports are counted too.
    return _loaded_modules(
        "from docex.cli.main import run\nrun()",
        "verify",
        *options,
        str(SAMPLE),
        env={"DOCEX_VERIFY_WORKERS": "0"},
    )


def test_verify_one_p7s_loads_no_signer_and_no_http_client() -> None:
    loaded = _verify_p7s_modules()
    assert "pyhanko.sign.validation.errors" in loaded  # it did verify
    assert loaded & SIGNING_AND_FETCHING == set()
    assert {m for m in loaded if m.startswith("aiohttp")} == set()


def test_verify_one_p7s_loads_no_pdf_side() -> None:
    loaded = _verify_p7s_modules()
    assert "docex.signatures.cades" in loaded
    assert {m for m in loaded if m.split(".")[:3] == ["docex", "signatures", "pdfdiff"]} == set()
    assert loaded & PADES_SIDE == set()


def test_verify_builds_only_its_own_command() -> None:
    loaded = _verify_p7s_modules()
    cli = {m for m in loaded if m.startswith("docex.cli.")}
    # The other commands' modules (sign, audit, serve, ...) are not even imported.
    assert cli == {
        "docex.cli.exit_codes",
        "docex.cli.help",
        "docex.cli.logs",
        "docex.cli.main",
        "docex.cli.render",
        "docex.cli.verify",
    }


def test_verify_one_p7s_loads_no_pydantic() -> None:
    # docex.verifier_settings reads the verifier's DOCEX_ variables itself: the Settings
    # model and pydantic-settings cost a one-file verify about a quarter of its run, and
    # with the CLI on click nothing else on the path needs pydantic.
    loaded = _verify_p7s_modules()
    assert "docex.verifier_settings" in loaded  # it did read them
    assert "docex.settings" not in loaded
    assert {m for m in loaded if m.split(".")[0] in {"pydantic", "pydantic_settings"}} == set()


def test_verify_one_p7s_with_its_worker_loads_no_pydantic() -> None:
    # The default path: the verifier in a forked worker, built from the same settings.
    loaded = _loaded("from docex.cli.main import run\nrun()", "verify", str(SAMPLE))
    assert "pyhanko" in loaded
    assert {"pydantic", "pydantic_core", "pydantic_settings", "dotenv"} & loaded == set()


def test_verify_as_json_loads_no_rich_and_no_rate_limits() -> None:
    loaded = _verify_p7s_modules("--format", "json")
    assert "docex.cli.render" in loaded
    assert {m.split(".")[0] for m in loaded} & {"rich", "limits"} == set()


def test_verify_as_text_loads_no_rich() -> None:
    # The verdict's colours are Click's ANSI styles; rich draws only a progress bar.
    loaded = _verify_p7s_modules()
    assert "docex.cli.render" in loaded
    assert {m for m in loaded if m.split(".")[0] == "rich"} == set()


def test_verify_one_p7s_runs_on_click_without_typer() -> None:
    # Typer 0.29 converted every parameter through pydantic TypeAdapters (typer._adapters),
    # which built pydantic schemas (pydantic._internal._generate_schema) on every run.
    loaded = _verify_p7s_modules()
    assert "click.core" in loaded  # it did parse a command line
    assert {m for m in loaded if m.split(".")[0] == "typer"} == set()
    assert "typer._adapters" not in loaded


def test_verify_one_pdf_loads_the_pdf_side() -> None:
    # The other half of the test above: a PDF still gets its PAdES checks.
    loaded = _loaded_modules(
        "from docex.cli.main import run\nrun()",
        "verify",
        str(REPO / "certs-dev" / "samples" / "examination-result.pdf"),
        env={"DOCEX_VERIFY_WORKERS": "0"},
    )
    assert PADES_SIDE <= loaded
    assert loaded & SIGNING_AND_FETCHING == set()


def test_a_p7s_content_time_stamp_is_still_checked() -> None:
    # The attribute's name comes from pyHanko's CAdES ASN.1 module, which its signers used
    # to load; a verify that loads no signer must still find and check the time-stamp.
    sample = REPO / "tests" / "data" / "dss" / "validation__Signature-C-BES-4.p7m"
    done = run_python(
        "from docex.cli.main import run; run()",
        *("verify", "--format", "json", "--at", "2026-12-01T00:00:00Z", str(sample)),
        env={"DOCEX_VERIFY_WORKERS": "0"},
    )
    report = json.loads(done.stdout)
    (signature,) = report["signatures"]
    assert [(t["kind"], t["time"], t["sub_indication"]) for t in signature["timestamps"]] == [
        ("content", "2013-12-11T15:35:35+00:00", "NO_CERTIFICATE_CHAIN_FOUND")
    ]
    assert (report["indication"], report["sub_indication"]) == (
        "INDETERMINATE",
        "NO_CERTIFICATE_CHAIN_FOUND",
    )


def _verify_pdf_modules(pdf: Path) -> set[str]:
    # In process (no worker), so that the verifier's own imports are counted too.
    return _loaded_modules(
        "from docex.cli.main import run\nrun()",
        "verify",
        str(pdf),
        env={"DOCEX_VERIFY_WORKERS": "0"},
    )


def test_verify_one_pdf_loads_no_pdf_validation_and_no_signing_side() -> None:
    loaded = _verify_pdf_modules(REPO / "certs-dev" / "samples" / "examination-result.pdf")
    assert "docex.signatures.pdf_embedded" in loaded  # it did read the signature fields
    assert loaded & PDF_VALIDATION_AND_SIGNING == set()
    assert {m for m in loaded if m.startswith("pyhanko.sign.diff_analysis.")} == set()


def test_verify_one_p7s_loads_no_pdf_validation() -> None:
    assert _verify_p7s_modules() & PDF_VALIDATION_AND_SIGNING == set()


def test_a_pdf_with_several_signatures_and_a_document_timestamp_loads_no_pdf_validation() -> None:
    # Six fields over incremental updates, one a document time-stamp: every later revision
    # is analysed, by docex's pdfdiff, and no field needs pyHanko's PDF validation.
    name = "validation__pades-5-signatures-and-1-document-timestamp.pdf"
    loaded = _verify_pdf_modules(REPO / "tests" / "data" / "dss" / name)
    assert "docex.signatures.pdfdiff.diff" in loaded
    assert loaded & PDF_VALIDATION_AND_SIGNING == set()


PKCS12_AND_X509 = frozenset(
    {"cryptography.x509", "cryptography.x509.base", "email.utils", "tzlocal.unix"}
)
"""What importing cryptography's PKCS#12 module and tzlocal's ``__init__`` load: pyHanko's
public-key encryption handler and its document-info module bind them at import and never
call them for a verification, so they stay deferred
(docex.signatures.pyhanko_imports.DEFERRED_MODULES) and these are never imported."""


def test_verify_one_pdf_loads_no_x509_of_cryptography() -> None:
    loaded = _verify_pdf_modules(REPO / "certs-dev" / "samples" / "examination-result.pdf")
    assert "pyhanko.pdf_utils.crypt.pubkey" in loaded  # the reader did load its handlers
    assert loaded & PKCS12_AND_X509 == set()


def test_verify_one_pdf_reads_hex_strings_in_bulk() -> None:
    # pyHanko's parser reads a hex string digit by digit; the PDF side puts docex's bulk
    # reader in its place for the pyHanko versions it was checked against.
    loaded = _verify_pdf_modules(REPO / "certs-dev" / "samples" / "examination-result.pdf")
    assert "docex.signatures.pyhanko_fast_hex" in loaded


def test_verify_one_p7s_loads_no_x509_of_cryptography_either() -> None:
    assert _verify_p7s_modules() & PKCS12_AND_X509 == set()


DSTU_ARITHMETIC = frozenset(
    {
        "docex.signatures.dstu.dstu4145",
        "docex.signatures.dstu.curves",
        "docex.signatures.dstu.named_curves",
        "docex.signatures.dstu.gf2m",
        "docex.signatures.dstu.openssl_ec2m",
        "docex.signatures.dstu.gost34311",
        "docex.signatures.dstu.kupyna",
    }
)
"""DSTU 4145's curves and field arithmetic (libcrypto through ctypes) and the Ukrainian
hashes: only a DSTU key, signature or digest needs them. Every signature asks whether its
algorithms are DSTU, which the OIDs and the key's encoding answer
(docex.signatures.dstu: its ``__init__`` loads the arithmetic on first use)."""


def test_verify_one_non_dstu_file_loads_no_dstu_arithmetic() -> None:
    pdf = _verify_pdf_modules(REPO / "certs-dev" / "samples" / "examination-result.pdf")
    p7s = _verify_p7s_modules()
    for loaded in (pdf, p7s):
        assert "docex.signatures.dstu.oids" in loaded  # it did ask
        assert loaded & DSTU_ARITHMETIC == set()


def test_verify_one_dstu_file_loads_the_dstu_arithmetic_and_passes() -> None:
    # The other half of the test above: a Ukrainian signature (LT, with its detached
    # content beside it) still verifies.
    sample = REPO / "certs-dev" / "dstu" / "samples" / "referral-dstu.txt.p7s"
    done, loaded = modules_at_exit(
        "from docex.cli.main import run\nrun()",
        *("verify", "--format", "json", "--trust", "certs-dev/trust-dstu", str(sample)),
        env={"DOCEX_VERIFY_WORKERS": "0"},
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["indication"] == "TOTAL_PASSED"
    assert DSTU_ARITHMETIC - {"docex.signatures.dstu.kupyna"} <= loaded
