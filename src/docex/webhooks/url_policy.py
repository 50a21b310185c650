"""Which URLs a facility may register as its webhook: the outbound policy, applied early.

docex POSTs to whatever a facility registers, so the URL is checked twice with the same
rules (:mod:`docex.outbound.policy`): here, on its text, when it is registered (HTTPS, a
canonical public host name, no credentials or fragment), and again at every delivery,
when the name is resolved and each address must be globally routable. A development
deployment may also name loopback and allow-listed receivers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from docex.domain import MAX_WEBHOOK_URL_LENGTH
from docex.errors import InputError
from docex.outbound.policy import OutboundPolicy, OutboundRefusedError, check_url

if TYPE_CHECKING:
    from docex.settings import Settings


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookUrlPolicy:
    """Which webhook URLs a deployment accepts: those its outbound policy may POST to."""

    outbound: OutboundPolicy = field(default_factory=OutboundPolicy)

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookUrlPolicy:
        """The deployment's outbound policy, with the webhook timeout."""
        return cls(
            outbound=OutboundPolicy.from_settings(
                settings, timeout=settings.webhook_timeout_seconds
            )
        )


def check_webhook_url(url: str, *, policy: WebhookUrlPolicy) -> str:
    """``url`` if ``policy`` accepts it as a webhook target; ``InputError`` saying why not."""
    if len(url) > MAX_WEBHOOK_URL_LENGTH:
        raise InputError(f"the webhook URL is longer than {MAX_WEBHOOK_URL_LENGTH} characters")
    try:
        check_url(url, policy=policy.outbound, subject="the webhook URL")
    except OutboundRefusedError as exc:
        # A plain input error to the API (422 "input"), as before the shared policy.
        raise InputError(str(exc)) from None
    return url
