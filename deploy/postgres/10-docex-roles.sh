#!/bin/sh
# Creates docex's two roles and its database. The postgres image runs this once, when it
# initialises an empty data volume; on an existing volume run the same SQL by hand (see
# docs/deployment.md, "Moving an existing deployment to two roles").
#
#   docex_owner  owns the database, its public schema and, through `docex db upgrade`,
#                every table, sequence and function: the `migrate` service connects as it.
#   docex_app    owns nothing; `docex db upgrade --grant-to docex_app` gives it SELECT,
#                INSERT, UPDATE on docex's tables, only SELECT and INSERT on the audit log,
#                USAGE on sequences and EXECUTE on the audit append function. The API
#                workers connect as it, so the audit log's triggers and missing
#                privileges bind them (a superuser or an owner could switch them off).
#
# Neither is a superuser, and neither may create databases or roles.
set -eu
: "${DOCEX_DB_OWNER_PASSWORD:?}" "${DOCEX_DB_APP_PASSWORD:?}"

# psql substitutes :'name' with the variable, quoted as an SQL literal.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v owner_password="$DOCEX_DB_OWNER_PASSWORD" \
    -v app_password="$DOCEX_DB_APP_PASSWORD" <<'SQL'
CREATE ROLE docex_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS
    PASSWORD :'owner_password';
CREATE ROLE docex_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT
    PASSWORD :'app_password';
CREATE DATABASE docex OWNER docex_owner;
-- Only docex's roles connect; PUBLIC's default CONNECT and TEMPORARY go.
REVOKE ALL ON DATABASE docex FROM PUBLIC;
GRANT CONNECT ON DATABASE docex TO docex_app;
SQL

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname docex <<'SQL'
-- The schema the migrations create objects in belongs to the owner; nobody else may
-- create there (PostgreSQL 15 already refuses PUBLIC, this makes it explicit).
ALTER SCHEMA public OWNER TO docex_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
SQL
