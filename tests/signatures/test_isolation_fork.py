"""Forked verification workers (``start_method="fork"``, what ``docex verify`` uses).

A forked worker starts with the verifier its parent imported, so a one-file
``docex verify`` does not import it twice (issue 12). The budget must hold as it does for
spawned workers, and a process with other threads running must not fork at all. Each
case runs in a fresh interpreter: this test process has threads of its own (pytest-xdist's),
under which the verifier rightly spawns.
"""

from __future__ import annotations

from typing import Any

from tests.fresh_python import last_json_line, run_python

_SCRIPT = """
import json, multiprocessing, sys, threading
from pathlib import Path
from docex.signatures.isolation import IsolatedVerifier, VerifierConfig
from docex.signatures.limits import Limits
from tests.signatures.conftest import CONTENT
from tests.signatures.hostile_inputs import NOW, lattice_cms

samples = Path("certs-dev/samples")
signature = (samples / "referral.txt.p7s").read_bytes()
content = (samples / "referral.txt").read_bytes()
if sys.argv[1] == "threaded":
    stop = threading.Event()
    threading.Thread(target=stop.wait, daemon=True).start()
config = VerifierConfig(
    trust=("certs-dev/trust",),
    # Loose enough that only the time budget stops the lattice's path search.
    limits=Limits(max_path_length=100, max_issuer_candidates_per_step=1_000_000,
                  max_issuer_candidates=1_000_000_000),
)
kinds = lambda: sorted(type(p).__name__ for p in multiprocessing.active_children())
with IsolatedVerifier(config, workers=1, timeout_seconds=3, start_method="fork") as pool:
    out = {"started": kinds()}
    report = pool.verify(signature, content=content)
    out["valid"] = [report.indication, report.qualification]
    if sys.argv[1] == "single":
        stuck = pool.verify(lattice_cms(layers=12, width=4, key_ids=False),
                           content=CONTENT, at=NOW)
        out["stuck"] = [stuck.indication, stuck.sub_indication, stuck.message]
        out["replaced"] = [pool.replaced, kinds()]
        out["after"] = pool.verify(signature, content=content).indication
print(json.dumps(out))
"""


def _run(mode: str) -> dict[str, Any]:
    result: dict[str, Any] = last_json_line(_SCRIPT, mode, timeout=300)
    return result


def test_forked_workers_verify_within_the_time_budget() -> None:
    out = _run("single")
    assert out["started"] == ["ForkProcess"]
    assert out["valid"] == ["TOTAL_PASSED", "QESig"]
    assert out["stuck"] == [
        "INDETERMINATE",
        "SIG_CONSTRAINTS_FAILURE",
        "verification exceeded its time budget of 3 s",
    ]
    # The killed worker's replacement is forked too: the process is still single-threaded.
    assert out["replaced"] == [1, ["ForkProcess"]]
    assert out["after"] == "TOTAL_PASSED"


def test_a_threaded_process_spawns_instead_of_forking() -> None:
    out = _run("threaded")
    assert out["started"] == ["SpawnProcess"]
    assert out["valid"] == ["TOTAL_PASSED", "QESig"]


_LARGE_PARENT = """
import mmap
from pathlib import Path
from docex.signatures.isolation import IsolatedVerifier, VerifierConfig

# Two GiB of address space, never touched: a parent larger than the budget, as a long
# test run or an application embedding docex is, at no cost in memory.
reserved = mmap.mmap(-1, 2 * 1024**3, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
pdf = Path("certs-dev/samples/examination-result.pdf").read_bytes()
with IsolatedVerifier(
    VerifierConfig(trust=("certs-dev/trust",)),
    workers=1,
    memory_bytes=1024**3,
    start_method="fork",
) as verifier:
    report = verifier.verify(pdf)
print(report.indication.value, report.sub_indication and report.sub_indication.value)
"""


def test_a_worker_forked_from_a_process_larger_than_the_budget_verifies() -> None:
    """The budget is on top of what the forked worker inherits, not below it."""
    done = run_python(_LARGE_PARENT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["TOTAL_PASSED", "None"]
