"""Memory flat in document size: one large medical document, the worker's peak RSS above idle.

Starts PostgreSQL and SeaweedFS, generates a ``--mb`` MB file (random bytes, written to
disk in chunks), signs it detached with ``docex.devpki`` (CAdES B-LT by ``doctor-ecdsa``)
with a signed manifest naming it by SHA-256, and submits it as a ``medical_document`` over
HTTP to docex served by ``uvicorn --workers 1`` (one process, so the worker is the server
process), configured like production through ``DOCEX_*`` with the upload bounds raised to
fit. Before the upload, a small submission warms the worker up and its RSS is read (idle);
the kernel's peak-RSS mark is then reset (``/proc/PID/clear_refs``) and read again after
the answer (``VmHWM``), with a 5 ms sampler of ``VmRSS`` as a cross-check. The target (issue
14, item 4): peak RSS under 100 MB above idle for 200 MB.

    PYTHONPATH=src:. python bench/large_upload.py [--mb 200] [--before OTHER/src]

``--before`` first measures docex imported from another checkout's ``src/`` the same way.
The verification worker processes are reported beside the API worker: they receive the
content's digests, not its bytes.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.servers import start_servers  # noqa: E402

from corpus import SIGNED_AT  # noqa: E402
from docex.devpki.pki import DevPki  # noqa: E402
from docex.devpki.signing import sign_cades  # noqa: E402
from docex.formats import building  # noqa: E402
from docex.signatures.identity import signer_identity  # noqa: E402
from exchange import REFERRER  # noqa: E402
from submit import SUBMIT_PATH, Deployment, api_server, deploy  # noqa: E402

MB = 1024 * 1024
TARGET_MB_ABOVE_IDLE = 100.0
WRITE_CHUNK = 4 * MB


@dataclass(frozen=True)
class Signed:
    """A file on disk and what is submitted beside it."""

    path: Path
    size: int
    signature: bytes
    manifest: bytes


def make_document(pki: DevPki, folder: Path, size: int, name: str) -> Signed:
    """A ``size``-byte random file, its detached signature and its signed manifest."""
    signer = REFERRER[0]
    path = folder / f"{name}.bin"
    with path.open("wb") as out:
        left = size
        while left:
            out.write(os.urandom(min(WRITE_CHUNK, left)))
            left -= min(WRITE_CHUNK, left)
    content = path.read_bytes()  # the benchmark's process signs; the worker never holds it
    signature = sign_cades(pki, content, signer=signer, level="B-LT", signing_time=SIGNED_AT)
    who = signer_identity(pki.cert(signer))
    assert who.edrpou is not None
    manifest = building.encode(
        building.manifest(
            payload_sha256=hashlib.sha256(content).hexdigest(),
            patient=f"{size % 10**10:010d}",
            author_rnokpp=who.rnokpp,
            author_edrpou=who.edrpou,
            content_type="application/octet-stream",
            size=size,
        )
    )
    del content
    signed_manifest = sign_cades(
        pki, manifest, signer=signer, level="B-LT", detached=False, signing_time=SIGNED_AT
    )
    return Signed(path=path, size=size, signature=signature, manifest=signed_manifest)


def status_kb(pid: int, field: str) -> int:
    """A ``/proc/PID/status`` size field (``VmRSS``, ``VmHWM``) in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found.extend(int(c) for c in (task / "children").read_text().split())
    return found


class Sampler(threading.Thread):
    """The highest ``VmRSS`` of a process seen every 5 ms while running."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self._halt = pid, 0, threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            with contextlib.suppress(OSError, KeyError):
                self.peak_kb = max(self.peak_kb, status_kb(self.pid, "VmRSS"))
            self._halt.wait(0.005)

    def stop(self) -> int:
        self._halt.set()
        self.join()
        return self.peak_kb


@dataclass(frozen=True)
class Measured:
    name: str
    idle_mb: float
    peak_mb: float
    sampled_mb: float
    verify_peak_mb: float
    seconds: float
    status: int

    @property
    def above_idle_mb(self) -> float:
        return self.peak_mb - self.idle_mb


def post(url: str, token: str, signed: Signed) -> httpx.Response:
    with signed.path.open("rb") as stream:
        return httpx.post(
            url + SUBMIT_PATH,
            headers={"Authorization": f"Bearer {token}"},
            files={
                "file": ("scan.p7s", signed.signature, "application/pkcs7-signature"),
                "content": ("scan.bin", stream, "application/octet-stream"),
                "manifest": ("scan.manifest.p7s", signed.manifest, "application/pkcs7-signature"),
            },
            data={"kind": "medical_document"},
            timeout=600,
        )


def measure(
    name: str,
    deployment: Deployment,
    warm: Signed,
    large: Signed,
    *,
    work: Path,
    src: Path | None,
) -> Measured:
    token = deployment.tokens[REFERRER[1]]
    limit = str(large.size + 16 * MB)
    env = {"DOCEX_MAX_UPLOAD_BYTES": limit, "DOCEX_MAX_CONTENT_BYTES": limit}
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src), str(BENCH)])
    with api_server(deployment.settings, workers=1, log=work / f"{name}.log", **env) as server:
        pid = server.process.pid
        warmed = post(server.url, token, warm)
        if warmed.status_code != 201:
            raise SystemExit(f"{name}: warm-up refused: {warmed.status_code} {warmed.text}")
        time.sleep(0.5)
        idle_kb = status_kb(pid, "VmRSS")
        verifiers = children(pid)
        for p in (pid, *verifiers):
            # "5" resets the peak-RSS mark (proc(5), clear_refs).
            Path(f"/proc/{p}/clear_refs").write_text("5")
        sampler = Sampler(pid)
        sampler.start()
        started = time.perf_counter()
        response = post(server.url, token, large)
        seconds = time.perf_counter() - started
        sampled_kb = sampler.stop()
        peak_kb = status_kb(pid, "VmHWM")
        verify_kb = max((status_kb(p, "VmHWM") for p in verifiers), default=0)
    if response.status_code != 201:
        raise SystemExit(f"{name}: the large document was refused: {response.text[:500]}")
    return Measured(
        name=name,
        idle_mb=idle_kb / 1024,
        peak_mb=peak_kb / 1024,
        sampled_mb=sampled_kb / 1024,
        verify_peak_mb=verify_kb / 1024,
        seconds=seconds,
        status=response.status_code,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=200, help="size of the file in MiB (200)")
    parser.add_argument("--before", type=Path, metavar="SRC", help="also measure SRC's docex")
    args = parser.parse_args(argv)
    console = Console() if Console().is_terminal else Console(width=132)
    work = Path(tempfile.mkdtemp(prefix="docex-bench-large-"))
    results: list[Measured] = []
    postgres, s3 = start_servers()
    try:
        pki = DevPki.load()
        runs = (
            [("docex", None)] if args.before is None else [("before", args.before), ("docex", None)]
        )
        for name, src in runs:
            deployment = deploy(postgres, s3, pki)
            # New files per run: a signed content makes one record.
            warm = make_document(pki, work, 64 * 1024, f"{name}-warm")
            large = make_document(pki, work, args.mb * MB, f"{name}-large")
            console.print(f"{name}: signed a {args.mb} MiB file; submitting …")
            results.append(
                measure(name, deployment, warm, large, work=work, src=src and src.resolve())
            )
            large.path.unlink()
    finally:
        postgres.destroy()
        s3.destroy()
        shutil.rmtree(work, ignore_errors=True)
    table = Table(title=f"One {args.mb} MiB medical document, uvicorn --workers 1")
    for column in (
        "server",
        "idle RSS MB",
        "peak RSS MB",
        "above idle MB",
        "sampled peak MB",
        "verify worker peak MB",
        "s",
        "MiB/s",
        "",
    ):
        table.add_column(column, justify="right")
    for m in results:
        table.add_row(
            m.name,
            f"{m.idle_mb:.0f}",
            f"{m.peak_mb:.0f}",
            f"{m.above_idle_mb:.0f}",
            f"{m.sampled_mb:.0f}",
            f"{m.verify_peak_mb:.0f}",
            f"{m.seconds:.1f}",
            f"{args.mb / m.seconds:.0f}",
            "[green]PASS[/]" if m.above_idle_mb < TARGET_MB_ABOVE_IDLE else "[red]MISS[/]",
        )
    console.print(table)
    console.print(
        f"target: peak RSS of the API worker < {TARGET_MB_ABOVE_IDLE:.0f} MB above idle "
        f"(VmHWM after clear_refs, minus VmRSS after a warm-up submission)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
