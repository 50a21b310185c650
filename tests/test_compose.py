"""``docker-compose.yml`` and the ``Dockerfile`` agree with the settings docex reads.

No Docker engine runs in the tests; these read the files as compose would (including its
``${VAR:?message}`` interpolation) and check them against :class:`docex.settings.Settings`
and the API's routes.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from docex.api.routes.health import router as health_router
from docex.errors import SettingsError
from docex.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[1]
APP_ROLE = "docex_app"
OWNER_ROLE = "docex_owner"
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES: dict[str, Any] = COMPOSE["services"]
DOCKERFILE = (REPO / "Dockerfile").read_text(encoding="utf-8")

# What an operator's .env holds, realistic enough to pass production validation.
DOT_ENV = {
    "POSTGRES_PASSWORD": "9f2c6a1e4b7d8c3f0a5e6b1d2c7f8a9e",
    "DOCEX_DB_OWNER_PASSWORD": "5d8e1f4a7b0c3d6e9f2a5b8c1d4e7f0a",
    "DOCEX_DB_APP_PASSWORD": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
    "MINIO_ROOT_USER": "minio-root",
    "MINIO_ROOT_PASSWORD": "7c3e9a1f5b2d8e4a6c0f3b9d7e1a5c2f",
    "DOCEX_S3_ACCESS_KEY": "docex-api",
    "DOCEX_S3_SECRET_KEY": "4e1f9a7c2b8d6e3f5a0c9b7d1e2f3a4b",
    "DOCEX_TOKEN_PEPPER": "0b5f8e2a7c4d9b1e6f3a8c5d2e7b4f9a1c6d3e8b5f2a7c4d9e1b6f3a8c5d2e7b",
}
SECRETS = tuple(DOT_ENV)
ROOT_SECRETS = ("POSTGRES_PASSWORD", "MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD")
"""What only the servers and their one-shot set-up may see, never a docex process."""

_VARIABLE = re.compile(
    r"\$(?:\$|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[?-])?(?P<arg>[^}]*)\})"
)


class MissingVariableError(Exception):
    """What ``docker compose`` reports for ``${VAR:?message}`` with VAR unset or empty."""


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's interpolation of ``$$``, ``${VAR}``, ``${VAR:-default}``, ``${VAR:?error}``."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name"), match.group("op"), match.group("arg")
        current = env.get(name)
        unset = current is None or (op is not None and op.startswith(":") and current == "")
        if op in ("?", ":?") and unset:
            raise MissingVariableError(f"{name}: {arg}")
        if op in ("-", ":-") and unset:
            return arg
        return current or ""

    return _VARIABLE.sub(replace, value)


def environment(service: str, env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a service's container gets, as compose interpolates it."""
    raw = SERVICES[service].get("environment", {})
    assert isinstance(raw, dict), "environment is written as a mapping"
    return {k: interpolate(str(v), DOT_ENV if env is None else env) for k, v in raw.items()}


def every_environment(env: dict[str, str]) -> dict[str, dict[str, str]]:
    """The environment of every service, as compose interpolates it before starting any."""
    return {service: environment(service, env) for service in SERVICES}


def docex_variables(service: str) -> dict[str, str]:
    return {k: v for k, v in environment(service).items() if k.startswith("DOCEX_")}


def settings_of(service: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The Settings the service's process builds from its environment."""
    for name in list(os.environ):
        if name.startswith("DOCEX_"):
            monkeypatch.delenv(name)
    for name, value in docex_variables(service).items():
        monkeypatch.setenv(name, value)
    return load_settings()


def test_the_production_shape_is_there() -> None:
    assert {"docex", "migrate", "postgres", "minio", "minio-setup"} <= set(SERVICES)
    assert SERVICES["postgres"]["image"].startswith("postgres:15")
    assert SERVICES["minio"]["image"].startswith("minio/minio")
    assert SERVICES["minio-setup"]["image"].startswith("minio/mc")


@pytest.mark.parametrize("service", ["docex", "migrate"])
def test_every_docex_variable_is_a_settings_field(service: str) -> None:
    names = {k.removeprefix("DOCEX_").lower() for k in docex_variables(service)}
    assert names - set(Settings.model_fields) == set()


def test_dockerfile_variables_are_settings_fields() -> None:
    names = {m.lower() for m in re.findall(r"\bDOCEX_([A-Z0-9_]+)=", DOCKERFILE)}
    assert names
    assert names - set(Settings.model_fields) == set()


def test_the_api_is_configured_for_the_production_services() -> None:
    env = docex_variables("docex")
    assert env["DOCEX_ENVIRONMENT"] == "production"
    assert env["DOCEX_OBJECT_STORE"] == "s3://docex"
    assert env["DOCEX_S3_ENDPOINT"] == "minio:9000"
    assert env["DOCEX_S3_SECURE"] == "false"
    assert {"DOCEX_S3_ACCESS_KEY", "DOCEX_S3_SECRET_KEY", "DOCEX_TOKEN_PEPPER"} <= set(env)
    # Migrations run against the same database the workers use, as its owner.
    migrate = docex_variables("migrate")
    owner_url = migrate.pop("DOCEX_MIGRATION_DATABASE_URL")
    assert migrate == env
    assert "DOCEX_MIGRATION_DATABASE_URL" not in env
    owner, app = make_url(owner_url), make_url(env["DOCEX_DATABASE_URL"])
    assert (owner.host, owner.port, owner.database) == (app.host, app.port, app.database)


def test_settings_accept_the_compose_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_of("docex", monkeypatch)
    postgres = environment("postgres")
    url = make_url(settings.database_url)
    assert url.get_backend_name() == "postgresql"
    assert (url.host, url.port) == ("postgres", 5432)
    # The API is the application role, never the server's superuser.
    assert url.username == APP_ROLE
    assert url.username != postgres["POSTGRES_USER"]
    assert url.password == postgres["DOCEX_DB_APP_PASSWORD"] == DOT_ENV["DOCEX_DB_APP_PASSWORD"]
    assert url.database == "docex"

    assert settings.s3_bucket == "docex"
    assert settings.s3_secure is False
    host, _, port = (settings.s3_endpoint or "").partition(":")
    assert host == "minio"
    assert host in SERVICES
    # The API is the docex MinIO user that minio-setup creates, never MinIO's root.
    minio, setup = environment("minio"), environment("minio-setup")
    assert settings.s3_access_key == setup["DOCEX_S3_ACCESS_KEY"] != minio["MINIO_ROOT_USER"]
    assert settings.s3_secret_key is not None
    secret = settings.s3_secret_key.get_secret_value()
    assert secret == setup["DOCEX_S3_SECRET_KEY"] != minio["MINIO_ROOT_PASSWORD"]
    # MinIO serves the S3 API on 9000 unless told otherwise.
    assert port == "9000"
    assert "--address" not in SERVICES["minio"]["command"]

    assert settings.token_pepper.get_secret_value() == DOT_ENV["DOCEX_TOKEN_PEPPER"]
    assert settings.port == 8000
    assert any(p.split(":")[-1] == str(settings.port) for p in SERVICES["docex"]["ports"])


def test_secrets_come_only_from_the_operators_env_file() -> None:
    text = (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    for secret in SECRETS:
        # Every use of the secret is ${NAME:?...}: compose refuses to start without it.
        uses = re.findall(rf"\$\{{{secret}([^}}]*)\}}", text)
        assert uses, secret
        assert all(use.startswith(":?") for use in uses), (secret, uses)
    for secret in SECRETS:
        env = {**DOT_ENV, secret: ""}
        with pytest.raises(MissingVariableError, match=secret):
            every_environment(env)


def test_a_placeholder_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(DOT_ENV, "DOCEX_S3_SECRET_KEY", "minioadmin")
    with pytest.raises(SettingsError, match="s3_secret_key is a placeholder"):
        settings_of("docex", monkeypatch)


def test_docex_waits_for_healthy_servers_and_the_migration() -> None:
    depends = SERVICES["docex"]["depends_on"]
    assert depends["postgres"]["condition"] == "service_healthy"
    assert depends["minio"]["condition"] == "service_healthy"
    assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert depends["minio-setup"]["condition"] == "service_completed_successfully"
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert SERVICES["migrate"]["command"] == ["docex", "db", "upgrade", "--grant-to", APP_ROLE]
    assert SERVICES["migrate"]["restart"] == "no"
    assert SERVICES["minio-setup"]["depends_on"]["minio"]["condition"] == "service_healthy"
    assert SERVICES["minio-setup"]["restart"] == "no"


@pytest.mark.parametrize("service", ["docex", "postgres", "minio"])
def test_every_long_running_service_has_a_health_check(service: str) -> None:
    test = SERVICES[service]["healthcheck"]["test"]
    assert test[0] in ("CMD", "CMD-SHELL")
    assert len(test) > 1


def test_the_api_health_check_asks_an_existing_route() -> None:
    check = " ".join(SERVICES["docex"]["healthcheck"]["test"])
    path = re.search(r"http://127\.0\.0\.1:8000(/\w+)", check)
    assert path is not None
    assert path.group(1) == "/healthz"
    assert "/healthz" in {getattr(route, "path", None) for route in health_router.routes}
    assert "/healthz" in DOCKERFILE.split("HEALTHCHECK", 1)[1]


def test_data_lives_in_named_volumes() -> None:
    declared = set(COMPOSE["volumes"])
    mounts = {
        service: [v.split(":")[0] for v in SERVICES[service].get("volumes", [])]
        for service in SERVICES
    }
    assert any(v in declared for v in mounts["postgres"])
    assert any(v in declared for v in mounts["minio"])
    for sources in mounts.values():
        for source in sources:
            assert source.startswith(("./", "/")) or source in declared, source


@pytest.mark.parametrize("service", ["docex", "migrate"])
def test_the_trust_folder_is_mounted_where_docex_looks(service: str) -> None:
    target = docex_variables(service)["DOCEX_TRUST"]
    assert f"./trust:{target}:ro" in SERVICES[service]["volumes"]
    assert (REPO / "trust").is_dir()


def test_the_image_runs_docex_serve_with_workers() -> None:
    cmd = re.search(r"^CMD (\[.*\])$", DOCKERFILE, re.MULTILINE)
    assert cmd is not None
    command = json.loads(cmd.group(1))
    assert command[:2] == ["docex", "serve"]
    assert command[command.index("--workers") + 1] == "4"
    assert SERVICES["docex"]["command"] == command
    assert SERVICES["docex"]["build"] == "."
    # The console script the image runs is the one the package declares.
    assert 'docex = "docex.cli.main:run"' in (REPO / "pyproject.toml").read_text()


def test_the_env_file_is_never_committed() -> None:
    ignored = (REPO / ".gitignore").read_text().splitlines()
    assert ".env" in ignored
    assert ".env" in (REPO / ".dockerignore").read_text().splitlines()


def test_no_docex_process_sees_a_root_credential() -> None:
    for service in ("docex", "migrate"):
        values = set(environment(service).values())
        for secret in ROOT_SECRETS:
            assert all(DOT_ENV[secret] not in value for value in values), (service, secret)


def test_migrations_run_as_the_owner_and_grant_the_app_role() -> None:
    owner = make_url(environment("migrate")["DOCEX_MIGRATION_DATABASE_URL"])
    assert owner.username == OWNER_ROLE
    assert owner.password == DOT_ENV["DOCEX_DB_OWNER_PASSWORD"]
    app = make_url(environment("docex")["DOCEX_DATABASE_URL"])
    assert app.username == APP_ROLE != owner.username


def test_postgres_init_creates_both_roles_neither_superuser() -> None:
    mounts = SERVICES["postgres"]["volumes"]
    assert "./deploy/postgres:/docker-entrypoint-initdb.d:ro" in mounts
    script = (REPO / "deploy/postgres/10-docex-roles.sh").read_text(encoding="utf-8")
    roles = dict(re.findall(r"CREATE ROLE (\w+) LOGIN ([A-Z ]+)", script))
    assert set(roles) == {OWNER_ROLE, APP_ROLE}
    for attributes in roles.values():
        assert {"NOSUPERUSER", "NOCREATEDB", "NOCREATEROLE", "NOBYPASSRLS"} <= set(
            attributes.split()
        )
    assert f"CREATE DATABASE docex OWNER {OWNER_ROLE};" in script
    # The passwords the script reads are the ones the URLs carry.
    postgres = environment("postgres")
    assert postgres["DOCEX_DB_OWNER_PASSWORD"] == DOT_ENV["DOCEX_DB_OWNER_PASSWORD"]
    assert postgres["DOCEX_DB_APP_PASSWORD"] == DOT_ENV["DOCEX_DB_APP_PASSWORD"]


def test_minio_setup_locks_the_bucket_and_limits_the_docex_user() -> None:
    setup = SERVICES["minio-setup"]
    assert setup["entrypoint"] == ["/bin/sh", "/etc/docex/minio/setup.sh"]
    assert "./deploy/minio:/etc/docex/minio:ro" in setup["volumes"]
    script = (REPO / "deploy/minio/setup.sh").read_text(encoding="utf-8")
    bucket = docex_variables("docex")["DOCEX_OBJECT_STORE"].removeprefix("s3://")
    assigned = re.search(r"^BUCKET=(\S+)$", script, re.MULTILINE)
    assert assigned is not None
    assert assigned.group(1) == bucket
    assert 'mc mb --ignore-existing --with-lock "root/$BUCKET"' in script
    assert 'mc retention set --default GOVERNANCE "${DAYS}d" "root/$BUCKET"' in script
    assert 'mc admin policy attach root docex-app --user "$DOCEX_S3_ACCESS_KEY"' in script

    policy = json.loads((REPO / "deploy/minio/docex-policy.json").read_text(encoding="utf-8"))
    granted: dict[str, set[str]] = {}
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        for resource in statement["Resource"]:
            granted.setdefault(resource, set()).update(statement["Action"])
    assert granted == {
        f"arn:aws:s3:::{bucket}": {"s3:GetBucketLocation", "s3:ListBucket"},
        # DeleteObject only adds a delete marker in the locked, versioned bucket; nothing
        # lets docex delete a version or bypass the retention.
        f"arn:aws:s3:::{bucket}/*": {
            "s3:GetObject",
            "s3:PutObject",
            "s3:PutObjectRetention",
            "s3:DeleteObject",
        },
    }


def test_the_api_is_published_on_loopback_only_and_trusts_forwarded_headers_narrowly() -> None:
    assert SERVICES["docex"]["ports"] == ["127.0.0.1:8000:8000"]
    assert environment("docex")["FORWARDED_ALLOW_IPS"] == "127.0.0.1"
    text = (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    assert "#   image: caddy:2" in text
    assert (REPO / "deploy/caddy/Caddyfile").is_file()
