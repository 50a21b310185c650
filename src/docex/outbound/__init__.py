"""Every request docex makes to a URL it did not choose: one policy, one client.

Webhook URLs are chosen by facilities; revocation and issuer URLs (OCSP, CRL, AIA) are
chosen by whoever made a certificate. Both reach docex's own network unless every
request goes through the same checks:

- :mod:`~docex.outbound.policy`: which URLs and which addresses may be contacted
  (canonical host names, globally routable addresses, a development allow-list);
- :mod:`~docex.outbound.client`: a request to the address that was checked, with no
  redirects, a total deadline and a bound on the response, whose failures are a coarse
  class for the caller and details only in the server log.

This package sits below ``webhooks`` and ``signatures`` and imports neither the database
nor any web framework, so both may use it.
"""
