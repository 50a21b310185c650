"""The README's "A referral end to end" runs as written against a real ``docex serve``.

The blocks are taken from the README and run in one bash, with only the lines a reader
fills in or that name this machine replaced: the two tokens ``demo-seed`` printed, the
server's address, and where ``docex`` is installed. Then the API is asked where the
walkthrough left things: the referral completed by the result, each delivery where its
recipient took it.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import httpx

from docex.cli.exit_codes import ExitCode
from docex.devpki import minimal_pdf
from tests.cli.conftest import REPO, CliEnv, Docex
from tests.cli.serving import running

TOKEN_LINE = re.compile(r"^  facility (\d{8})\s+(dxt_\S+)$", re.MULTILINE)
# The lines a reader fills in, or that name the reader's machine.
TOKEN_A = "A='dxt_…'   # the token of facility 38291045"
TOKEN_B = "B='dxt_…'   # the token of facility 40123457"
API_LINE = "API=http://127.0.0.1:8000/api/v1"
DOCEX_LINE = "docex=.venv/bin/docex"
DOCEX = Path(sys.executable).with_name("docex")


def walkthrough() -> list[str]:
    """The shell blocks of the README's walkthrough, in order."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("\n### A referral end to end\n")
    end = readme.index("\n## ", start)
    return re.findall(r"```sh\n(.*?)```", readme[start:end], re.DOTALL)


def test_the_walkthrough_is_what_this_test_runs() -> None:
    blocks = walkthrough()
    assert len(blocks) == 6
    setup = blocks[0]
    for line in (TOKEN_A, TOKEN_B, API_LINE, DOCEX_LINE):
        assert line in setup.splitlines()


def test_the_walkthrough_runs_end_to_end(docex: Docex, cli_env: CliEnv) -> None:
    seeded = docex("demo-seed")
    assert seeded.exit_code == ExitCode.OK, seeded.output
    tokens = dict(TOKEN_LINE.findall(seeded.stdout))
    a, b = tokens["38291045"], tokens["40123457"]
    work = cli_env.root / "walk"
    work.mkdir()
    # "With a PDF of your own as report.pdf": the medical document's block.
    (work / "report.pdf").write_bytes(minimal_pdf("A report of the walkthrough."))
    with running(cli_env.root / "serve.log") as url:
        script = "\n".join(walkthrough())
        replacements = {
            TOKEN_A: f"A={shlex.quote(a)}",
            TOKEN_B: f"B={shlex.quote(b)}",
            API_LINE: f"API={url}/api/v1",
            DOCEX_LINE: f"docex={shlex.quote(str(DOCEX))}",
        }
        for line, replacement in replacements.items():
            script = script.replace(line, replacement)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        # A refused submission's problem document went to the file curl wrote.
        answers = {p.name: p.read_text() for p in work.glob("*-201.json")}
        assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\n{answers}"
        assert "TOTAL_PASSED" in done.stdout  # docex verify of what B downloaded
        medical = json.loads(done.stdout.strip().splitlines()[-1])  # the last curl's answer
        assert (medical["kind"], medical["indication"]) == ("medical_document", "TOTAL_PASSED")

        referral_201 = json.loads((work / "referral-201.json").read_text())
        result_201 = json.loads((work / "result-201.json").read_text())
        assert (referral_201["kind"], referral_201["indication"]) == ("referral", "TOTAL_PASSED")
        assert (result_201["kind"], result_201["answers_document_id"]) == (
            "examination_result",
            referral_201["id"],
        )
        with httpx.Client(base_url=f"{url}/api/v1", timeout=60) as api:
            as_a = {"Authorization": f"Bearer {a}"}
            as_b = {"Authorization": f"Bearer {b}"}
            referral = api.get(f"/referrals/{referral_201['referral']['id']}", headers=as_a)
            assert referral.status_code == 200, referral.text
            assert (referral.json()["status"], referral.json()["result_document_id"]) == (
                "completed",
                result_201["id"],
            )
            b_inbox = api.get("/inbox", params={"kind": "referral"}, headers=as_b).json()
            assert [(i["document"]["id"], i["status"]) for i in b_inbox["items"]] == [
                (referral_201["id"], "fetched")
            ]
            a_inbox = api.get("/inbox", params={"kind": "examination_result"}, headers=as_a)
            [delivery] = a_inbox.json()["items"]
            assert (delivery["document"]["id"], delivery["status"]) == (
                result_201["id"],
                "acknowledged",
            )
            assert delivery["receipt_document_id"] is not None
