#!/bin/sh
# Runs once, when the db container initialises an empty data volume
# (/docker-entrypoint-initdb.d). Creates the application's login role: least privileged,
# owning nothing. The schema belongs to POSTGRES_USER (the owner), which runs migrations;
# after each migrate, `manage.py grant_app_privileges --role quota_app` grants this role
# exactly the table rights the application needs (no UPDATE/DELETE/TRUNCATE on posted
# ledger rows, no trigger control).
#
# For a data volume created before this script existed, run it once by hand:
#   docker compose exec db sh /docker-entrypoint-initdb.d/10-app-role.sh
set -eu
: "${QUOTA_APP_DB_PASSWORD:?set QUOTA_APP_DB_PASSWORD (the application role password)}"
APP_ROLE="${QUOTA_APP_DB_ROLE:-quota_app}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_role="$APP_ROLE" -v app_password="$QUOTA_APP_DB_PASSWORD" -v dbname="$POSTGRES_DB" <<'SQL'
SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_role') AS create_role \gset
\if :create_role
  CREATE ROLE :"app_role" LOGIN;
\endif
ALTER ROLE :"app_role" WITH LOGIN PASSWORD :'app_password'
  NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT;
REVOKE ALL ON DATABASE :"dbname" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"dbname" TO :"app_role";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app_role";
SQL
