"""Telling facilities what happened, by signed HTTPS POSTs to the webhook they registered.

- :mod:`~docex.webhooks.subscriptions`: a facility's one webhook and its signing secret;
- :mod:`~docex.webhooks.url_policy`: which URLs may be registered (the outbound policy);
- :mod:`~docex.webhooks.signing`: the HMAC signature of a delivery and its verification;
- :mod:`~docex.webhooks.outbox`: events recorded in the transaction of the change they
  announce, listed and replayed by the facility;
- :mod:`~docex.webhooks.dispatcher`: sends what the outbox holds, with retries and leases;
- :mod:`~docex.webhooks.transport`: the HTTP client behind the dispatcher.

The services (:mod:`docex.services.webhooks`, :mod:`docex.services.events`) own the units
of work; the modules here take the caller's session and never commit, except the
dispatcher, which runs on its own.
"""
