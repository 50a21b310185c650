"""Forked workers that import the verifier themselves (``preload=False``).

A one-file ``docex verify`` starts one worker and never verifies in its own process, so
importing the verifier and loading the trust store there first only makes the worker
inherit a bigger heap (issue 12). With ``preload=False`` the calling process imports
neither; the worker does, within its budget, and a bad trust configuration is still refused
by the constructor, as the same error. Each case runs in a fresh interpreter: this test
process has pytest-xdist's threads, under which the verifier rightly spawns.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from tests.fresh_python import last_json_line

_SCRIPT = """
import json, multiprocessing, sys
from pathlib import Path
from docex.errors import DocexError
from docex.signatures.isolation import IsolatedVerifier, VerifierConfig
from docex.signatures.limits import Limits

HEAVY = ("docex.signatures.verifier", "docex.signatures.trust", "docex.signatures.pades",
         "pyhanko.pdf_utils.reader")
samples = Path("certs-dev/samples")
out = {}
kinds = lambda: sorted(type(p).__name__ for p in multiprocessing.active_children())
if sys.argv[1] == "missing":
    try:
        IsolatedVerifier(VerifierConfig(trust=("no/such/trust",)), start_method="fork",
                         preload=False)
    except DocexError as exc:
        out["error"] = [type(exc).__name__, str(exc)]
else:
    config = VerifierConfig(
        trust=("certs-dev/trust",),
        # Loose enough that only the time budget stops the lattice's path search.
        limits=Limits(max_path_length=100, max_issuer_candidates_per_step=1_000_000,
                      max_issuer_candidates=1_000_000_000),
    )
    with IsolatedVerifier(config, workers=1, timeout_seconds=3, start_method="fork",
                          preload=False) as pool:
        out["started"] = kinds()
        pdf = pool.verify((samples / "examination-result.pdf").read_bytes())
        cades = pool.verify((samples / "referral.txt.p7s").read_bytes(),
                            content=(samples / "referral.txt").read_bytes())
        out["verdicts"] = [[r.indication, r.qualification] for r in (pdf, cades)]
        out["here"] = [name for name in HEAVY if name in sys.modules]
        # Only now: making the lattice imports the verifier here.
        from tests.signatures.conftest import CONTENT
        from tests.signatures.hostile_inputs import NOW, lattice_cms
        stuck = pool.verify(lattice_cms(layers=12, width=4, key_ids=False),
                           content=CONTENT, at=NOW)
        out["stuck"] = [stuck.indication, stuck.sub_indication, stuck.message]
        out["replaced"] = [pool.replaced, kinds()]
        out["after"] = pool.verify((samples / "examination-result.pdf").read_bytes()).indication
print(json.dumps(out))
"""


@cache
def _run(mode: str) -> dict[str, Any]:
    result: dict[str, Any] = last_json_line(_SCRIPT, mode, timeout=300)
    return result


def test_the_worker_imports_the_verifier_and_the_caller_does_not() -> None:
    out = _run("verify")
    assert out["started"] == ["ForkProcess"]
    assert out["verdicts"] == [["TOTAL_PASSED", "QESig"], ["TOTAL_PASSED", "QESig"]]
    # The PDF side, the trust store and the verifier were loaded only in the worker.
    assert out["here"] == []


def test_the_time_budget_holds_and_the_replacement_is_forked_bare_too() -> None:
    out = _run("verify")
    assert out["stuck"] == [
        "INDETERMINATE",
        "SIG_CONSTRAINTS_FAILURE",
        "verification exceeded its time budget of 3 s",
    ]
    assert out["replaced"] == [1, ["ForkProcess"]]
    assert out["after"] == "TOTAL_PASSED"


def test_a_bad_trust_configuration_is_refused_by_the_constructor_as_itself() -> None:
    out = _run("missing")
    assert out["error"] == ["TrustConfigError", "trust source no/such/trust does not exist"]
