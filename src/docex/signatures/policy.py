"""The gate's acceptance policy, apart from the neutral ETSI verdict.

A :class:`~docex.signatures.report.ValidationReport` says what ETSI EN 319 102-1 makes of
a signature: TOTAL_PASSED, INDETERMINATE or TOTAL_FAILED, and its qualification. Whether
the eHealth exchange *accepts* the document is a further decision, taken by an
:class:`AcceptancePolicy` over that report and the kind of document:

    decision = DOCEX_GATE_2026.decide(report, kind="referral")
    decision.accepted, decision.reasons, decision.policy

The policy is a value: the services take it from the runtime, the CLI prints its decision
beside the verdict, and every decision names the policy that made it.

Nested CMS (a doctor's CMS sealed by the facility, :mod:`docex.signatures.envelopes`):
the kind's qualifications are asked of the innermost layer, the author's (layer 0), and
:attr:`AcceptancePolicy.outer_qualifications` of every layer around it. Every layer's
signatures must pass as every signature must.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from docex.signatures.report import (
    BASELINE_LEVELS,
    Indication,
    Qualification,
    SignatureReport,
    ValidationReport,
)

_QESIG = frozenset({Qualification.QESIG})
_QESIG_OR_QESEAL = frozenset({Qualification.QESIG, Qualification.QESEAL})


@dataclass(frozen=True)
class AcceptanceDecision:
    """Whether a policy accepts a validated document, and why not."""

    policy: str
    """The name of the policy that decided."""
    accepted: bool
    reasons: tuple[str, ...] = ()
    """Why the document is refused, one reason per unmet requirement; empty if accepted."""

    @property
    def message(self) -> str:
        """The decision in one line."""
        if self.accepted:
            return f"accepted under policy {self.policy}"
        return f"refused under policy {self.policy}: {'; '.join(self.reasons)}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form: ``policy``, ``accepted``, ``reasons``."""
        return {"policy": self.policy, "accepted": self.accepted, "reasons": list(self.reasons)}


@dataclass(frozen=True)
class AcceptancePolicy:
    """What the gate requires of a validated document, per kind of document.

    :param name: names the policy in every decision (and so in responses and the audit log).
    :param qualifications: the qualifications every signature may have, per document kind
        (the :class:`docex.domain.DocumentKind` values). A kind not listed is refused.
    :param require_total_passed: every signature must be TOTAL_PASSED.
    :param minimum_level: the lowest baseline level accepted (``B``, ``T``, ``LT``, ``LTA``).
    :param require_baseline: the signature must be an ETSI baseline signature (not, e.g.,
        a CMS signature without the signing-certificate attribute).
    :param reject_broken_timestamps: refuse a signature carrying a broken time-stamp, which
        the ETSI verdict ignores but which a record meant to be proof should not carry.
    :param outer_qualifications: the qualifications a signature in an outer layer of a
        nested CMS may have, whatever the kind (``qualifications`` then applies to the
        innermost layer, the author's). Empty: a nested CMS is refused.
    """

    name: str
    qualifications: Mapping[str, frozenset[Qualification]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    require_total_passed: bool = True
    minimum_level: str = "B"
    require_baseline: bool = True
    reject_broken_timestamps: bool = True
    outer_qualifications: frozenset[Qualification] = _QESIG_OR_QESEAL

    def __post_init__(self) -> None:
        if self.minimum_level not in BASELINE_LEVELS:
            raise ValueError(f"minimum_level must be one of {', '.join(BASELINE_LEVELS)}")
        # A read-only copy: a policy must not change under the decisions made with it.
        object.__setattr__(self, "qualifications", MappingProxyType(dict(self.qualifications)))

    def decide(self, report: ValidationReport, *, kind: str) -> AcceptanceDecision:
        """Decide whether ``report``, made on a document of ``kind``, is accepted."""
        reasons: list[str] = []
        allowed = self.qualifications.get(str(kind))
        if allowed is None:
            reasons.append(f"no acceptance rule for documents of kind {kind}")
        if not report.signatures:
            reasons.append("the document carries no signature")
        if self.require_total_passed and report.indication is not Indication.TOTAL_PASSED:
            verdict = report.indication.value
            if report.sub_indication is not None:
                verdict += f"/{report.sub_indication.value}"
            reasons.append(f"the signature is not valid ({verdict}): {report.message}")
        layered = any(signature.layer > 0 for signature in report.signatures)
        for signature in report.signatures:
            if signature.layer == 0:
                # In an envelope the kind's rule is the author's: say so, since the seal
                # around it may well be what the kind would otherwise have accepted.
                rule = f"the author's layer of a {kind}" if layered else f"a {kind}"
                layer_allowed = allowed
            else:
                rule, layer_allowed = "an outer layer", self.outer_qualifications
            reasons.extend(self._signature_reasons(signature, rule=rule, allowed=layer_allowed))
        return AcceptanceDecision(policy=self.name, accepted=not reasons, reasons=tuple(reasons))

    def _signature_reasons(
        self, signature: SignatureReport, *, rule: str, allowed: frozenset[Qualification] | None
    ) -> list[str]:
        reasons: list[str] = []
        who = signature.id
        # A signature that did not pass has no qualification (N/A); when passing is required,
        # the verdict is the reason already, and "N/A is not QESig" would only repeat it.
        verdict_said_it = (
            self.require_total_passed and signature.indication is not Indication.TOTAL_PASSED
        )
        if allowed is not None and not verdict_said_it:
            qualification = signature.qualification
            if not allowed:
                reasons.append(f"{who}: {rule} is not accepted at all")
            elif qualification not in allowed:
                names = " or ".join(sorted(q.value for q in allowed))
                if qualification.is_qualified:
                    reasons.append(f"{who}: {rule} must carry a {names}, not a {qualification}")
                else:
                    reasons.append(
                        f"{who}: the signature is {qualification}, not {names}: {signature.message}"
                    )
        level = signature.baseline_level
        if level is None:
            if self.require_baseline:
                reasons.append(f"{who}: the format {signature.format} is not an ETSI baseline")
        elif BASELINE_LEVELS.index(level) < BASELINE_LEVELS.index(self.minimum_level):
            reasons.append(
                f"{who}: level {level} is below the required {self.minimum_level} "
                f"({signature.format})"
            )
        if self.reject_broken_timestamps:
            for ts in signature.timestamps:
                if ts.indication is Indication.TOTAL_FAILED:
                    reasons.append(f"{who}: a {ts.kind} time-stamp is broken: {ts.message}")
        return reasons


DOCEX_GATE_2026 = AcceptancePolicy(
    name="docex-gate-2026",
    # A referral needs a doctor's qualified signature; an examination result or another
    # medical document may carry the facility's seal (whose EDRPOU the submission then
    # checks against the facility's). Recalls, cancellations and receipts were accepted
    # with a QESig only before this policy existed, and still are.
    qualifications={
        "referral": _QESIG,
        "examination_result": _QESIG_OR_QESEAL,
        "medical_document": _QESIG_OR_QESEAL,
        "referral_recall": _QESIG,
        "referral_cancellation": _QESIG,
        "receipt": _QESIG,
    },
)
"""The exchange's policy: TOTAL_PASSED, qualified (a seal only where the kind allows one),
ETSI baseline at level B or above, no broken time-stamps. In a nested CMS, the author's
layer as the kind says and every outer layer a QESig or QESeal (the facility's seal)."""
