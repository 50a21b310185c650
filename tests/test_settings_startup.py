"""Settings that load without the rate-limit library, and the defaults that make it safe.

``load_settings()`` runs at every start of the CLI; the rate limits are checked with the
``limits`` library only when someone sets them (issue 12). The defaults are checked here
instead, with the same library.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from limits import parse_many

from docex.errors import ConfigurationError
from docex.settings import Settings, load_settings

RATE_LIMIT_FIELDS = (
    "rate_limit_ip",
    "rate_limit_refusals_ip",
    "rate_limit_token",
    "rate_limit_revalidations",
)


@pytest.mark.parametrize("field", RATE_LIMIT_FIELDS)
def test_the_default_rate_limits_parse(field: str) -> None:
    default = Settings.model_fields[field].default
    assert isinstance(default, str)
    assert len(parse_many(default)) >= 1


def test_a_rate_limit_someone_sets_is_still_checked() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(rate_limit_ip="many per minute")
    assert str(caught.value).startswith(
        "invalid configuration: DOCEX_RATE_LIMIT_IP=many per minute: "
        'not a rate limit such as "600/minute"'
    )


def test_loading_the_default_settings_does_not_import_limits() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\nfrom docex.settings import load_settings\n"
            "load_settings(environment='development')\nprint('limits' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.strip() == "False"
