"""What the signature verifier is configured with, read without pydantic.

:class:`VerifierSettings` holds the settings :func:`docex.signatures.isolation.build_verifier`
reads, and nothing else: the trust sources, the bounds on one verification's work, the
worker budget, the outbound policy. It is the one place each of those settings' defaults
and bounds is written: :class:`docex.settings.Settings` takes its fields of the same
names from here (``Settings.verifier_settings`` gives them back as one of these), and
:func:`read_verifier_settings` reads the same ``DOCEX_<FIELD>`` variables from an
environment on its own.

That second reader is for ``docex verify``: importing pydantic-settings and building the
``Settings`` model to read two dozen variables cost a one-file verify about 0.2 s of CPU,
a fifth of its run (issue 12; ``bench/README.md``). It
reads each variable as ``Settings`` does (names case-insensitive, the same list syntax,
the same parsing: ``Settings`` parses these fields' strings with this module's
functions) and refuses a bad value with the same ``ConfigurationError`` line,
``DOCEX_X=value: message``. ``tests/test_verifier_settings.py`` holds the two together.

This module imports only the standard library and :mod:`docex.errors`.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from docex.errors import ConfigurationError

MiB = 1024 * 1024

T = TypeVar("T")


class Environment(StrEnum):
    """Where docex runs; production refuses development defaults and placeholder secrets."""

    DEVELOPMENT = "development"
    PRODUCTION = "production"


class SettingValueError(ValueError):
    """One value a setting cannot take; ``problems`` pairs each bad value with why.

    A list setting may have several bad items; each is shown on its own, as pydantic
    reports them.
    """

    def __init__(self, problems: Sequence[tuple[object, str]]) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.problems = tuple(problems)


def _refuse(value: object, message: str) -> SettingValueError:
    return SettingValueError([(value, message)])


# What pydantic-core accepts for a number in a string, and its messages for what it does
# not: Settings parses these fields' strings with the functions below (its before-mode
# validators), so both readers agree by construction; the grammar is pydantic's on every
# ordinary spelling (surrounding white space, a sign, `1_000`, `10.0` for an integer).
_INTEGER = re.compile(r"[+-]?[0-9]+(?:_[0-9]+)*(?:\.0+)?")
_DIGITS = r"[0-9]+(?:_[0-9]+)*"
_NUMBER = re.compile(
    rf"[+-]?(?:(?:{_DIGITS}(?:\.(?:{_DIGITS})?)?|\.{_DIGITS})(?:[eE][+-]?{_DIGITS})?"
    r"|inf|infinity|nan)",
    re.IGNORECASE,
)
_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})
INTEGER_MESSAGE = "Input should be a valid integer, unable to parse string as an integer"
NUMBER_MESSAGE = "Input should be a valid number, unable to parse string as a number"
BOOLEAN_MESSAGE = "Input should be a valid boolean, unable to interpret input"
PATH_MESSAGE = f"Input is not a valid path for {Path!r}"
STRING_MESSAGE = "Input should be a valid string"
ENVIRONMENT_MESSAGE = "Input should be 'development' or 'production'"


def parse_integer(text: str) -> int:
    """``text`` as an integer setting: ``10``, `` +10 ``, ``1_000``, ``10.0``."""
    stripped = text.strip()
    if not _INTEGER.fullmatch(stripped):
        raise _refuse(text, INTEGER_MESSAGE)
    try:
        return int(stripped.partition(".")[0])
    except ValueError:
        # More digits than int() converts (sys.get_int_max_str_digits()).
        raise _refuse(text, INTEGER_MESSAGE) from None


def parse_number(text: str) -> float:
    """``text`` as a number setting: ``30``, ``2.5``, ``1e3``, ``inf``."""
    stripped = text.strip()
    if not _NUMBER.fullmatch(stripped):
        raise _refuse(text, NUMBER_MESSAGE)
    return float(stripped)


def parse_boolean(text: str) -> bool:
    """``text`` as a yes/no setting: ``true``, ``1``, ``yes``, ``on`` or their opposites."""
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise _refuse(text, BOOLEAN_MESSAGE)


def split_paths(text: str) -> list[Any]:
    """A path-list setting's items: a JSON list, or paths separated by ``os.pathsep``."""
    if text.lstrip().startswith("["):
        return _json_list(text)
    return [part for part in text.split(os.pathsep) if part]


def split_names(text: str) -> list[Any]:
    """A name-list setting's items: a JSON list, or comma-separated names."""
    if text.lstrip().startswith("["):
        return _json_list(text)
    return [part.strip() for part in text.split(",") if part.strip()]


def _json_list(text: str) -> list[Any]:
    try:
        items: list[Any] = json.loads(text)
    except ValueError as exc:
        raise _refuse(text, str(exc)) from None
    return items


def check_networks(networks: Iterable[str]) -> None:
    """Raise ``ValueError`` naming the first of ``networks`` that is not a CIDR network."""
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ValueError(f"{network!r} is not a network in CIDR notation") from None


def _environment(text: str) -> Environment:
    if text not in tuple(Environment):
        raise _refuse(text, ENVIRONMENT_MESSAGE)
    return Environment(text)


def _path_items(text: str) -> tuple[Path, ...]:
    return tuple(_items(split_paths(text), Path, PATH_MESSAGE))


def _name_items(text: str) -> tuple[str, ...]:
    return tuple(_items(split_names(text), str, STRING_MESSAGE))


def _network_items(text: str) -> tuple[str, ...]:
    names = _name_items(text)
    try:
        check_networks(names)
    except ValueError as exc:
        raise _refuse(text, str(exc)) from None
    return names


def _items(items: list[Any], make: Callable[[str], T], message: str) -> list[T]:
    # Every item that is not a string is reported, each as itself.
    bad = [(item, message) for item in items if not isinstance(item, str)]
    if bad:
        raise SettingValueError(bad)
    return [make(item) for item in items]


@dataclass(frozen=True, slots=True)
class Bounds:
    """The range a numeric setting must lie in (pydantic's ``gt``, ``ge``, ``le``)."""

    gt: float | None = None
    ge: float | None = None
    le: float | None = None

    def problem(self, value: float) -> str | None:
        """Why ``value`` is out of range, in pydantic's words; ``None`` if it is not."""
        # Written so that NaN fails every bound, as it does in pydantic.
        if self.gt is not None and not value > self.gt:
            return f"Input should be greater than {self.gt:g}"
        if self.ge is not None and not value >= self.ge:
            return f"Input should be greater than or equal to {self.ge:g}"
        if self.le is not None and not value <= self.le:
            return f"Input should be less than or equal to {self.le:g}"
        return None


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """How one setting's string is read: its parser and its bounds."""

    parse: Callable[[str], Any]
    bounds: Bounds = Bounds()


def _spec(
    parse: Callable[[str], Any],
    *,
    gt: float | None = None,
    ge: float | None = None,
    le: float | None = None,
) -> dict[str, FieldSpec]:
    # A dataclass field's metadata: how the setting's string is read.
    return {"spec": FieldSpec(parse, Bounds(gt=gt, ge=ge, le=le))}


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifierSettings:
    """The settings a verifier is built from (see ``docex.settings.Settings`` for each one's
    meaning; the fields and their order are its own)."""

    environment: Environment = field(default=Environment.DEVELOPMENT, metadata=_spec(_environment))
    # The development PKI: its ECDSA/RSA root and its DSTU 4145 root (m=431).
    trust: tuple[Path, ...] = field(
        default=(Path("certs-dev/trust"), Path("certs-dev/trust-dstu")), metadata=_spec(_path_items)
    )
    trusted_list_signer: tuple[Path, ...] = field(default=(), metadata=_spec(_path_items))
    trusted_list_unsigned_dev_only: bool = field(default=False, metadata=_spec(parse_boolean))
    online_revocation: bool = field(default=False, metadata=_spec(parse_boolean))
    max_upload_bytes: int = field(default=50 * MiB, metadata=_spec(parse_integer, gt=0))
    max_content_bytes: int = field(default=50 * MiB, metadata=_spec(parse_integer, gt=0))
    verify_workers: int = field(default=2, metadata=_spec(parse_integer, ge=0))
    verify_timeout_seconds: float = field(default=30.0, metadata=_spec(parse_number, gt=0))
    verify_memory_bytes: int = field(default=1024 * MiB, metadata=_spec(parse_integer, ge=0))
    max_embedded_certificates: int = field(default=256, metadata=_spec(parse_integer, gt=0))
    max_embedded_crls: int = field(default=64, metadata=_spec(parse_integer, gt=0))
    max_embedded_ocsp_responses: int = field(default=256, metadata=_spec(parse_integer, gt=0))
    max_validation_data_bytes: int = field(default=32 * MiB, metadata=_spec(parse_integer, gt=0))
    max_path_length: int = field(default=10, metadata=_spec(parse_integer, gt=0))
    max_issuer_candidates_per_step: int = field(default=8, metadata=_spec(parse_integer, gt=0))
    max_issuer_candidates: int = field(default=256, metadata=_spec(parse_integer, gt=0))
    max_envelope_depth: int = field(default=4, metadata=_spec(parse_integer, gt=0))
    outbound_allowed_hosts: tuple[str, ...] = field(default=(), metadata=_spec(_name_items))
    outbound_allowed_networks: tuple[str, ...] = field(default=(), metadata=_spec(_network_items))
    outbound_timeout_seconds: float = field(default=10.0, metadata=_spec(parse_number, gt=0, le=60))
    outbound_max_response_bytes: int = field(default=4 * MiB, metadata=_spec(parse_integer, gt=0))


FIELDS: dict[str, FieldSpec] = {
    f.name: f.metadata["spec"] for f in dataclasses.fields(VerifierSettings)
}
"""Each verifier setting's parser and bounds, in the order ``Settings`` declares them."""

DEFAULTS = VerifierSettings()
"""The default of every verifier setting: ``Settings`` takes its own from here."""


def default_of(name: str) -> Any:
    """The default value of the verifier setting ``name``."""
    return getattr(DEFAULTS, name)


def missing_trust_problem(trust: Sequence[object]) -> str | None:
    """Why ``trust`` cannot be used, if it cannot (a check ``Settings`` makes too)."""
    return None if trust else "trust needs at least one trust source"


def production_problem(
    trust: Sequence[str | os.PathLike[str]], trusted_list_unsigned_dev_only: bool
) -> str | None:
    """What production refuses of the verifier's settings, if anything.

    ``Settings`` makes the same checks (with its own of the service's secrets), so that
    both readers refuse the same values with the same message; a check across fields
    names no single variable.
    """
    # The development PKI's private keys are in the repository: trusting it in
    # production would let anyone mint "qualified" signatures.
    for path in trust:
        if "certs-dev" in Path(path).parts:
            return f"trust source {path} is the development PKI"
    # An unchecked trusted list lets whoever can write the file name the qualified CAs.
    if trusted_list_unsigned_dev_only:
        return "trusted_list_unsigned_dev_only is for development only"
    return None


def parse_setting(name: str, text: str) -> Any:
    """The verifier setting ``name`` read from the string ``text``, within its bounds.

    Lists are returned whole (a tuple of ``Path`` or of ``str``).

    :raises SettingValueError: ``text`` is not a value of ``name``.
    """
    spec = FIELDS[name]
    value = spec.parse(text)
    if isinstance(value, int | float) and not isinstance(value, bool):
        problem = spec.bounds.problem(value)
        if problem is not None:
            raise _refuse(text, problem)
    return value


def read_verifier_settings(
    environ: Mapping[str, str], *, environment: Environment | None = None
) -> VerifierSettings:
    """The verifier settings ``environ`` sets (``DOCEX_<FIELD>``, any case), as ``Settings``
    would read them; ``environment`` overrides ``DOCEX_ENVIRONMENT``.

    :raises ConfigurationError: a value is unusable; every problem is listed, each
        ``DOCEX_X=value: message`` as ``load_settings`` words it.
    """
    # As pydantic-settings reads the environment: names lower-cased, the last spelling
    # of a name (in the environment's order) winning.
    lowered = {name.lower(): value for name, value in environ.items()}
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name in FIELDS:
        text = lowered.get(f"docex_{name}")
        if name == "environment" and environment is not None:
            values[name] = environment
        elif text is not None:
            try:
                values[name] = parse_setting(name, text)
            except SettingValueError as exc:
                problems.extend(setting_problem(name, shown, why) for shown, why in exc.problems)
    if problems:
        raise ConfigurationError(tuple(problems))
    settings = VerifierSettings(**values)
    problem = missing_trust_problem(settings.trust)
    if problem is None and settings.environment is Environment.PRODUCTION:
        problem = production_problem(settings.trust, settings.trusted_list_unsigned_dev_only)
    if problem is not None:
        raise ConfigurationError((problem,))
    return settings


# Never printed: a person reading the error knows which value they set.
SECRET_SETTINGS = frozenset({"token_pepper", "s3_secret_key"})
_URL_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")


def environment_variable(name: str) -> str:
    """The environment variable that sets the field ``name``."""
    return f"DOCEX_{name.upper()}"


def shown_value(name: str, value: object) -> str:
    """``value`` of the setting ``name`` as an error message may show it."""
    if isinstance(value, list | tuple):
        value = os.pathsep.join(str(item) for item in value)
    text = str(value)
    if name in SECRET_SETTINGS:
        return "(hidden)"
    # A database URL may carry a password, even one too malformed to parse.
    return _URL_PASSWORD.sub(r"\1***@", text)


def setting_problem(name: str, value: object, message: str) -> str:
    """One line of a ``ConfigurationError``: ``DOCEX_X=value: message``."""
    return f"{environment_variable(name)}={shown_value(name, value)}: {message}"


__all__ = [
    "DEFAULTS",
    "FIELDS",
    "Bounds",
    "Environment",
    "FieldSpec",
    "MiB",
    "SettingValueError",
    "VerifierSettings",
    "check_networks",
    "default_of",
    "environment_variable",
    "missing_trust_problem",
    "parse_boolean",
    "parse_integer",
    "parse_number",
    "parse_setting",
    "production_problem",
    "read_verifier_settings",
    "setting_problem",
    "shown_value",
    "split_names",
    "split_paths",
]
