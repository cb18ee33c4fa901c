#!/bin/sh
# Runs once, on an empty data directory (docker-entrypoint-initdb.d).
set -e
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<-SQL
  CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
  ALTER DATABASE "$POSTGRES_DB" SET statement_timeout TO '60s';
SQL
