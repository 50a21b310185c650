"""The one exception tree of docex.

Errors are for "cannot evaluate" and "cannot do", never for verdicts: a signature that
fails verification is a report with ``TOTAL_FAILED``, not an exception.

::

    DocexError                      code
    ├── InputError                  input         the caller gave us something unusable
    │   ├── NotASignatureError      not-a-signature   bytes are neither CMS nor PDF
    │   ├── InputTooLargeError      too-large     a size bound was exceeded
    │   └── TrustConfigError        trust-config  trust anchors / trusted list unusable
    └── DevPkiError                 dev-pki       the development PKI tooling failed

The edges translate these and only these: ``cli/exit_codes.py`` to exit statuses,
``api/problems.py`` to RFC 9457 problem documents.
"""

from __future__ import annotations


class DocexError(Exception):
    """Root of every error docex raises on purpose."""

    code = "error"


class InputError(DocexError):
    """The input cannot be processed as given."""

    code = "input"


class NotASignatureError(InputError):
    """The bytes are not a CMS/CAdES signature or a signed PDF."""

    code = "not-a-signature"


class InputTooLargeError(InputError):
    """An input exceeds a configured size bound."""

    code = "too-large"

    def __init__(self, what: str, limit: int) -> None:
        super().__init__(f"{what} exceeds the limit of {limit} bytes")
        self.limit = limit


class TrustConfigError(InputError):
    """Trust anchors or a trusted list could not be loaded."""

    code = "trust-config"


class DevPkiError(DocexError):
    """The development PKI could not be generated or used."""

    code = "dev-pki"
