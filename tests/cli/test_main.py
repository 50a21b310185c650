from click.testing import CliRunner

from docex import __version__
from docex.cli.main import app


def test_version_prints_package_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"docex {__version__}"
