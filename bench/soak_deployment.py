"""The deployment the soak runs: its settings, the CLI that seeds it, the API server and
the webhook dispatcher, each in processes of their own as an operator starts them."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from tests.servers import PostgresServer, SeaweedS3Server

from docex.devpki.pki import DevPki
from docex.settings import Settings
from docex.signatures.identity import signer_identity
from docex.storage import open_object_store
from exchange import PERFORMER, REFERRER
from submit import TRUST, ApiServer

ROOT = Path(__file__).resolve().parents[1]
"""Where the CLI and the dispatcher run (``soak.py`` puts it on ``sys.path``)."""
START_TIMEOUT_SECONDS = 600.0
"""Three workers each load the verifier and the web stack: minutes on a busy 2-core VM."""
DOCEX = Path(sys.executable).with_name("docex")
"""The CLI installed beside this interpreter (``make install``)."""


def settings_for(postgres: PostgresServer, s3: SeaweedS3Server) -> Settings:
    """A schema of its own, a bucket of its own, the development trust."""
    settings = Settings(
        database_url=postgres.create_schema(),
        object_store=f"s3://soak-{os.urandom(8).hex()}",
        s3_endpoint=s3.endpoint,
        s3_access_key=s3.access_key,
        s3_secret_key=s3.secret_key,
        s3_secure=False,
        s3_region=s3.region,
        trust=[TRUST],
    )
    open_object_store(settings)  # creates the bucket
    return settings


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``docex ARGS`` in a process of its own, as an operator runs it."""
    return subprocess.run(
        [str(DOCEX), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def cli_ok(env: dict[str, str], *args: str) -> str:
    done = cli(env, *args)
    if done.returncode != 0:
        raise RuntimeError(f"docex {' '.join(args)} failed ({done.returncode}): {done.stderr}")
    return done.stdout


def seed(env: dict[str, str], pki: DevPki) -> dict[str, str]:
    """The schema, both facilities with their doctor, and each facility's token (by EDRPOU)."""
    cli_ok(env, "db", "upgrade")
    tokens = {}
    for signer, edrpou, rnokpp in (REFERRER, PERFORMER):
        who = signer_identity(pki.cert(signer))
        cli_ok(env, "facility", "add", "--edrpou", edrpou, "--name", f"Soak facility {edrpou}")
        cli_ok(
            env,
            "employee", "add",
            "--facility", edrpou,
            "--rnokpp", rnokpp,
            "--name", who.common_name or signer,
        )  # fmt: skip
        # The token alone is on stdout; what to do with it goes to stderr.
        tokens[edrpou] = cli_ok(env, "token", "issue", "--facility", edrpou).strip()
    return tokens


@contextlib.contextmanager
def api_server(settings: Settings, *, workers: int, log: Path, **env: str) -> Iterator[ApiServer]:
    """``submit.py``'s uvicorn server, given longer to start than the benchmark gives it."""
    server = ApiServer(settings, workers=workers, log=log, **env)
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            if server.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited during start-up:\n{server.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn not healthy after {START_TIMEOUT_SECONDS:.0f} s")
            time.sleep(0.5)
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def dispatcher_process(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``docex webhooks dispatch`` in its own process until the block ends."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(DOCEX), "webhooks", "dispatch"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
