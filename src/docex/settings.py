"""Configuration of the docex service.

``Settings`` is built once by whoever starts docex (the CLI, ``create_app(settings)``, a
test) and passed down; nothing in docex reads the environment on its own or builds a
module-level instance. Every field can be set as a keyword argument or through an
environment variable named ``DOCEX_<FIELD>`` (case-insensitive).

The defaults are the embedded development shape: SQLite and a local folder under ``var/``
in the working directory, the development trust anchors in ``certs-dev/trust`` and
``certs-dev/trust-dstu``, and a built-in token pepper. ``environment="production"``
refuses the parts of that shape that are unsafe outside a developer's machine.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from docex.errors import ConfigurationError, SettingsError
from docex.verifier_settings import FIELDS as VERIFIER_FIELDS
from docex.verifier_settings import Environment as Environment
from docex.verifier_settings import MiB as MiB
from docex.verifier_settings import (
    VerifierSettings,
    check_networks,
    default_of,
    missing_trust_problem,
    parse_setting,
    production_problem,
    split_names,
    split_paths,
)
from docex.verifier_settings import environment_variable as environment_variable
from docex.verifier_settings import shown_value as shown_value

# Secrets people leave in example files. Matching is case-insensitive.
PLACEHOLDER_SECRETS = frozenset(
    {
        "",
        "changeme",
        "change-me",
        "change_me",
        "changethis",
        "secret",
        "password",
        "pepper",
        "minioadmin",
        "admin",
        "test",
        "dev",
        "development",
        "default",
        "example",
        "xxx",
    }
)

# Used only in development, so that a fresh checkout works without configuration. Tokens
# hashed with it are worthless anywhere else, which is why production refuses it.
DEVELOPMENT_TOKEN_PEPPER = "docex-development-pepper-not-for-production"  # noqa: S105

# Short peppers are guessable offline from a leaked token table.
MIN_PEPPER_LENGTH = 32

_S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# An SQLite URL with no host part and no query (``sqlite:///var/docex.sqlite3``,
# ``sqlite://`` in memory): nothing in it for SQLAlchemy's parser to reject or rewrite.
_PLAIN_SQLITE = re.compile(r"sqlite(\+\w+)?://(/[^?]*)?")


class ObjectStoreKind(StrEnum):
    """The object store implementations ``object_store`` can name."""

    LOCAL = "local"
    S3 = "s3"


def _is_placeholder(secret: str) -> bool:
    return secret.strip().lower() in PLACEHOLDER_SECRETS or secret == DEVELOPMENT_TOKEN_PEPPER


def _verifier_field(name: str, *, description: str, **kwargs: Any) -> Any:
    """A field of the verifier's settings: its default and bounds are those of
    ``VerifierSettings`` (one definition for both readers), ``kwargs`` the rest."""
    bounds = VERIFIER_FIELDS[name].bounds
    default = default_of(name)
    if isinstance(default, tuple):
        # Settings holds lists where VerifierSettings holds tuples.
        return Field(
            default_factory=lambda: list(default),
            gt=bounds.gt,
            ge=bounds.ge,
            le=bounds.le,
            description=description,
            **kwargs,
        )
    return Field(
        default=default, gt=bounds.gt, ge=bounds.ge, le=bounds.le, description=description, **kwargs
    )


# The verifier's settings whose strings Settings parses with docex.verifier_settings's own
# functions, so that `docex verify`, which reads them without pydantic, reads them alike.
# The lists have their own splitting validators below; the environment is an enum.
_PARSED_VERIFIER_FIELDS = tuple(
    name
    for name in VERIFIER_FIELDS
    if name != "environment" and not isinstance(default_of(name), tuple)
)


class Settings(BaseSettings):
    """Everything a docex deployment configures; immutable once built."""

    model_config = SettingsConfigDict(
        env_prefix="DOCEX_",
        extra="forbid",
        frozen=True,
        validate_default=True,
    )

    environment: Environment = _verifier_field(
        "environment",
        description=(
            "`development` (default) or `production`. Production refuses placeholder "
            "secrets, the built-in token pepper and the development trust anchors."
        ),
    )
    database_url: str = Field(
        default="sqlite:///var/docex.sqlite3",
        # The URL may carry a password; keep it out of logged reprs.
        repr=False,
        description=(
            "SQLAlchemy URL of the metadata database. SQLite paths are relative to the "
            "working directory; `postgresql://` URLs are driven by psycopg 3."
        ),
    )
    migration_database_url: str | None = Field(
        default=None,
        repr=False,
        description=(
            "URL `docex db upgrade` and `docex db grant` connect with, as the schema's "
            "owner, where `database_url` names the application role that owns nothing "
            "(PostgreSQL; see docs/deployment.md). Unset: they use `database_url`."
        ),
    )
    object_store: str = Field(
        default="local:var/objects",
        description=(
            "Where original signed documents are kept: `local:PATH` (a folder, relative "
            "to the working directory) or `s3://BUCKET` together with the `s3_*` fields."
        ),
    )
    s3_endpoint: str | None = Field(
        default=None,
        description="`host[:port]` of the S3-compatible server (no scheme; see `s3_secure`).",
    )
    s3_access_key: str | None = Field(default=None, description="S3 access key id.")
    s3_secret_key: SecretStr | None = Field(default=None, description="S3 secret access key.")
    s3_secure: bool = Field(default=True, description="Talk to the S3 endpoint over HTTPS.")
    s3_region: str | None = Field(
        default=None,
        description="S3 region; leave unset to let the client discover it.",
    )
    s3_object_lock_days: int = Field(
        default=0,
        ge=0,
        description=(
            "Store every new S3 object with a GOVERNANCE retention of this many days "
            "(the bucket needs object lock). 0 (default): no retention from docex; a "
            "bucket's default retention still applies."
        ),
    )
    trust: Annotated[list[Path], NoDecode] = _verifier_field(
        "trust",
        description=(
            "Trust sources for signature validation: folders of CA certificates or ETSI "
            "TS 119 612 trusted-list files. In the environment: a JSON list or paths "
            "separated by the OS path separator (`:` on POSIX)."
        ),
    )
    trusted_list_signer: Annotated[list[Path], NoDecode] = _verifier_field(
        "trusted_list_signer",
        description=(
            "Certificates (PEM or DER files) of the operators that sign the ETSI TS 119 612 "
            "trusted lists among the trust sources; every trusted list's XML signature "
            "must verify with one of them. In the environment: a JSON list or paths "
            "separated by the OS path separator."
        ),
    )
    trusted_list_unsigned_dev_only: bool = _verifier_field(
        "trusted_list_unsigned_dev_only",
        description=(
            "Read trusted lists without checking their signature: for the development "
            "PKI's unsigned list only. Production refuses it."
        ),
    )
    online_revocation: bool = _verifier_field(
        "online_revocation",
        description="Fetch OCSP responses and CRLs over the network while validating.",
    )
    max_upload_bytes: int = _verifier_field(
        "max_upload_bytes",
        description="Largest request body (a signature file plus any detached content).",
    )
    max_content_bytes: int = _verifier_field(
        "max_content_bytes",
        description=(
            "Largest signed content the verifier will hash, attached or detached; it "
            "bounds the work one document can cost."
        ),
    )
    verify_workers: int = _verifier_field(
        "verify_workers",
        description=(
            "Worker processes that verify signatures, each within the time and memory "
            "budget below (0: verify in the calling process, with no budget)."
        ),
    )
    verify_timeout_seconds: float = _verifier_field(
        "verify_timeout_seconds",
        description=(
            "Wall-clock budget of one verification; past it, the worker is replaced and "
            "the verdict is INDETERMINATE."
        ),
    )
    verify_memory_bytes: int = _verifier_field(
        "verify_memory_bytes",
        description=(
            "Address-space limit (`RLIMIT_AS`) of each verification worker, the "
            "interpreter included; past it, the verdict is INDETERMINATE (0: no limit; "
            "ignored where the platform has no `resource` module)."
        ),
    )
    max_embedded_certificates: int = _verifier_field(
        "max_embedded_certificates",
        description="Most certificates one signature or PDF may embed (CMS, CAdES, DSS).",
    )
    max_embedded_crls: int = _verifier_field(
        "max_embedded_crls", description="Most CRLs one signature or PDF may embed."
    )
    max_embedded_ocsp_responses: int = _verifier_field(
        "max_embedded_ocsp_responses",
        description="Most OCSP responses one signature or PDF may embed.",
    )
    max_validation_data_bytes: int = _verifier_field(
        "max_validation_data_bytes",
        description=(
            "Largest decoded size of all embedded certificates, CRLs and OCSP responses of "
            "one signature or PDF; PDF streams are not inflated past it."
        ),
    )
    max_path_length: int = _verifier_field(
        "max_path_length", description="Most certificates on one candidate certificate path."
    )
    max_issuer_candidates_per_step: int = _verifier_field(
        "max_issuer_candidates_per_step",
        description="Most candidate issuers path building tries for one certificate.",
    )
    max_issuer_candidates: int = _verifier_field(
        "max_issuer_candidates",
        description="Most candidate issuers path building tries in one certificate evaluation.",
    )
    max_envelope_depth: int = _verifier_field(
        "max_envelope_depth",
        description=(
            "Most CMS SignedData layers one nested CAdES envelope may hold (a doctor's CMS "
            "sealed by the facility is two), the outermost included."
        ),
    )
    token_pepper: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_TOKEN_PEPPER),
        description=(
            "Server-side secret mixed into API token hashes (HMAC-SHA-256), so a leaked "
            f"token table cannot be checked offline. At least {MIN_PEPPER_LENGTH} "
            "characters in production; changing it invalidates every issued token."
        ),
    )
    token_touch_interval_seconds: int = Field(
        default=60,
        ge=0,
        description=(
            "A token's `last_used_at` is written at most this often, so that reading "
            "the API does not cost a database write per request."
        ),
    )
    token_lifetime_days: int = Field(
        default=90,
        gt=0,
        le=3650,
        description=(
            "How long a newly issued API token stays valid unless `docex token issue "
            "--expires-in DAYS` says otherwise; an expired token is refused like a revoked one."
        ),
    )
    token_rotation_overlap_hours: int = Field(
        default=24,
        ge=0,
        le=720,
        description=(
            "After `docex token rotate`, how long the old token keeps working beside its "
            "successor, so that a facility can deploy the new one without an outage."
        ),
    )
    referral_expiry_interval_seconds: int = Field(
        default=300,
        ge=0,
        description=(
            "How often the API recalls active referrals whose validity is over (0: never; "
            "run `docex referrals expire` from a scheduler instead)."
        ),
    )
    host: str = Field(default="127.0.0.1", description="Address the HTTP API listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port of the HTTP API.")
    webhooks_enabled: bool = Field(
        default=True,
        description=(
            "Run the webhook dispatcher in every API process. Several processes share the "
            "outbox safely; turn it off to run `docex webhooks dispatch` separately instead."
        ),
    )
    webhook_retry_window_seconds: int = Field(
        default=24 * 3600,
        gt=0,
        description=(
            "How long a webhook event is retried (from its creation or replay) before it "
            "is marked dead; the facility may then replay it."
        ),
    )
    webhook_base_delay_seconds: float = Field(
        default=10.0,
        gt=0,
        description=(
            "Delay before the first retry of a failed webhook delivery; it doubles with "
            "each failure, up to `webhook_max_delay_seconds`, with random jitter of ±50 %."
        ),
    )
    webhook_max_delay_seconds: float = Field(
        default=3600.0,
        gt=0,
        description="Longest delay between two attempts at one webhook delivery (before jitter).",
    )
    webhook_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=60,
        description=(
            "How long one webhook POST may take in total (connecting, sending, the answer) "
            "before it counts as failed, however slowly the receiver answers."
        ),
    )
    webhook_poll_interval_seconds: float = Field(
        default=1.0,
        gt=0,
        description="How often an idle dispatcher looks for due webhook events.",
    )

    outbound_allowed_hosts: Annotated[list[str], NoDecode] = _verifier_field(
        "outbound_allowed_hosts",
        description=(
            "Host names or address literals docex may contact although they are not "
            "canonical public names (e.g. `receiver,127.0.0.1`), also over plain HTTP: "
            "for webhook receivers beside a development deployment. Comma-separated or "
            "a JSON list. In development, `localhost`, `127.0.0.1` and `::1` are added."
        ),
    )
    outbound_allowed_networks: Annotated[list[str], NoDecode] = _verifier_field(
        "outbound_allowed_networks",
        description=(
            "Networks (CIDR) that outbound requests may reach although not globally "
            "routable, e.g. `10.20.0.0/16` for private receivers in development. "
            "In development, `127.0.0.0/8` and `::1/128` are added."
        ),
    )
    outbound_timeout_seconds: float = _verifier_field(
        "outbound_timeout_seconds",
        description=(
            "How long one revocation or issuer fetch may take in total (webhook POSTs "
            "use `webhook_timeout_seconds`), however slowly the server answers."
        ),
    )
    outbound_max_response_bytes: int = _verifier_field(
        "outbound_max_response_bytes",
        description="The largest response body (a CRL, say) an outbound request reads.",
    )
    webhook_concurrency: int = Field(
        default=8,
        ge=1,
        le=64,
        description="Webhook POSTs a dispatcher has in flight at once, over all receivers.",
    )
    webhook_concurrency_per_receiver: int = Field(
        default=1,
        ge=1,
        le=16,
        description=(
            "Webhook POSTs in flight at once to one receiver, so that a slow receiver "
            "holds at most this many of the dispatcher's slots; with 1 (the default) a "
            "receiver gets first attempts in the order the events were recorded."
        ),
    )
    audit_chains: int = Field(
        default=16,
        ge=1,
        le=1024,
        description=(
            "Audit chains the log is spread over, each with its own append lock, so that "
            "writers for different facilities do not queue behind one lock. Recorded by "
            "the first audit entry; a different value afterwards is refused."
        ),
    )
    audit_checkpoint_retention_days: int = Field(
        default=0,
        ge=0,
        description=(
            "With an S3 store whose bucket has object lock enabled, put each audit "
            "checkpoint with a COMPLIANCE retention of this many days (0: no retention)."
        ),
    )
    audit_checkpoint_key: Path | None = Field(
        default=None,
        description=(
            "PEM private key (EC or RSA, unencrypted) that signs audit-chain checkpoints; "
            "`certs-dev/audit/checkpoint.key.pem` in development. Unset: no checkpoints."
        ),
    )
    audit_checkpoint_public_key: Path | None = Field(
        default=None,
        description=(
            "PEM public key (or certificate) `docex audit verify` checks checkpoints with; "
            "unset: the public half of `audit_checkpoint_key`."
        ),
    )
    audit_checkpoint_tsa_url: str | None = Field(
        default=None,
        description="RFC 3161 time-stamping authority that time-stamps every checkpoint.",
    )
    audit_checkpoint_tsa_timeout_seconds: float = Field(
        default=10.0, gt=0, le=60, description="How long one time-stamp request may take."
    )
    audit_checkpoint_interval_seconds: int = Field(
        default=0,
        ge=0,
        description=(
            "How often a running `AuditCheckpointing` job checkpoints the audit chain "
            "(0: never; run `docex audit checkpoint` from a scheduler instead)."
        ),
    )
    # Rate limits, in the `limits` library's notation ("600/minute", "10/second;300/hour").
    # Each API worker counts on its own with the default in-memory storage, so a
    # deployment's effective limit is the per-worker one times its workers; a shared
    # storage (redis://, memcached://) makes them one. The defaults are far above what a
    # facility's information system sends and far below what a flood does.
    rate_limit_enabled: bool = Field(
        default=True,
        description="Enforce the `DOCEX_RATE_LIMIT_*` limits (429 with `Retry-After`).",
    )
    rate_limit_storage_uri: str = Field(
        default="memory://",
        description=(
            "Where the rate-limit counters live: `memory://` (each worker its own), or a "
            "`limits` storage URI such as `redis://host:6379` shared by every worker."
        ),
    )
    rate_limit_ip: str = Field(
        default="12000/minute",
        description=(
            "Authenticated-route requests one client address may make, counted before the "
            "token is checked. Behind a proxy the address is the one uvicorn's "
            "`--forwarded-allow-ips` lets it take from `X-Forwarded-For`."
        ),
    )
    rate_limit_refusals_ip: str = Field(
        default="30/minute",
        description=(
            "Refused API tokens one client address may present; past it, its requests are "
            "refused with 429 before any token is looked up."
        ),
    )
    rate_limit_token: str = Field(
        default="6000/minute",
        description="Requests one authenticated API token may make.",
    )
    rate_limit_revalidations: str = Field(
        default="30/minute",
        description="Re-validations one API token may ask for (each verifies a signature).",
    )
    refusal_aggregate_window_seconds: int = Field(
        default=60,
        ge=1,
        le=86400,
        description=(
            "Refused unknown or malformed tokens are counted per window, client address and "
            "reason, and written as one `token.refused.aggregate` audit entry each."
        ),
    )
    revalidation_max_per_document: int = Field(
        default=100,
        ge=0,
        description=(
            "Re-validations kept for one document; past it, a re-validation is refused "
            "with 409 `revalidation-limit`."
        ),
    )
    revalidation_by_parties: bool = Field(
        default=False,
        description=(
            "Let the facilities a document involves re-validate it too; by default only "
            "auditors may."
        ),
    )

    @field_validator(
        "rate_limit_ip", "rate_limit_refusals_ip", "rate_limit_token", "rate_limit_revalidations"
    )
    @classmethod
    def _check_rate_limit(cls, value: str, info: ValidationInfo) -> str:
        if info.field_name is not None and value == cls.model_fields[info.field_name].default:
            # The default is ours and a test parses it (tests/test_settings_startup.py);
            # parsing it here would import limits on every start of the CLI, which loads
            # settings for every command and never needs limits (issue 12).
            return value
        # Imported here, for a value someone set.
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError as exc:
            raise ValueError(f'not a rate limit such as "600/minute": {exc}') from None
        return value

    @field_validator("rate_limit_storage_uri")
    @classmethod
    def _check_rate_limit_storage(cls, value: str) -> str:
        scheme = value.partition("://")[0]
        if not value.partition("://")[1] or not scheme:
            raise ValueError('not a storage URI such as "memory://" or "redis://host:6379"')
        return value

    @field_validator("migration_database_url")
    @classmethod
    def _check_migration_database_url(cls, value: str | None) -> str | None:
        return None if value is None else cls._check_database_url(value)

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if _PLAIN_SQLITE.fullmatch(value):
            # SQLAlchemy would return this URL unchanged; not importing it here keeps
            # every command that loads settings but opens no database (`docex verify`)
            # from paying for it (issue 12: a fast start).
            return value
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(value)
        except (ArgumentError, ValueError) as exc:
            # make_url raises ValueError for a port that is not a number.
            raise ValueError(f"not a database URL: {exc}") from None
        backend = url.get_backend_name()
        if backend in ("postgresql", "postgres"):
            # docex ships psycopg 3 and only it; "postgres://" is the Heroku-style alias
            # SQLAlchemy dropped but people still write.
            url = url.set(drivername="postgresql+psycopg")
        elif backend != "sqlite":
            raise ValueError("only sqlite:// and postgresql:// databases are supported")
        return url.render_as_string(hide_password=False)

    @field_validator("object_store")
    @classmethod
    def _check_object_store(cls, value: str) -> str:
        if value.startswith("local:"):
            if not value.removeprefix("local:"):
                raise ValueError("local object store needs a folder: local:PATH")
            return value
        if value.startswith("s3://"):
            bucket = value.removeprefix("s3://").rstrip("/")
            if not _S3_BUCKET.fullmatch(bucket) or ".." in bucket:
                raise ValueError(f"{bucket!r} is not a valid S3 bucket name")
            return f"s3://{bucket}"
        raise ValueError("object_store must be local:PATH or s3://BUCKET")

    @field_validator("s3_endpoint")
    @classmethod
    def _check_s3_endpoint(cls, value: str | None) -> str | None:
        if value is not None and ("://" in value or "/" in value):
            raise ValueError("s3_endpoint is host[:port] without scheme or path; set s3_secure")
        return value

    @field_validator(*_PARSED_VERIFIER_FIELDS, mode="before")
    @classmethod
    def _parse_verifier_setting(cls, value: Any, info: ValidationInfo) -> Any:
        # A string (from the environment) is read as read_verifier_settings reads it.
        if isinstance(value, str) and info.field_name is not None:
            return parse_setting(info.field_name, value)
        return value

    @field_validator("trust", "trusted_list_signer", mode="before")
    @classmethod
    def _split_trust(cls, value: Any) -> Any:
        return split_paths(value) if isinstance(value, str) else value

    @field_validator("outbound_allowed_hosts", "outbound_allowed_networks", mode="before")
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        return split_names(value) if isinstance(value, str) else value

    @field_validator("outbound_allowed_networks")
    @classmethod
    def _check_networks(cls, value: list[str]) -> list[str]:
        check_networks(value)
        return value

    @model_validator(mode="after")
    def _check_consistency(self) -> Settings:
        if self.object_store_kind is ObjectStoreKind.S3:
            missing = [
                name
                for name in ("s3_endpoint", "s3_access_key", "s3_secret_key")
                if getattr(self, name) is None
            ]
            if missing:
                raise ValueError(f"object_store {self.object_store} also needs {missing}")
        problem = missing_trust_problem(self.trust)
        if problem is not None:
            raise ValueError(problem)
        if self.webhook_base_delay_seconds > self.webhook_max_delay_seconds:
            raise ValueError("webhook_base_delay_seconds exceeds webhook_max_delay_seconds")
        if self.environment is Environment.PRODUCTION:
            self._check_production()
        return self

    def _check_production(self) -> None:
        pepper = self.token_pepper.get_secret_value()
        if _is_placeholder(pepper):
            raise ValueError("token_pepper is a placeholder; set DOCEX_TOKEN_PEPPER")
        if len(pepper) < MIN_PEPPER_LENGTH:
            raise ValueError(f"token_pepper must be at least {MIN_PEPPER_LENGTH} characters")
        if self.s3_secret_key is not None and _is_placeholder(
            self.s3_secret_key.get_secret_value()
        ):
            raise ValueError("s3_secret_key is a placeholder; set DOCEX_S3_SECRET_KEY")
        problem = production_problem(self.trust, self.trusted_list_unsigned_dev_only)
        if problem is not None:
            raise ValueError(problem)
        # The development checkpoint key is public: checkpoints signed with it prove nothing.
        if self.audit_checkpoint_key is not None and "certs-dev" in self.audit_checkpoint_key.parts:
            raise ValueError("audit_checkpoint_key is the development key")

    @property
    def verifier_settings(self) -> VerifierSettings:
        """The settings of these that the signature verifier is built from."""
        values: dict[str, Any] = {}
        for name in VERIFIER_FIELDS:
            value = getattr(self, name)
            # VerifierSettings is frozen all the way down: its lists are tuples.
            values[name] = tuple(value) if isinstance(value, list) else value
        return VerifierSettings(**values)

    @property
    def object_store_kind(self) -> ObjectStoreKind:
        """Which object store implementation ``object_store`` selects."""
        if self.object_store.startswith("s3://"):
            return ObjectStoreKind.S3
        return ObjectStoreKind.LOCAL

    @property
    def local_object_path(self) -> Path:
        """The folder of a ``local:PATH`` object store."""
        if self.object_store_kind is not ObjectStoreKind.LOCAL:
            raise SettingsError(f"object_store {self.object_store} is not a local folder")
        return Path(self.object_store.removeprefix("local:"))

    @property
    def s3_bucket(self) -> str:
        """The bucket of an ``s3://BUCKET`` object store."""
        if self.object_store_kind is not ObjectStoreKind.S3:
            raise SettingsError(f"object_store {self.object_store} is not an S3 bucket")
        return self.object_store.removeprefix("s3://")

    @property
    def is_sqlite(self) -> bool:
        """Whether ``database_url`` names an SQLite database."""
        # The validator has normalised the URL, so its scheme names the backend.
        return self.database_url.split("://", 1)[0].split("+", 1)[0] == "sqlite"


def load_settings(**overrides: Any) -> Settings:
    """Build ``Settings`` from the environment and ``overrides``, raising ``ConfigurationError``.

    Use this at the edges (CLI, server start-up) so that a bad configuration reaches the
    user as one of our errors, with every problem listed and the ``DOCEX_`` variable each
    is about, rather than a pydantic traceback.
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigurationError(
            tuple(_setting_problem(err["loc"], err["input"], err["msg"]) for err in exc.errors())
        ) from None


def _setting_problem(loc: tuple[int | str, ...], value: object, message: str) -> str:
    # A field's error is located at the field (and the item, for lists); a check across
    # fields (production, S3) at the model, and its message names what to set.
    message = message.removeprefix("Value error, ")
    if not loc or not isinstance(loc[0], str) or loc[0] not in Settings.model_fields:
        return message
    name = loc[0]
    return f"{environment_variable(name)}={shown_value(name, value)}: {message}"
