"""Certificate path validation at a point in time, with revocation checking, and its cache.

pyhanko-certvalidator builds and validates the path. What this module adds:

* fail-closed defaults: revocation data is required for the end-entity certificate and every
  CA below the anchor (certvalidator's own default is soft-fail), and nothing is fetched
  unless online checking is enabled;
* online, only revocation data is fetched, only for a certificate that already chains to
  a trust anchor offline, and only through the outbound policy
  (:mod:`docex.outbound.fetching`): the URLs of an untrusted, self-made certificate are
  never contacted, nor are missing issuers fetched from AIA URLs;
* revocation data is accepted retroactively: an OCSP "good" or a CRL without the
  certificate, issued after the signing time, proves the certificate was not revoked at
  that time (revocation is permanent; see the note on certificate holds below);
* a cache of successful evaluations, keyed by everything the result depends on (the
  certificate, the certificates and revocation data offered, the trust configuration) and
  valid only for the time window in which the same inputs give the same answer;
* for signatures that each embed their own OCSP responses, which that cache cannot
  serve, the caches of :mod:`docex.signatures.evidence_cache`: verified signatures by
  their exact bytes, what a successful evaluation established about the path, the CAs'
  revocation status apart (keyed on the revocation data about the CAs only, and shared
  by every certificate under them), and accepted OCSP responders. A certificate whose
  chain is cached, under CAs whose status is, then needs only its own OCSP response
  checked; its result is never cached.

Path building is bounded (see :mod:`docex.signatures.limits`): certvalidator's own builder
walks every simple path through the certificates offered, which a lattice of same-name
CAs makes exponential. :class:`BoundedPathBuilder` replaces it with an iterative search
that considers at most ``max_issuer_candidates_per_step`` issuers for one certificate,
``max_issuer_candidates`` in one evaluation, and paths of at most ``max_path_length``
certificates. Candidate issuers are filtered by the authority key identifier when both
certificates carry one. A search that reached a bound and found no valid path reports
:attr:`CertStatus.BOUND_EXCEEDED` with the bound in its message, as does validation data
over its bounds (:meth:`~docex.signatures.evidence.ValidationData.exceeded`), and a
structure nested deeper than the interpreter's recursion limit.

Certificate holds (reversible suspension) would make retroactive use of revocation data
unsound; qualified CAs under eIDAS and Ukrainian law do not use them, and a held
certificate appears as revoked in the data we read, which fails closed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import AsyncGenerator, Hashable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from asn1crypto import x509
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.authority import AuthorityWithCert, TrustAnchor
from pyhanko_certvalidator.errors import (
    DisallowedAlgorithmError,
    ExpiredError,
    InsufficientRevinfoError,
    NotYetValidError,
    PathBuildingError,
    PathValidationError,
    RevokedError,
    ValidationError,
)
from pyhanko_certvalidator.path import ValidationPath
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import CertificateRegistry, PathBuilder, TrustManager
from pyhanko_certvalidator.revinfo.validate_ocsp import verify_ocsp_response
from pyhanko_certvalidator.util import CancelableAsyncIterator

from docex.outbound.fetching import policed_session
from docex.outbound.policy import OutboundPolicy
from docex.signatures.cert_quirks import tolerate_unparsable_aki
from docex.signatures.evidence import (
    ValidationData,
    earliest_next_update,
    relevant_evidence,
    revocation_times,
)
from docex.signatures.evidence_cache import (
    CachingSignatureValidator,
    CaStatus,
    ChainCache,
    ChainEntry,
    OwnResponse,
    ResponderCache,
    about,
    about_certificates,
    certificates_digest,
    ocsp_good,
    own_response,
)
from docex.signatures.limits import DEFAULT_LIMITS, Limits
from docex.signatures.qualification import QualificationVerdict, assess, service_boundaries
from docex.signatures.report import RevocationEvidence
from docex.signatures.signature_validator import ALGORITHM_POLICY, SIGNATURE_VALIDATOR
from docex.signatures.trust import TrustStore

REQUIRE_REVOCATION = CertRevTrustPolicy(
    RevocationCheckingPolicy(
        ee_certificate_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED,
        intermediate_ca_cert_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED,
    ),
    retroactive_revinfo=True,
)
TIME_TOLERANCE = timedelta(seconds=1)
FETCHED_MAX_AGE = timedelta(hours=1)


class CertStatus(StrEnum):
    """The outcome of validating a certificate at a point in time."""

    OK = "ok"
    REVOKED = "revoked"
    CA_REVOKED = "ca_revoked"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    NO_CHAIN = "no_chain"
    NO_REVOCATION_DATA = "no_revocation_data"
    WEAK_ALGORITHM = "weak_algorithm"
    INVALID = "invalid"
    BOUND_EXCEEDED = "bound_exceeded"
    """A bound on the work of one evaluation was reached (see :mod:`docex.signatures.limits`)."""


# Only a missing revocation status: a certificate without a chain to an anchor ("no_chain")
# was made by anyone, and its URLs point wherever its maker likes.
_FETCH_MAY_HELP: frozenset[str] = frozenset({"no_revocation_data"})


@dataclass(frozen=True)
class CertEvaluation:
    """What validating one certificate at one time established."""

    status: CertStatus
    message: str
    path: tuple[x509.Certificate, ...] = ()
    """The validation path from the certificate up to the trust anchor."""
    validation_path: ValidationPath | None = field(default=None, compare=False)
    revocation_time: datetime | None = None
    revocation: tuple[RevocationEvidence, ...] = ()
    """The revocation data that speaks about the path, embedded or fetched."""
    qualification: QualificationVerdict | None = None
    """For signing certificates that validated: what the trust configuration makes of them."""
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    """The window of evaluation times for which this same result holds (cache bounds)."""

    @property
    def ok(self) -> bool:
        return self.status is CertStatus.OK


class CertificateEvaluator:
    """Validates certificates against one trust store, caching what it has proven.

    Thread-safe: the cache is guarded by a lock; each evaluation builds its own
    certvalidator context.

    :param limits: the bounds on validation data and path building applied to every
        evaluation (and, through :attr:`limits`, to collecting embedded data).
    :param outbound: the outbound policy online fetching obeys.
    """

    def __init__(
        self,
        trust: TrustStore,
        *,
        online: bool = False,
        cache_size: int = 4096,
        limits: Limits = DEFAULT_LIMITS,
        outbound: OutboundPolicy | None = None,
    ):
        self.trust = trust
        self.online = online
        self.outbound = outbound or OutboundPolicy()
        """What online fetching may contact (the production policy unless given one)."""
        self.limits = limits
        self._cache: OrderedDict[Hashable, list[CertEvaluation]] = OrderedDict()
        self._cache_size = cache_size
        self._fetched: OrderedDict[bytes, tuple[ValidationData, datetime]] = OrderedDict()
        self._lock = threading.Lock()
        self.signatures = CachingSignatureValidator(SIGNATURE_VALIDATOR, max_size=cache_size)
        """The signature validator every evaluation uses: verifies each exact input once."""
        self.chains: ChainCache[CertEvaluation] = ChainCache(cache_size)
        self.responders = ResponderCache()
        self.hits = 0
        """Evaluations answered whole from the cache (same certificate and data)."""
        self.chain_hits = 0
        """Evaluations answered from a cached chain and the certificate's own OCSP response."""
        self.misses = 0
        """Evaluations that ran certvalidator."""
        self.fetches = 0
        self.candidates_considered = 0
        """Candidate issuers considered by path building, over all evaluations."""
        for configured in trust.all_certificates:
            tolerate_unparsable_aki(configured)

    def cached(
        self, cert: x509.Certificate, *, data: ValidationData, at: datetime, purpose: str
    ) -> CertEvaluation | None:
        """A cached successful evaluation valid at ``at``, if there is one."""
        key = self._key(cert, data, purpose)
        with self._lock:
            for entry in self._cache.get(key, ()):
                if entry.valid_from is None or entry.valid_until is None:
                    continue
                if entry.valid_from <= at <= entry.valid_until:
                    self._cache.move_to_end(key)
                    self.hits += 1
                    return entry
        return None

    async def evaluate(
        self, cert: x509.Certificate, *, data: ValidationData, at: datetime, purpose: str
    ) -> CertEvaluation:
        """Validate ``cert`` at time ``at`` with the validation data offered.

        ``purpose`` (``signature`` or ``timestamp``) only separates cache entries; key usage
        is checked by the caller, which knows what the certificate was used for.
        """
        refusal = data.exceeded(self.limits)
        if refusal is not None:
            return CertEvaluation(CertStatus.BOUND_EXCEEDED, refusal)
        for known in (cert, *data.certs):
            tolerate_unparsable_aki(known)
        fetched = self._fresh_fetched(cert) if self.online else None
        known = data.merged(fetched) if fetched is not None else data
        hit = self.cached(cert, data=known, at=at, purpose=purpose)
        if hit is not None:
            return hit
        chained = self._from_chain(
            cert, data=data, fetched=fetched, known=known, at=at, purpose=purpose
        )
        if chained is not None:
            return chained
        with self._lock:
            self.misses += 1
        # The responder is judged only for a certificate seen before (its chain cached):
        # a one-shot verifier, as the CLI's, would pay for a second OCSP check for nothing.
        judge = self.chains.knows(self._chain_key(cert, known, purpose))
        result, _ = await self._validate(
            cert,
            data=known,
            at=at,
            fetch=False,
            responder=self._responder_to_check(cert, known) if judge else None,
        )
        if self.online and result.status in _FETCH_MAY_HELP:
            result, newly_fetched = await self._validate(cert, data=data, at=at, fetch=True)
            self.fetches += 1
            if newly_fetched.has_revocation_data:
                self._remember_fetched(cert, newly_fetched)
                fetched = newly_fetched
                known = data.merged(newly_fetched)
        evidence = relevant_evidence(data, result.path)
        if fetched is not None:
            evidence += relevant_evidence(fetched, result.path)
        result = replace(result, revocation=evidence)
        if result.ok and purpose == "signature" and result.validation_path is not None:
            result = replace(
                result,
                qualification=assess(
                    trust=self.trust, path=result.validation_path, cert=cert, at=at
                ),
            )
        if result.ok:
            self._remember_chain(cert, result, data=known, at=at, purpose=purpose)
            windowed = self._with_window(result, known, at)
            if windowed is not None:
                key = self._key(cert, known, purpose)
                with self._lock:
                    self._cache.setdefault(key, []).append(windowed)
                    self._cache.move_to_end(key)
                    while len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)
                return windowed
        return result

    def _chain_key(self, cert: x509.Certificate, data: ValidationData, purpose: str) -> Hashable:
        return (cert.sha256, certificates_digest(data), self.trust.fingerprint, purpose)

    def _status_context(self, data: ValidationData) -> Hashable:
        # What a CA status depends on beside the CAs and the data about them (see
        # ChainCache): the certificates offered and the trust configuration.
        return (certificates_digest(data), self.trust.fingerprint)

    def _from_chain(
        self,
        cert: x509.Certificate,
        *,
        data: ValidationData,
        fetched: ValidationData | None,
        known: ValidationData,
        at: datetime,
        purpose: str,
    ) -> CertEvaluation | None:
        """The evaluation from a cached chain and ``cert``'s own OCSP response, if both hold.

        None sends the evaluation to certvalidator: no chain entry for these certificates,
        this CA data and this time; no single OCSP response about ``cert``; a responder
        certvalidator has not accepted for the issuer; a response that is not fresh, not
        validly signed or not "good".
        """
        entry = self.chains.find(
            self._chain_key(cert, known, purpose),
            context=self._status_context(known),
            data=known,
            at=at,
            issuers_of=_path_issuers,
        )
        if entry is None:
            return None
        path = entry.result.path
        own = own_response(
            cert, path[1], known, self.trust.all_certificates, self.responders.identifiers
        )
        if own is None or not self.responders.accepted(
            own.responder, issuer=path[1], trust=self.trust.fingerprint, at=at
        ):
            return None
        if not ocsp_good(
            own,
            at=at,
            policy=REQUIRE_REVOCATION,
            tolerance=TIME_TOLERANCE,
            # Not the caching validator: the signature's own response is new to it
            # (a per-signature response is what the chain path exists for), so keeping
            # it would only push out the CA signatures the cache is for.
            validator=self.signatures.inner,
        ):
            return None
        with self._lock:
            self.chain_hits += 1
        evidence = relevant_evidence(data, path)
        if fetched is not None:
            evidence += relevant_evidence(fetched, path)
        return replace(entry.result, revocation=evidence, valid_from=None, valid_until=None)

    def _remember_chain(
        self,
        cert: x509.Certificate,
        result: CertEvaluation,
        *,
        data: ValidationData,
        at: datetime,
        purpose: str,
    ) -> None:
        """Keep what ``result`` established about the path and, apart, about its CAs' status.

        Only when the revocation data about ``cert`` cannot also speak about a CA of the
        path (no CA with ``cert``'s issuer name), so that the data about the CAs, which
        keys their status, is all that status rested on; the path only within its
        certificates' validity and its qualification's stretch, the CAs' status only
        while that data is current and records no revocation of any of them. A path
        without a CA (an end entity under its anchor) is not kept.
        """
        path = result.path
        cas = _path_cas(result)
        if not cas or any(ca.issuer.dump() == cert.issuer.dump() for ca in cas):
            return
        structure = self._window(result, path, data=None, at=at)
        status = self._window(None, path[1:], data=about(data, cas), at=at)
        if structure is None or status is None:
            return
        lower, upper = structure
        self.chains.add(
            self._chain_key(cert, data, purpose),
            ChainEntry(
                result=replace(result, revocation=(), valid_from=lower, valid_until=upper),
                valid_from=lower,
                valid_until=upper,
            ),
        )
        self.chains.establish(
            path[1:],
            context=self._status_context(data),
            about_cas=about_certificates(data, cas),
            status=CaStatus(*status),
        )

    def _responder_to_check(
        self, cert: x509.Certificate, data: ValidationData
    ) -> OwnResponse | None:
        """``cert``'s own OCSP response, when its responder is one to have certvalidator judge.

        A delegated responder with ``id-pkix-ocsp-nocheck`` (certvalidator checks only its
        certificate against the CA) or the CA itself, not yet accepted for the issuer.
        """
        issuer = next(
            (
                c
                for c in (*data.certs, *self.trust.all_certificates)
                if c.subject.sha256 == cert.issuer.sha256
            ),
            None,
        )
        if issuer is None:
            return None
        own = own_response(
            cert, issuer, data, self.trust.all_certificates, self.responders.identifiers
        )
        if own is None:
            return None
        responder = own.responder
        if responder.sha256 != issuer.sha256 and responder.ocsp_no_check_value is None:
            return None
        validity = responder["tbs_certificate"]["validity"]
        if self.responders.accepted(
            responder,
            issuer=issuer,
            trust=self.trust.fingerprint,
            at=validity["not_before"].native,
        ):
            return None
        return own

    def _fresh_fetched(self, cert: x509.Certificate) -> ValidationData | None:
        now = datetime.now(UTC)
        with self._lock:
            entry = self._fetched.get(cert.sha256)
            if entry is None:
                return None
            fetched, expires = entry
            if now >= expires:
                del self._fetched[cert.sha256]
                return None
            return fetched

    def _remember_fetched(self, cert: x509.Certificate, fetched: ValidationData) -> None:
        """Keep fetched revocation data until its nextUpdate, and at most an hour."""
        now = datetime.now(UTC)
        next_update = earliest_next_update(fetched)
        expires = min(next_update or now, now + FETCHED_MAX_AGE)
        if expires <= now:
            return
        with self._lock:
            self._fetched[cert.sha256] = (fetched, expires)
            while len(self._fetched) > self._cache_size:
                self._fetched.popitem(last=False)

    def _key(self, cert: x509.Certificate, data: ValidationData, purpose: str) -> Hashable:
        return (cert.sha256, data.cache_key, self.trust.fingerprint, purpose)

    def _with_window(
        self, result: CertEvaluation, data: ValidationData, at: datetime
    ) -> CertEvaluation | None:
        """Bound a successful result to the times at which it provably still holds.

        Every certificate on the path must be within its validity period, and the
        revocation data must still be current (before its ``nextUpdate``). If the data
        reports any certificate of the path as revoked (at a later time than evaluated),
        the result is not cached at all: a later evaluation time could cross it.
        """
        window = self._window(result, result.path, data=data, at=at)
        if window is None:
            return None
        return replace(result, valid_from=window[0], valid_until=window[1])

    def _window(
        self,
        result: CertEvaluation | None,
        certs: tuple[x509.Certificate, ...],
        *,
        data: ValidationData | None,
        at: datetime,
    ) -> tuple[datetime, datetime] | None:
        """The times around ``at`` for which ``certs`` and ``data`` give the same answer.

        Within every certificate's validity; with ``data``, before its earliest
        ``nextUpdate``, and None when it records a revocation of one of ``certs`` or when
        some of it has no ``nextUpdate`` (except for a lone anchor, which nothing checks
        for revocation); with a qualified ``result``, within the stretch between the
        trust services' start and end dates that holds ``at``. None when ``at`` is
        outside that window.
        """
        next_update = None
        if data is not None:
            if any(True for _ in revocation_times(data, certs)):
                return None
            next_update = earliest_next_update(data)
            if next_update is None and len(certs) != 1:
                return None
        # A path of one certificate is a trust anchor: nothing on it is checked for
        # revocation, so only the certificate's validity bounds the result (UAPKI's and
        # jkurwa's signer certificates are configured as anchors).
        lower = max(c["tbs_certificate"]["validity"]["not_before"].native for c in certs)
        upper = min(
            [c["tbs_certificate"]["validity"]["not_after"].native for c in certs]
            + ([next_update] if next_update is not None else [])
        )
        if (
            result is not None
            and result.qualification is not None
            and result.validation_path is not None
        ):
            # Qualification depends on which trust services apply at the time: stay within
            # the stretch between their start and end dates that contains ``at``.
            for boundary in service_boundaries(self.trust, result.validation_path):
                if boundary <= at:
                    lower = max(lower, boundary)
                else:
                    upper = min(upper, boundary - timedelta(microseconds=1))
        if not lower <= at <= upper:
            return None
        return lower, upper

    async def _validate(
        self,
        cert: x509.Certificate,
        *,
        data: ValidationData,
        at: datetime,
        fetch: bool,
        responder: OwnResponse | None = None,
    ) -> tuple[CertEvaluation, ValidationData]:
        """Run certvalidator; also return the revocation data it fetched (if ``fetch``).

        With ``responder`` (``cert``'s only OCSP response), a successful path is followed by
        certvalidator's own check of that response; if it accepts it, its responder is
        recorded as accepted for the issuer (:class:`ResponderCache`).
        """
        session = policed_session(self.outbound) if fetch else None
        if session is not None:
            # Only online checks fetch: an offline one never loads aiohttp (issue 12).
            from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend
        context = ValidationContext(
            trust_manager=self.trust.trust_manager(),
            # TSPTrustManager, unlike certvalidator's simple one, does not register the
            # anchor certificates; CRLs signed by an anchor need them to be found. The
            # configured intermediates and servers are offered for path building too.
            other_certs=data.certs + self.trust.all_certificates,
            crls=data.crls,
            ocsps=data.ocsps,
            moment=at,
            allow_fetching=fetch,
            fetcher_backend=(
                AIOHttpFetcherBackend(session, per_request_timeout=self.outbound.timeout)
                if session is not None
                else None
            ),
            revinfo_policy=REQUIRE_REVOCATION,
            time_tolerance=TIME_TOLERANCE,
            # DSTU 4145 (Ukrainian chains) beside certvalidator's own algorithms.
            signature_validator=self.signatures,
            algorithm_usage_policy=ALGORITHM_POLICY,
        )
        search = _Search(self.limits)
        context.path_builder = BoundedPathBuilder(
            context.path_builder.trust_manager, context.certificate_registry, search=search
        )
        try:
            result = await _run_validator(cert, context, search)
            if responder is not None and result.ok and result.validation_path is not None:
                await self._judge_responder(
                    cert, responder, result, result.validation_path, context
                )
            fetched = ValidationData(source="fetched")
            if fetch:
                fetched = ValidationData(
                    crls=tuple(c for c in context.crls if c not in data.crls),
                    ocsps=tuple(o for o in context.ocsps if o not in data.ocsps),
                    source="fetched",
                )
            return result, fetched
        finally:
            with self._lock:
                self.candidates_considered += search.candidates
            await context.aclose()  # type: ignore[no-untyped-call]  # certvalidator lacks hints here
            if session is not None:
                # The fetchers do not close a session they were given.
                await session.close()

    async def _judge_responder(
        self,
        cert: x509.Certificate,
        own: OwnResponse,
        result: CertEvaluation,
        path: ValidationPath,
        context: ValidationContext,
    ) -> None:
        # Only one response names the certificate, and only one known certificate matches
        # its responder: if certvalidator accepts an OCSP response for ``cert``, it is
        # this one, signed by this responder, and the responder is authorised for the CA.
        try:
            await verify_ocsp_response(cert, path, context)
        except Exception:
            # Whatever certvalidator objects to, nothing is recorded.
            return
        issuer = result.path[1]
        self.responders.accept(own.responder, issuer=issuer, trust=self.trust.fingerprint)


def _path_cas(result: CertEvaluation) -> tuple[x509.Certificate, ...]:
    """The CAs of a result's path whose revocation is checked: not the end entity nor anchor."""
    return result.path[1:-1]


def _path_issuers(result: CertEvaluation) -> tuple[x509.Certificate, ...]:
    """A result's path above the end entity: its CAs, then the trust anchor."""
    return result.path[1:]


async def _run_validator(
    cert: x509.Certificate, context: ValidationContext, search: _Search
) -> CertEvaluation:
    result = await _outcome(cert, context)
    # The search stopped early, so "no valid path" is not established: say why. Except
    # for a revoked signing certificate: its own revocation holds whichever path it takes.
    if not result.ok and result.status is not CertStatus.REVOKED and search.exceeded:
        return CertEvaluation(CertStatus.BOUND_EXCEEDED, search.exceeded)
    return result


async def _outcome(cert: x509.Certificate, context: ValidationContext) -> CertEvaluation:
    try:
        validator = CertificateValidator(cert, validation_context=context)
        path = await validator.async_validate_path()
    except RecursionError:
        # asn1crypto parses nested structures recursively, on first access.
        return CertEvaluation(
            CertStatus.BOUND_EXCEEDED,
            "a certificate or revocation structure is nested deeper than the verifier's "
            "recursion limit; the signature was not evaluated",
        )
    except RevokedError as exc:
        status = CertStatus.REVOKED if exc.is_ee_cert else CertStatus.CA_REVOKED
        return CertEvaluation(
            status,
            exc.failure_msg,
            path=_certs(exc.original_path),
            validation_path=exc.original_path,
            revocation_time=exc.revocation_dt,
        )
    except ExpiredError as exc:
        return _failed(CertStatus.EXPIRED, exc)
    except NotYetValidError as exc:
        return _failed(CertStatus.NOT_YET_VALID, exc)
    except InsufficientRevinfoError as exc:  # includes StaleRevinfoError
        return _failed(CertStatus.NO_REVOCATION_DATA, exc)
    except DisallowedAlgorithmError as exc:
        return _failed(CertStatus.WEAK_ALGORITHM, exc)
    except PathBuildingError as exc:
        return CertEvaluation(CertStatus.NO_CHAIN, f"no path to a trust anchor: {exc}")
    except PathValidationError as exc:
        return _failed(CertStatus.INVALID, exc)
    except ValidationError as exc:
        return CertEvaluation(CertStatus.INVALID, exc.failure_msg)
    return CertEvaluation(
        CertStatus.OK, "certificate path is valid", path=_certs(path), validation_path=path
    )


def _failed(status: CertStatus, exc: PathValidationError) -> CertEvaluation:
    return CertEvaluation(
        status, exc.failure_msg, path=_certs(exc.original_path), validation_path=exc.original_path
    )


def _certs(path: ValidationPath) -> tuple[x509.Certificate, ...]:
    certs = [c for c in path.iter_certs(include_root=True) if isinstance(c, x509.Certificate)]
    return tuple(reversed(certs))


class _Search:
    """The candidate issuers one evaluation has considered, against its bounds."""

    # The bound reported first is the one that ended the search, when several were met.
    _PRIORITY = ("max_issuer_candidates", "max_issuer_candidates_per_step", "max_path_length")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.candidates = 0
        self._reached: set[str] = set()

    def stop(self, bound: str) -> None:
        self._reached.add(bound)

    @property
    def exceeded(self) -> str | None:
        """The message naming the bounds the search reached, or None if it reached none."""
        reached = [b for b in self._PRIORITY if b in self._reached]
        if not reached:
            return None
        message = self.limits.exceeded(reached[0], what="certificate path building")
        if len(reached) > 1:
            also = ", ".join(f"{b} = {getattr(self.limits, b)}" for b in reached[1:])
            message = f"{message} (also reached: {also})"
        return message

    def take(self) -> bool:
        """Count one more candidate; False when the evaluation's total is spent."""
        if self.candidates >= self.limits.max_issuer_candidates:
            self.stop("max_issuer_candidates")
            return False
        self.candidates += 1
        return True


class BoundedPathBuilder(PathBuilder):
    """certvalidator's path builder with bounded work (see the module docstring).

    It yields the same paths, from the end-entity certificate up to a trust anchor,
    lazily and depth first, trust anchors before other candidates at each step.
    """

    def __init__(
        self, trust_manager: TrustManager, registry: CertificateRegistry, *, search: _Search
    ) -> None:
        super().__init__(trust_manager, registry)
        self.search = search

    def async_build_paths_lazy(
        self, end_entity_cert: x509.Certificate
    ) -> CancelableAsyncIterator[ValidationPath]:
        return _BoundedPaths(self, end_entity_cert)


class _BoundedPaths(CancelableAsyncIterator[ValidationPath]):
    def __init__(self, builder: BoundedPathBuilder, cert: x509.Certificate) -> None:
        self._builder = builder
        self._dead_end: x509.Certificate | None = None
        self._walk = self._paths(cert)

    async def __anext__(self) -> ValidationPath:
        return await self._walk.__anext__()

    async def cancel(self) -> None:
        await self._walk.aclose()

    async def _paths(self, cert: x509.Certificate) -> AsyncGenerator[ValidationPath, None]:
        builder = self._builder
        limits = builder.search.limits
        anchor = builder.trust_manager.as_trust_anchor(AuthorityWithCert(cert))
        if anchor is not None:
            yield ValidationPath(anchor, [], None)
            return
        emitted = 0
        # An explicit stack, not recursion: the depth is bounded, but so is Python's.
        root: tuple[x509.Certificate, ...] = (cert,)
        stack = [(root, self._candidates(cert, frozenset({cert.issuer_serial})))]
        try:
            while stack:
                path, candidates = stack[-1]
                issuer = await anext(candidates, None)
                if issuer is None:
                    stack.pop()
                    continue
                if isinstance(issuer, TrustAnchor):
                    emitted += 1
                    # ValidationPath wants the intermediates from the anchor down.
                    yield ValidationPath(issuer, list(reversed(path[1:])), path[0])
                    continue
                if len(path) >= limits.max_path_length:
                    builder.search.stop("max_path_length")
                    continue
                longer = (*path, issuer)
                seen = frozenset(c.issuer_serial for c in longer)
                stack.append((longer, self._candidates(issuer, seen)))
        finally:
            # Close the abandoned candidate generators now, not when the loop collects them.
            for _, candidates in reversed(stack):
                await candidates.aclose()
        if emitted == 0:
            missing = (self._dead_end or cert).issuer.human_friendly
            raise PathBuildingError(
                f'Unable to build a validation path for the certificate "'
                f'{cert.subject.human_friendly}" - no issuer matching "{missing}" was found'
            )

    async def _candidates(
        self, cert: x509.Certificate, seen: frozenset[bytes]
    ) -> AsyncGenerator[TrustAnchor | x509.Certificate, None]:
        builder = self._builder
        search = builder.search
        step = 0
        for issuer in builder.registry.find_potential_issuers(cert, builder.trust_manager):
            if isinstance(issuer, x509.Certificate) and (
                issuer.issuer_serial in seen or not _key_ids_match(cert, issuer)
            ):
                continue
            step += 1
            if step > search.limits.max_issuer_candidates_per_step:
                search.stop("max_issuer_candidates_per_step")
                return
            if not search.take():
                return
            yield issuer
        # Unlike certvalidator, missing issuers are never fetched (AIA caIssuers): a
        # certificate that does not chain to an anchor with what is offered and configured
        # is untrusted, and its URLs are its maker's choice.
        if step == 0 and self._dead_end is None:
            self._dead_end = cert


def _key_ids_match(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """False when both carry key identifiers and the issuer's is not the one ``cert`` names."""
    aki = cert.authority_key_identifier
    ski = issuer.key_identifier
    return aki is None or ski is None or aki == ski
