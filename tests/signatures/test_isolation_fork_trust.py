"""Forked verification workers inherit their parent's trust store.

``IsolatedVerifier(start_method="fork")`` loads the trust configuration once, in the
calling process, and its forked workers (a budget-killed worker's forked replacement
too) verify with that store instead of each reading the trust sources again. Each case
runs in a fresh interpreter: this test process has pytest-xdist's threads, under which
the verifier rightly spawns.
"""

from __future__ import annotations

from typing import Any

from tests.fresh_python import last_json_line

_SCRIPT = """
import json, multiprocessing, shutil, sys, tempfile
from pathlib import Path
from docex.errors import DocexError
from docex.signatures.isolation import IsolatedVerifier, VerifierConfig
from docex.signatures.limits import Limits
from tests.signatures.conftest import CONTENT
from tests.signatures.hostile_inputs import NOW, lattice_cms

samples = Path("certs-dev/samples")
signature = (samples / "referral.txt.p7s").read_bytes()
content = (samples / "referral.txt").read_bytes()
out = {}
if sys.argv[1] == "missing":
    import multiprocessing.process as processes
    started = []
    start = processes.BaseProcess.start
    def recording(self):
        started.append(type(self).__name__)
        start(self)
    processes.BaseProcess.start = recording
    try:
        IsolatedVerifier(VerifierConfig(trust=("no/such/trust",)), start_method="fork")
    except DocexError as exc:
        out["error"] = [type(exc).__name__, "no/such/trust" in str(exc)]
    out["started"] = started
else:
    folder = Path(tempfile.mkdtemp()) / "trust"
    shutil.copytree("certs-dev/trust", folder)
    config = VerifierConfig(
        trust=(str(folder),),
        # Loose enough that only the time budget stops the lattice's path search.
        limits=Limits(max_path_length=100, max_issuer_candidates_per_step=1_000_000,
                      max_issuer_candidates=1_000_000_000),
    )
    with IsolatedVerifier(config, workers=1, timeout_seconds=3, start_method="fork") as pool:
        # Gone: a worker that read the trust sources itself could not start now.
        shutil.rmtree(folder)
        stuck = pool.verify(lattice_cms(layers=12, width=4, key_ids=False),
                           content=CONTENT, at=NOW)
        out["stuck"] = stuck.sub_indication
        kinds = [type(p).__name__ for p in multiprocessing.active_children()]
        out["replaced"] = [pool.replaced, kinds]
        report = pool.verify(signature, content=content)
        out["after"] = [report.indication, report.qualification]
print(json.dumps(out))
"""


def _run(mode: str) -> dict[str, Any]:
    result: dict[str, Any] = last_json_line(_SCRIPT, mode, timeout=300)
    return result


def test_a_forked_replacement_verifies_with_the_inherited_trust_store() -> None:
    out = _run("replace")
    assert out["stuck"] == "SIG_CONSTRAINTS_FAILURE"
    assert out["replaced"] == [1, ["ForkProcess"]]
    # The trust folder was deleted before the replacement started; it still verifies.
    assert out["after"] == ["TOTAL_PASSED", "QESig"]


def test_a_bad_trust_configuration_is_refused_before_any_worker_starts() -> None:
    out = _run("missing")
    assert out["error"] == ["TrustConfigError", True]
    assert out["started"] == []
