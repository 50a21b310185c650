"""The one exception tree of docex.

Errors are for "cannot evaluate" and "cannot do", never for verdicts: a signature that
fails verification is a report with ``TOTAL_FAILED``, not an exception.

::

    DocexError                      code
    ├── InputError                  input         the caller gave us something unusable
    │   ├── NotASignatureError      not-a-signature   bytes are neither CMS nor PDF
    │   ├── InputTooLargeError      too-large     a size bound was exceeded
    │   ├── TrustConfigError        trust-config  trust anchors / trusted list unusable
    │   ├── SettingsError           settings      the configuration is unusable or unsafe
    │   │   └── ConfigurationError  settings  names each DOCEX_ variable that is wrong
    │   ├── SignedContentError      signed-content  the signed content breaks its format
    │   ├── ContentMismatchError    content-mismatch  a request field differs from the signed one
    │   ├── WebhookSignatureError   webhook-signature  a webhook delivery's signature is wrong
    │   ├── UnsupportedMediaTypeError unsupported-media-type  a body in a media type not accepted
    │   └── InvalidParameterError   input         a named request parameter is unusable
    ├── NotFoundError               not-found     a facility, employee or token does not exist
    ├── ConflictError               conflict      the change contradicts what is already stored
    │   ├── IdempotencyConflictError idempotency-conflict  a key reused for another document
    │   ├── DocumentReusedError     document-reused  signed content recorded already, asked for more
    │   ├── RevalidationLimitError  revalidation-limit  a document has all the re-validations it may
    │   └── TransitionError         transition    a referral or delivery may not change that way
    ├── AuthenticationError         authentication  an API token is unknown, malformed or revoked
    ├── PermissionDeniedError       forbidden     the principal may not do this
    ├── RateLimitedError            rate-limited  too many requests from this client or token
    ├── SubmissionRefusedError      submission-refused  a document was verified and refused
    │   ├── SignatureRejectedError  signature-rejected  not TOTAL_PASSED, or not qualified
    │   └── SignerNotAuthorizedError signer-not-authorized  signer is not of this facility
    │       └── AuthorMismatchError author-mismatch  signer is not the author the content names
    ├── StorageError                storage       the object store cannot do what was asked
    │   ├── ObjectNotFoundError     object-not-found  no object under that key
    │   ├── ObjectConflictError     object-conflict   the key holds different bytes already
    │   ├── ObjectIntegrityError    object-integrity  bytes differ from their declared digest/length
    │   └── StorageUnavailableError storage-unavailable  the object store cannot be reached
    ├── DatabaseError               database      the database refused or failed a statement
    │   └── DatabaseUnavailableError database-unavailable  the database cannot be reached
    └── DevPkiError                 dev-pki       the development PKI tooling failed

``*UnavailableError`` means "try again later" (HTTP 503); the other storage and database
errors mean the deployment or the data is broken (HTTP 500).

The edges translate these and only these: ``cli/exit_codes.py`` to exit statuses,
``api/problems.py`` to RFC 9457 problem documents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docex.signatures.report import ValidationReport


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


class SettingsError(InputError):
    """The configuration is unusable or unsafe (for example a placeholder secret in production)."""

    code = "settings"


class ConfigurationError(SettingsError):
    """Settings whose values are unusable; each of ``problems`` names its ``DOCEX_`` variable.

    A problem reads ``DOCEX_PORT=abc: Input should be a valid integer`` (secrets are not
    shown), so that a person starting the service knows what to change.
    """

    def __init__(self, problems: tuple[str, ...]) -> None:
        super().__init__("invalid configuration: " + "; ".join(problems))
        self.problems = problems


class WebhookSignatureError(InputError):
    """A webhook delivery's ``Docex-Signature`` is missing, malformed, stale or wrong.

    Raised by the verification helper receivers call; the delivery must be discarded.
    """

    code = "webhook-signature"


class UnsupportedMediaTypeError(InputError):
    """A request body comes in a media type the operation does not accept (HTTP 415)."""

    code = "unsupported-media-type"

    def __init__(self, message: str, *, accepted: tuple[str, ...]) -> None:
        super().__init__(message)
        self.accepted = accepted


class InvalidParameterError(InputError):
    """A named request parameter has a value the operation cannot use."""

    def __init__(self, name: str, location: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.invalid_params = [{"name": name, "in": location, "reason": reason}]


class NotFoundError(DocexError):
    """A facility, employee or token the caller named does not exist."""

    code = "not-found"


class NotAcceptableError(DocexError):
    """None of the representations the client accepts is offered."""

    code = "not-acceptable"


class ConflictError(DocexError):
    """The change contradicts stored state (a duplicate EDRPOU, an inactive facility...)."""

    code = "conflict"


class AuthenticationError(DocexError):
    """An API token is malformed, unknown, revoked, or belongs to an inactive facility.

    The message never says which, so that it cannot be used to probe for tokens; the
    attributes do, for the audit log only: ``reason`` (``malformed``, ``unknown``,
    ``wrong-secret``, ``revoked``, ``facility-inactive``; ``None`` if no token was
    given), the token's public ``lookup_id`` and, if the token exists, its ``token_id``.
    """

    code = "authentication"

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        lookup_id: str | None = None,
        token_id: int | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.lookup_id = lookup_id
        self.token_id = token_id


class StorageError(DocexError):
    """The object store cannot do what was asked."""

    code = "storage"


class ObjectNotFoundError(StorageError):
    """No object is stored under the key."""

    code = "object-not-found"

    def __init__(self, key: str) -> None:
        super().__init__(f"no object stored under {key!r}")
        self.key = key


class ObjectConflictError(StorageError):
    """The key already holds different bytes; objects are never overwritten."""

    code = "object-conflict"

    def __init__(self, key: str) -> None:
        super().__init__(f"{key!r} already holds different content")
        self.key = key


class ObjectIntegrityError(StorageError):
    """The bytes streamed do not match the length or SHA-256 the caller declared."""

    code = "object-integrity"


class StorageUnavailableError(StorageError):
    """The object store cannot be reached or is failing; the operation may succeed later."""

    code = "storage-unavailable"


class DatabaseError(DocexError):
    """The database refused or failed a statement."""

    code = "database"


class DatabaseUnavailableError(DatabaseError):
    """The database cannot be reached or is busy; the operation may succeed later."""

    code = "database-unavailable"


class PermissionDeniedError(DocexError):
    """The principal is authenticated but may not do this."""

    code = "forbidden"


class SubmissionRefusedError(DocexError):
    """A submitted document was verified and refused; ``report`` says why in full."""

    code = "submission-refused"

    def __init__(self, message: str, *, report: ValidationReport) -> None:
        super().__init__(message)
        self.report = report


class SignatureRejectedError(SubmissionRefusedError):
    """The signature is not TOTAL_PASSED, or not qualified as the document kind requires."""

    code = "signature-rejected"


class SignerNotAuthorizedError(SubmissionRefusedError):
    """The signer is not an active employee (or the seal not the seal) of the facility."""

    code = "signer-not-authorized"


class IdempotencyConflictError(ConflictError):
    """An Idempotency-Key was reused for a different document."""

    code = "idempotency-conflict"


class TransitionError(ConflictError):
    """A referral or delivery status change the lifecycle does not allow."""

    code = "transition"


class SignedContentError(InputError):
    """The signed content does not follow the format of its kind; ``path`` is where."""

    code = "signed-content"

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path


class ContentMismatchError(InputError):
    """A request field says something other than the signed content; ``field`` names it."""

    code = "content-mismatch"

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class AuthorMismatchError(SignerNotAuthorizedError):
    """The signer is not the author the signed content names."""

    code = "author-mismatch"


class DocumentReusedError(ConflictError):
    """Signed content already recorded is submitted to do something else."""

    code = "document-reused"


class RevalidationLimitError(ConflictError):
    """A document already has as many re-validations as the deployment keeps for one.

    Each re-validation is kept forever beside the acceptance report, so without a cap any
    party able to see a document could grow its history without end.
    """

    code = "revalidation-limit"


class RateLimitedError(DocexError):
    """Too many requests from one client address or one token in the current window.

    ``retry_after`` is how many whole seconds to wait before the limit lets a request
    through again (HTTP ``Retry-After``); ``scope`` says which limit was hit (``ip``,
    ``refusals``, ``token``, ``revalidation``), for logs and tests, never for the caller
    to learn how the limits are keyed.
    """

    code = "rate-limited"

    def __init__(self, message: str, *, retry_after: int, scope: str) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.scope = scope
