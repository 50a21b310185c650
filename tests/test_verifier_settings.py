"""The verifier's two settings readers agree: ``Settings`` (pydantic) and
``read_verifier_settings`` (what ``docex verify`` uses, without pydantic).

For every verifier setting, the same environment gives the same value from both, or a
``ConfigurationError`` from both with the same lines (``DOCEX_X=value: message``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from docex.errors import ConfigurationError
from docex.settings import Settings, load_settings
from docex.verifier_settings import (
    DEFAULTS,
    FIELDS,
    Environment,
    VerifierSettings,
    read_verifier_settings,
)

# Long and random-looking enough for production's pepper check, so that a production
# environment is refused for its verifier settings, not for the service's secret.
PEPPER = "Xq3v9Lr0aT7mWc2sZk8pNd5yHf1gUe4j"


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    # Not monkeypatch: hypothesis runs many examples inside one test function.
    saved = {k: v for k, v in os.environ.items() if k.lower().startswith("docex_")}
    for name in saved:
        del os.environ[name]
    os.environ.update(values)
    try:
        yield
    finally:
        for name in [k for k in os.environ if k.lower().startswith("docex_")]:
            del os.environ[name]
        os.environ.update(saved)


Outcome = VerifierSettings | tuple[str, ...]


def _both(values: Mapping[str, str], **overrides: Environment) -> tuple[Outcome, Outcome]:
    """What each reader makes of ``values`` as the environment: its verifier settings, or
    the problems of its ConfigurationError."""
    with _environment(values):
        try:
            pydantic_side: Outcome = load_settings(**overrides).verifier_settings
        except ConfigurationError as exc:
            pydantic_side = exc.problems
        try:
            our_side: Outcome = read_verifier_settings(os.environ, **overrides)
        except ConfigurationError as exc:
            our_side = exc.problems
    return pydantic_side, our_side


def test_every_verifier_setting_is_a_settings_field_with_the_same_default() -> None:
    assert set(FIELDS) <= set(Settings.model_fields)
    for name in FIELDS:
        default = Settings.model_fields[name].get_default(call_default_factory=True)
        ours = getattr(DEFAULTS, name)
        assert (tuple(default) if isinstance(default, list) else default) == ours, name
    assert Settings().verifier_settings == VerifierSettings()


def test_every_verifier_setting_has_the_same_bounds_in_settings() -> None:
    for name, spec in FIELDS.items():
        metadata = Settings.model_fields[name].metadata
        bounds = {
            kind: getattr(m, kind)
            for m in metadata
            for kind in ("gt", "ge", "le")
            if hasattr(m, kind)
        }
        expected = {
            kind: getattr(spec.bounds, kind)
            for kind in ("gt", "ge", "le")
            if getattr(spec.bounds, kind) is not None
        }
        assert bounds == expected, name


def test_the_verifier_settings_are_in_the_order_settings_declares_them() -> None:
    # The order of a ConfigurationError's lines is the order of the fields.
    assert list(FIELDS) == [name for name in Settings.model_fields if name in FIELDS]


INTEGER_VALUES = ["1", "7", " 7 ", "+7", "1_000", "10.0", "0", "-0", "-1", "abc", "", "10.5", "1e3"]
NUMBER_VALUES = ["0.5", "30", " 2.5", "1e3", "inf", "0", "-1", "nan", "x", "", "1,5"]
BOOLEAN_VALUES = ["true", "False", "TRUE", "1", "0", "yes", "No", "on", "off", "maybe", "", " true"]
PATH_VALUES = [
    "a",
    f"a{os.pathsep}b c",
    f"{os.pathsep}a{os.pathsep}{os.pathsep}",
    "",
    "[]",
    '["a dir/with space", "b"]',
    ' [ "x" ]',
    "[1, null]",
    '["a"',
    "[[]]",
]
NAME_VALUES = ["receiver", " a , ,B ", "", "[]", '["x", "y"]', "[1, 2.5]", "[true]", "[x"]
NETWORK_VALUES = [
    "10.0.0.0/8",
    "10.0.0.1, ::1/128",
    "",
    "x",
    "10.0.0.0/8, x",
    '["fd00::/8"]',
    "[1]",
]

CASES = [
    *(
        (name, value)
        for name in FIELDS
        if FIELDS[name].parse.__name__ == "parse_integer"
        for value in INTEGER_VALUES
    ),
    *(("verify_timeout_seconds", value) for value in NUMBER_VALUES),
    *(("outbound_timeout_seconds", value) for value in [*NUMBER_VALUES, "60", "60.5"]),
    *(("trusted_list_unsigned_dev_only", value) for value in BOOLEAN_VALUES),
    *(("online_revocation", value) for value in BOOLEAN_VALUES),
    *(("trust", value) for value in PATH_VALUES),
    *(("trusted_list_signer", value) for value in PATH_VALUES),
    *(("outbound_allowed_hosts", value) for value in NAME_VALUES),
    *(("outbound_allowed_networks", value) for value in NETWORK_VALUES),
    *(("environment", value) for value in ["development", "Development", "prod", ""]),
]


@pytest.mark.parametrize(("name", "value"), CASES)
def test_both_readers_read_one_setting_alike(name: str, value: str) -> None:
    pydantic_side, our_side = _both({f"DOCEX_{name.upper()}": value})
    assert our_side == pydantic_side
    if isinstance(our_side, tuple):
        # An error names the variable, and shows the value (or the bad item of a list).
        assert all(line.startswith(f"DOCEX_{name.upper()}=") for line in our_side) or our_side == (
            "trust needs at least one trust source",
        )


def test_the_readers_agree_on_values_and_errors_that_are_known_in_advance() -> None:
    # The comparisons above could agree on a wrong answer; these are the answers.
    assert _both({"DOCEX_MAX_PATH_LENGTH": " 1_2 "})[1] == VerifierSettings(max_path_length=12)
    assert _both({"DOCEX_VERIFY_WORKERS": "0"})[1] == VerifierSettings(verify_workers=0)
    assert (
        _both({"DOCEX_MAX_PATH_LENGTH": "0"})
        == (("DOCEX_MAX_PATH_LENGTH=0: Input should be greater than 0",),) * 2
    )
    assert (
        _both({"DOCEX_VERIFY_MEMORY_BYTES": "-1"})
        == (("DOCEX_VERIFY_MEMORY_BYTES=-1: Input should be greater than or equal to 0",),) * 2
    )
    assert (
        _both({"DOCEX_OUTBOUND_TIMEOUT_SECONDS": "61"})
        == (("DOCEX_OUTBOUND_TIMEOUT_SECONDS=61: Input should be less than or equal to 60",),) * 2
    )
    assert (
        _both({"DOCEX_MAX_ENVELOPE_DEPTH": "two"})
        == (
            (
                "DOCEX_MAX_ENVELOPE_DEPTH=two: "
                "Input should be a valid integer, unable to parse string as an integer",
            ),
        )
        * 2
    )
    assert (
        _both({"DOCEX_ONLINE_REVOCATION": "maybe"})
        == (
            (
                "DOCEX_ONLINE_REVOCATION=maybe: "
                "Input should be a valid boolean, unable to interpret input",
            ),
        )
        * 2
    )
    assert _both({"DOCEX_TRUST": ""}) == (("trust needs at least one trust source",),) * 2
    assert _both({"DOCEX_TRUST": f"a{os.pathsep}b"})[1] == VerifierSettings(
        trust=(Path("a"), Path("b"))
    )
    assert (
        _both({"DOCEX_OUTBOUND_ALLOWED_HOSTS": "[1, 2.5]"})
        == (
            (
                "DOCEX_OUTBOUND_ALLOWED_HOSTS=1: Input should be a valid string",
                "DOCEX_OUTBOUND_ALLOWED_HOSTS=2.5: Input should be a valid string",
            ),
        )
        * 2
    )


def test_variable_names_are_case_insensitive_and_the_last_spelling_wins() -> None:
    pydantic_side, our_side = _both({"docex_Max_Path_Length": "3", "DOCEX_verify_WORKERS": "0"})
    assert our_side == pydantic_side == VerifierSettings(max_path_length=3, verify_workers=0)
    # Two spellings of one name: pydantic-settings keeps the last in the environment.
    pydantic_side, our_side = _both({"DOCEX_MAX_PATH_LENGTH": "5", "docex_max_path_length": "6"})
    assert our_side == pydantic_side == VerifierSettings(max_path_length=6)


def test_every_bad_value_is_listed_in_field_order() -> None:
    values = {
        "DOCEX_OUTBOUND_TIMEOUT_SECONDS": "0",
        "DOCEX_MAX_PATH_LENGTH": "-5",
        "docex_verify_workers": "-1",
        "DOCEX_TRUST": "[1]",
    }
    pydantic_side, our_side = _both(values)
    assert our_side == pydantic_side
    assert isinstance(our_side, tuple)
    assert [line.split("=")[0] for line in our_side] == [
        "DOCEX_TRUST",
        "DOCEX_VERIFY_WORKERS",
        "DOCEX_MAX_PATH_LENGTH",
        "DOCEX_OUTBOUND_TIMEOUT_SECONDS",
    ]


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"DOCEX_TRUST": "certs-dev/trust"}, "trust source certs-dev/trust is the development PKI"),
        (
            {"DOCEX_TRUST": "/etc/docex/trust", "DOCEX_TRUSTED_LIST_UNSIGNED_DEV_ONLY": "1"},
            "trusted_list_unsigned_dev_only is for development only",
        ),
    ],
)
def test_production_refuses_the_same_verifier_settings(
    values: dict[str, str], problem: str
) -> None:
    production = {**values, "DOCEX_ENVIRONMENT": "production", "DOCEX_TOKEN_PEPPER": PEPPER}
    assert _both(production) == ((problem,), (problem,))
    # Overridden as docex verify overrides it, the environment is development again.
    pydantic_side, our_side = _both(production, environment=Environment.DEVELOPMENT)
    assert our_side == pydantic_side
    assert isinstance(our_side, VerifierSettings)
    assert our_side.environment is Environment.DEVELOPMENT


def test_production_with_verifier_settings_it_accepts() -> None:
    production = {
        "DOCEX_ENVIRONMENT": "production",
        "DOCEX_TOKEN_PEPPER": PEPPER,
        "DOCEX_TRUST": "/etc/docex/trust",
    }
    pydantic_side, our_side = _both(production)
    assert our_side == pydantic_side
    assert our_side == VerifierSettings(
        environment=Environment.PRODUCTION, trust=(Path("/etc/docex/trust"),)
    )


def test_the_verifier_reader_ignores_the_services_settings() -> None:
    # What docex verify does not use cannot stop it (load_settings would refuse the port).
    assert read_verifier_settings({"DOCEX_PORT": "abc"}) == VerifierSettings()
    with _environment({"DOCEX_PORT": "abc"}), pytest.raises(ConfigurationError, match="PORT"):
        load_settings()


# Strings made of what numbers, booleans, lists and their mistakes are made of.
_ALPHABET = st.sampled_from(
    [
        *"0123456789",
        *"+-._eE",
        "inf",
        "nan",
        "true",
        "no",
        " ",
        "\t",
        "\u00a0",
        ",",
        ":",
        "[",
        "]",
        '"',
        "x",
        "null",
    ]
)
_TEXT = st.lists(_ALPHABET, max_size=8).map("".join)


@settings(max_examples=400, deadline=None)
@given(
    name=st.sampled_from(sorted(FIELDS)),
    value=_TEXT,
    spelling=st.sampled_from([str.upper, str.lower, str.title]),
)
def test_both_readers_agree_on_any_string(
    name: str, value: str, spelling: Callable[[str], str]
) -> None:
    variable = spelling(f"docex_{name}")
    pydantic_side, our_side = _both({variable: value})
    assert our_side == pydantic_side
