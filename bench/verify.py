"""Verification benchmark: docex cold and warm against pyHanko and a bare signature check.

The target (from the issue), on detached CAdES B-LT ECDSA P-256 signatures over 20 KB:

* warm docex >= 40 % of the bare ``cryptography`` verify rate of the same signatures;
* warm docex >= 5x pyHanko's own validation of the same signatures;
* cold docex no slower than pyHanko;
* warm docex on signatures that each embed their own OCSP responses and the CRLs of
  their day (signed at different moments) at least half the rate of the warm row, whose
  signatures all share theirs;
* DSTU 4145 (Ukrainian signatures, ``dstu.py``): a warm m=257 CAdES B-LT over the same
  content within 5x of the warm ECDSA P-256 verification and never above 25 ms, m=431
  within 10x.

Every measurement runs in this one process, on the same machine and the same signatures,
so the ratios mean something even where the absolute rates do not. See ``bench/README.md``.

    PYTHONPATH=src python bench/verify.py [--n 200] [--repeat 3] [--jobs 2] [--dstu-n 20]
        [--profile TOP]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import os
import pstats
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import cms, x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
from pyhanko.sign.validation.status import StandardCMSSignatureStatus
from pyhanko_certvalidator import ValidationContext
from rich.console import Console
from rich.table import Table

import dstu
from corpus import (
    CONTENT_BYTES,
    SIGNED_AT,
    SIGNER,
    Sample,
    make_samples,
    revocation_values_digest,
    sign_own_evidence,
    signed_data,
)
from docex.signatures.dstu.gost34311 import ACCELERATOR
from docex.signatures.evidence import from_signed_data
from docex.signatures.isolation import IsolatedVerifier, VerifierConfig
from docex.signatures.report import Indication, Qualification, ValidationReport
from docex.signatures.trust import TrustStore, load_trust_store
from docex.signatures.verifier import Verifier
from profiles import profile_table

ROOT = Path(__file__).resolve().parents[1]
TRUST = ROOT / "certs-dev" / "trust"
WARMUP_SIGNATURES = 8
BARE_MIN_SECONDS = 0.2

TARGET_WARM_VS_BARE = 0.40
TARGET_WARM_VS_PYHANKO = 5.0
TARGET_COLD_VS_PYHANKO = 1.0
TARGET_OWN_VS_SHARED = 0.5
TARGET_DSTU257_VS_WARM = 5.0
TARGET_DSTU431_VS_WARM = 10.0
TARGET_DSTU257_MAX_MS = 25.0
DSTU_CERT_CHECKS = 50


@dataclass(frozen=True)
class Timing:
    """Wall-clock times of the passes of one measurement over the same signatures."""

    name: str
    what: str
    count: int
    passes: tuple[float, ...]

    @property
    def best(self) -> float:
        return min(self.passes)

    @property
    def rate(self) -> float:
        """Signatures per second in the fastest pass."""
        return self.count / self.best

    @property
    def mean_ms(self) -> float:
        """Milliseconds per signature in the fastest pass."""
        return 1000 * self.best / self.count

    def per_pass_ms(self) -> str:
        """Milliseconds per signature of every pass, in the order run."""
        return " / ".join(f"{1000 * p / self.count:.3g}" for p in self.passes)


# --- the measurements ------------------------------------------------------------------

Pass = Callable[[Sequence[Sample]], float]
"""Verifies every sample once, checks every result, returns the seconds the verifying took."""


@dataclass(frozen=True)
class Measurement:
    name: str
    how: str
    run: Pass


@dataclass(frozen=True)
class CacheCounts:
    """The warm verifier's certificate-evaluation cache counters, warm-up and timed."""

    warmup_hits: int
    warmup_misses: int
    timed_hits: int
    timed_misses: int
    timed_chain_hits: int = 0
    """Evaluations served by a cached chain and the certificate's own OCSP response."""


def _timed(work: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def _check_reports(reports: Sequence[ValidationReport]) -> None:
    for report in reports:
        if (
            report.indication is not Indication.TOTAL_PASSED
            or report.qualification is not Qualification.QESIG
        ):
            raise SystemExit(
                f"docex did not pass a benchmark signature: {report.indication} "
                f"{report.sub_indication} / {report.qualification}; "
                "a benchmark of failures measures nothing"
            )


def docex_cold(trust: TrustStore) -> Pass:
    """(a) A fresh ``Verifier`` per signature: nothing is reused but the loaded trust store."""

    def run(samples: Sequence[Sample]) -> float:
        reports: list[ValidationReport] = []

        def work() -> None:
            for sample in samples:
                with Verifier(trust) as verifier:
                    reports.append(verifier.verify(sample.signature, content=sample.content))

        seconds = _timed(work)
        _check_reports(reports)
        return seconds

    return run


def docex_warm(trust: TrustStore, warmup: Sequence[Sample], counts: list[CacheCounts]) -> Pass:
    """(a') One ``Verifier``, warmed up on ``warmup``, then timed on signatures it has not seen.

    Every pass makes a new verifier, so that no pass verifies a signature its verifier has
    verified before: only the signer's chain and the revocation data repeat, as in
    production. The cache counters of each pass are appended to ``counts``.
    """

    def run(samples: Sequence[Sample]) -> float:
        with Verifier(trust) as verifier:
            _check_reports([verifier.verify(s.signature, content=s.content) for s in warmup])
            evaluator = verifier.evaluator
            hits, misses, chained = evaluator.hits, evaluator.misses, evaluator.chain_hits
            reports: list[ValidationReport] = []

            def work() -> None:
                for sample in samples:
                    reports.append(verifier.verify(sample.signature, content=sample.content))

            seconds = _timed(work)
            _check_reports(reports)
            counts.append(
                CacheCounts(
                    warmup_hits=hits,
                    warmup_misses=misses,
                    timed_hits=verifier.evaluator.hits - hits,
                    timed_misses=verifier.evaluator.misses - misses,
                    timed_chain_hits=verifier.evaluator.chain_hits - chained,
                )
            )
        return seconds

    return run


def on_own_evidence(run: Pass, own: dict[bytes, Sample]) -> Pass:
    """``run`` on the own-evidence signature made with the same index as each sample."""

    def run_own(samples: Sequence[Sample]) -> float:
        return run([own[s.signature] for s in samples])

    return run_own


def docex_isolated(warmup: Sequence[Sample]) -> Pass:
    """(a'') One ``IsolatedVerifier`` with one worker process, warmed up on ``warmup``.

    The same work as (a') plus one IPC round trip per signature: the input goes to the
    worker through a pipe and the pickled report comes back. A new pool per pass, like
    (a'), started and warmed outside the timed work.
    """

    def run(samples: Sequence[Sample]) -> float:
        with IsolatedVerifier(VerifierConfig(trust=(str(TRUST),)), workers=1) as verifier:
            _check_reports([verifier.verify(s.signature, content=s.content) for s in warmup])
            reports: list[ValidationReport] = []

            def work() -> None:
                for sample in samples:
                    reports.append(verifier.verify(sample.signature, content=sample.content))

            seconds = _timed(work)
            _check_reports(reports)
        return seconds

    return run


def _pyhanko_context(root: x509.Certificate, parsed: cms.SignedData) -> ValidationContext:
    # What the CAdES signature embeds, which pyHanko does not read by itself.
    embedded = from_signed_data(parsed)
    certs, crls, ocsps = list(embedded.certs), list(embedded.crls), list(embedded.ocsps)
    return ValidationContext(
        trust_roots=[root],
        other_certs=certs,
        crls=crls,
        ocsps=ocsps,
        allow_fetching=False,
        revocation_mode="hard-fail",
        # docex validates the certificates at the time-stamp time (the best signature
        # time); pyHanko's generic CMS validation does not, so it is told that moment.
        moment=SIGNED_AT,
    )


def pyhanko_direct(root: x509.Certificate, *, shared_context: bool) -> Pass:
    """(b) pyHanko's ``async_validate_detached_cms`` with the embedded validation data.

    Parsing the signature, collecting its validation data and building the
    ``ValidationContext`` are timed, as docex's equivalents are. With ``shared_context``,
    one context (from the first signature's data, which all share) serves a whole pass,
    so certvalidator can reuse what it recorded: pyHanko's own nearest thing to warm.
    """

    def run(samples: Sequence[Sample]) -> float:
        loop = asyncio.new_event_loop()
        statuses: list[StandardCMSSignatureStatus] = []
        shared = _pyhanko_context(root, signed_data(samples[0].signature))

        async def validate(sample: Sample) -> StandardCMSSignatureStatus:
            parsed = signed_data(sample.signature)
            context = shared if shared_context else _pyhanko_context(root, parsed)
            return await async_validate_detached_cms(
                sample.content,
                parsed,
                signer_validation_context=context,
                ts_validation_context=context,
            )

        def work() -> None:
            for sample in samples:
                statuses.append(loop.run_until_complete(validate(sample)))

        try:
            seconds = _timed(work)
        finally:
            loop.close()
        for status in statuses:
            # Intact, valid and trusted, and so is the time-stamp: the same work as ours.
            ts = status.timestamp_validity
            if not (status.bottom_line and ts is not None and ts.trusted):
                raise SystemExit(f"pyHanko did not accept a benchmark signature: {status}")
        return seconds

    return run


def bare_verify(samples: Sequence[Sample]) -> float:
    """(c) The signer's ECDSA signature alone, key loaded once: the floor for any verifier."""
    first = signed_data(samples[0].signature)
    serial = first["signer_infos"][0]["sid"].chosen["serial_number"].native
    cert = next(
        c.chosen
        for c in first["certificates"]
        if c.name == "certificate" and c.chosen.serial_number == serial
    )
    key = serialization.load_der_public_key(cert.public_key.dump())
    assert isinstance(key, ec.EllipticCurvePublicKey)
    algorithm = ec.ECDSA(hashes.SHA256())
    work = []
    for sample in samples:
        signer_info = signed_data(sample.signature)["signer_infos"][0]
        assert signer_info["sid"].chosen["serial_number"].native == serial
        # The signature covers the DER of the signed attributes as a SET, not [0] IMPLICIT.
        work.append((signer_info["signature"].native, signer_info["signed_attrs"].untag().dump()))

    rounds = 0

    def verify_all() -> None:
        # A pass takes about 20 ms; repeat it so that the timer and noise matter less.
        nonlocal rounds
        start = time.perf_counter()
        while rounds == 0 or time.perf_counter() - start < BARE_MIN_SECONDS:
            for signature, message in work:
                key.verify(signature, message, algorithm)
            rounds += 1

    return _timed(verify_all) / rounds


def measure(
    measurements: Sequence[Measurement],
    warmup: Sequence[Sample],
    samples: Sequence[Sample],
    *,
    repeat: int,
) -> list[Timing]:
    """Run every measurement ``repeat`` times, interleaved, after one untimed round.

    The untimed round on the warm-up signatures takes first-call costs (lazy imports,
    caches of the libraries) out of whichever measurement would come first. Interleaving
    spreads any background load on the machine over all measurements alike.
    """
    for m in measurements:
        m.run(warmup)
    passes: dict[str, list[float]] = {m.name: [] for m in measurements}
    for _ in range(repeat):
        for m in measurements:
            passes[m.name].append(m.run(samples))
    return [Timing(m.name, m.how, len(samples), tuple(passes[m.name])) for m in measurements]


# --- the report ------------------------------------------------------------------------


def _results_table(timings: Sequence[Timing], bare: Timing) -> Table:
    table = Table(title="Detached CAdES B-LT, ECDSA P-256, 20 KB content")
    table.add_column("measurement")
    table.add_column("how")
    table.add_column("sig/s", justify="right")
    table.add_column("ms/sig", justify="right")
    table.add_column("ms/sig of each pass", justify="right")
    table.add_column("x bare", justify="right")
    for t in timings:
        table.add_row(
            t.name,
            t.what,
            f"{t.rate:,.0f}",
            f"{t.mean_ms:.3g}",
            t.per_pass_ms(),
            f"{t.rate / bare.rate:.3f}",
        )
    return table


def _targets_table(cold: Timing, warm: Timing, own: Timing, pyhanko: Timing, bare: Timing) -> Table:
    table = Table(title="Targets")
    table.add_column("ratio")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    table.add_column("")
    rows = [
        ("warm / bare", warm.rate / bare.rate, TARGET_WARM_VS_BARE),
        ("warm / pyHanko", warm.rate / pyhanko.rate, TARGET_WARM_VS_PYHANKO),
        ("cold / pyHanko", cold.rate / pyhanko.rate, TARGET_COLD_VS_PYHANKO),
        ("warm own evidence / warm", own.rate / warm.rate, TARGET_OWN_VS_SHARED),
    ]
    for name, value, target in rows:
        verdict = "[green]PASS[/]" if value >= target else "[red]MISS[/]"
        table.add_row(name, f"{value:.2f}", f">= {target:.2f}", verdict)
    return table


def _dstu_table(warm: Timing, count: int, repeat: int) -> Table:
    """DSTU 4145 rows and their ratios to the warm ECDSA P-256 verification."""
    rows = [
        Timing(
            f"docex warm DSTU m={m}",
            f"dev PKI CAdES B-LT, {size // 1024} KB, m={m} signer, m=257 TSA",
            count,
            dstu.warm_passes(m, size, count, repeat),
        )
        for m, size in ((257, CONTENT_BYTES), (431, CONTENT_BYTES), (257, 1024))
    ]
    certs = [
        Timing(
            f"DSTU m={m} cert signature",
            "SIGNATURE_VALIDATOR, as certvalidator calls it",
            DSTU_CERT_CHECKS,
            dstu.certificate_signature_passes(m, DSTU_CERT_CHECKS, repeat),
        )
        for m in (257, 431)
    ]
    gost_rate = dstu.gost_kilobytes_per_second()
    table = Table(title="DSTU 4145 (best pass; ratios to docex warm ECDSA P-256, same content)")
    table.add_column("measurement")
    table.add_column("how")
    table.add_column("ms/sig", justify="right")
    table.add_column("ms/sig of each pass", justify="right")
    table.add_column("x warm ECDSA", justify="right")
    table.add_column("target", justify="right")
    table.add_column("")

    def verdict(ok: bool) -> str:
        return "[green]PASS[/]" if ok else "[red]MISS[/]"

    m257, m431, small = rows
    targets: dict[int, tuple[str, bool]] = {
        id(m257): (
            f"<= {TARGET_DSTU257_VS_WARM:g}x, <= {TARGET_DSTU257_MAX_MS:g} ms",
            m257.mean_ms / warm.mean_ms <= TARGET_DSTU257_VS_WARM
            and m257.mean_ms <= TARGET_DSTU257_MAX_MS,
        ),
        id(m431): (
            f"<= {TARGET_DSTU431_VS_WARM:g}x",
            m431.mean_ms / warm.mean_ms <= TARGET_DSTU431_VS_WARM,
        ),
    }
    for t in (*rows, *certs):
        target, ok = targets.get(id(t), ("", None))
        table.add_row(
            t.name if t is not small else f"{t.name}, 1 KB",
            t.what,
            f"{t.mean_ms:.3g}",
            t.per_pass_ms(),
            f"{t.mean_ms / warm.mean_ms:.2f}",
            target,
            "" if ok is None else verdict(ok),
        )
    content_ms = CONTENT_BYTES / gost_rate
    table.add_row(
        "GOST 34.311-95",
        f"{'C extension' if ACCELERATOR is not None else 'pure Python'}, {gost_rate:.0f} kB/s",
        f"{content_ms:.3g}",
        f"for the {CONTENT_BYTES // 1024} KB content alone",
        f"{content_ms / warm.mean_ms:.2f}",
    )
    return table


def profile_warm(
    trust: TrustStore,
    warmup: Sequence[Sample],
    samples: Sequence[Sample],
    *,
    top: int,
    console: Console,
    what: str = "Warm loop",
) -> None:
    """Print where a warm verifier spends its time: the top entries by cumulative time."""
    with Verifier(trust) as verifier:
        for sample in warmup:
            verifier.verify(sample.signature, content=sample.content)
        profiler = cProfile.Profile()
        profiler.enable()
        for sample in samples:
            verifier.verify(sample.signature, content=sample.content)
        profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = max(cumulative for _, _, _, cumulative, _ in stats.values())
    table = profile_table(
        stats,
        title=f"{what}, {len(samples)} signatures, by cumulative time",
        per=len(samples),
        unit="sig",
        top=top,
        total=total,
    )
    console.print(table)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="distinct signatures (default 200)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed passes per measurement (default 3)"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="processes that make the signatures (default: every CPU)",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="TOP",
        help="also profile the warm loops (shared, own evidence) and print the TOP entries",
    )
    parser.add_argument(
        "--dstu-n",
        type=int,
        default=20,
        help="warm verifications of each DSTU B-LT per pass (default 20; 0 skips)",
    )
    args = parser.parse_args(argv)
    if args.n < 1 or args.repeat < 1 or args.dstu_n < 0:
        parser.error("--n and --repeat must be positive, --dstu-n not negative")
    console = Console()
    if not console.is_terminal:
        # Piped or under make: wide enough that the tables do not wrap.
        console = Console(width=132)
    started = time.perf_counter()

    all_samples = make_samples(args.n + WARMUP_SIGNATURES, jobs=args.jobs, console=console)
    warmup, samples = all_samples[:WARMUP_SIGNATURES], all_samples[WARMUP_SIGNATURES:]
    all_own = make_samples(
        args.n + WARMUP_SIGNATURES, jobs=args.jobs, console=console, signer=sign_own_evidence
    )
    own_by_shared = {s.signature: o for s, o in zip(all_samples, all_own, strict=True)}
    own_revocation_sets = len({revocation_values_digest(s) for s in all_own})
    assert len({s.signature for s in all_samples}) == len(all_samples)
    revocation_sets = len({revocation_values_digest(s) for s in all_samples})
    console.print(
        f"{len(samples)} distinct signatures by {SIGNER} (+{len(warmup)} for warm-up), "
        f"{CONTENT_BYTES} B each, signed and time-stamped at {SIGNED_AT.isoformat()}; "
        f"distinct embedded revocation data: {revocation_sets}"
    )

    trust = load_trust_store([TRUST])
    (root,) = trust.anchors
    counts: list[CacheCounts] = []
    own_counts: list[CacheCounts] = []
    measurements = [
        Measurement("docex cold", "new Verifier per signature", docex_cold(trust)),
        Measurement("docex warm", "one warmed-up Verifier", docex_warm(trust, warmup, counts)),
        Measurement(
            "docex warm, own evidence",
            "the same, every signature its own OCSP/CRLs",
            on_own_evidence(
                docex_warm(trust, all_own[:WARMUP_SIGNATURES], own_counts), own_by_shared
            ),
        ),
        Measurement("docex isolated", "one warmed-up worker process", docex_isolated(warmup)),
        Measurement(
            "pyHanko", "ValidationContext per signature", pyhanko_direct(root, shared_context=False)
        ),
        Measurement(
            "pyHanko shared", "one ValidationContext", pyhanko_direct(root, shared_context=True)
        ),
        Measurement("bare verify", "cryptography ECDSA P-256", bare_verify),
    ]
    cold, warm, own, isolated, pyhanko, pyhanko_shared, bare = measure(
        measurements, warmup, samples, repeat=args.repeat
    )

    console.print(_results_table([cold, warm, own, isolated, pyhanko, pyhanko_shared, bare], bare))
    console.print(
        f"isolated / warm: {isolated.rate / warm.rate:.2f} "
        f"(a worker process per verification, within DOCEX_VERIFY_* budgets)"
    )
    console.print(_targets_table(cold, warm, own, pyhanko, bare))
    if args.dstu_n:
        console.print(_dstu_table(warm, args.dstu_n, args.repeat))
    last = counts[-1]
    console.print(
        f"warm verifier cache: warm-up {last.warmup_hits} hits / {last.warmup_misses} "
        f"misses; timed pass {last.timed_hits} hits / {last.timed_misses} misses "
        f"(expected {2 * len(samples)} hits and no miss: the signer and the TSA, per signature)"
    )
    own_last = own_counts[-1]
    console.print(
        f"own-evidence verifier: {own_revocation_sets} distinct revocation-values over "
        f"{len(all_own)} signatures; timed pass {own_last.timed_hits} whole hits, "
        f"{own_last.timed_chain_hits} chain hits (own OCSP response checked), "
        f"{own_last.timed_misses} certvalidator runs (a new CRL day, or a new chain)"
    )
    if any(c.timed_misses for c in counts[1:]):
        console.print("[yellow]the warm cache missed during the timed pass: warm is not warm[/]")
    if revocation_sets != 1:
        console.print("[yellow]the signatures carry different revocation data[/]")
    console.print(
        f"best of {args.repeat} pass(es); python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPU(s); whole run {time.perf_counter() - started:.0f} s"
    )
    if args.profile:
        profile_warm(trust, warmup, samples, top=args.profile, console=console)
        # The same for the own-evidence signatures: what they cost beyond the shared ones
        # is the difference of the two tables.
        profile_warm(
            trust,
            all_own[:WARMUP_SIGNATURES],
            [own_by_shared[s.signature] for s in samples],
            top=args.profile,
            console=console,
            what="Warm loop, own evidence",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
