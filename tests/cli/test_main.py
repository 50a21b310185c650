import json
import subprocess

from click.testing import CliRunner

from docex import __version__
from docex.cli.main import app
from tests.fresh_python import REPO, run_python


def test_version_prints_package_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"docex {__version__}"


_FREEZE_AT_EXIT = """
import atexit, gc, sys
# Registered first, so run last of the exit handlers: what the interpreter's finalization
# then finds.
atexit.register(lambda: print("frozen:", gc.get_freeze_count(), file=sys.stderr))
sys.argv = ["docex", *sys.argv[1:]]
from docex.cli.main import run
run()
"""


def _frozen(done: subprocess.CompletedProcess[str]) -> int:
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("frozen: "), done.stderr
    return int(last.removeprefix("frozen: "))


def test_the_entry_point_leaves_the_heap_to_the_exit() -> None:
    # The finalization's garbage collection over the libraries' heap costs a one-file
    # verify a tenth of its CPU (issue 12); the entry point freezes it first.
    done = run_python(_FREEZE_AT_EXIT, "--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"docex {__version__}"
    assert _frozen(done) > 0


def test_a_verdict_s_exit_status_and_output_survive_the_frozen_exit() -> None:
    sample = REPO / "certs-dev" / "samples" / "referral.txt.p7s"
    done = run_python(_FREEZE_AT_EXIT, "verify", "--format", "json", str(sample))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["indication"] == "TOTAL_PASSED"
    assert _frozen(done) > 0
    done = run_python(_FREEZE_AT_EXIT, "verify", "--format", "nonsense", str(sample))
    assert done.returncode == 3
    assert _frozen(done) > 0
