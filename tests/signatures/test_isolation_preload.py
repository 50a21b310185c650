"""A spawned verification worker imports the PDF side when it starts, not on the first PDF
it is sent; a forked one (``docex verify``'s) does not. Run in a fresh interpreter each,
so that nothing this test process imported is counted."""

from __future__ import annotations

import pytest

from tests.fresh_python import last_json_line

_SCRIPT = """
import json, multiprocessing, sys
from docex.signatures.isolation import VerifierConfig, _worker_main

parent, child = multiprocessing.Pipe()
parent.send(None)  # the stop request, read once the worker is ready
_worker_main(child, VerifierConfig(trust=("certs-dev/trust",)), None, None, None,
             sys.argv[1] == "spawned")
print(json.dumps({"ready": parent.recv(), "pades": "docex.signatures.pades" in sys.modules}))
"""


@pytest.mark.parametrize(("start", "pades"), [("spawned", True), ("forked", False)])
def test_the_pdf_side_is_imported_at_a_spawned_worker_start(start: str, pades: bool) -> None:
    out = last_json_line(_SCRIPT, start)
    assert out == {"ready": ["ready", None], "pades": pades}
