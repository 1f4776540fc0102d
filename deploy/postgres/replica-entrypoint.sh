#!/bin/sh
# Entrypoint of the streaming replica (docker-compose.yml, profile "replicated"), for the official
# postgres:15 image. On an empty volume: make sure the replication role exists on the primary,
# copy the primary with pg_basebackup -R (which writes primary_conninfo and standby.signal), then
# run PostgreSQL as a hot standby. On later starts the replica resumes streaming where it stopped.
set -eu

PGDATA="${PGDATA:-/var/lib/postgresql/data}"
PRIMARY_HOST="${PRIMARY_HOST:-postgres}"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -q -h "$PRIMARY_HOST" -U "$POSTGRES_USER" -d "$POSTGRES_DB"; do
    echo "replica: waiting for the primary at $PRIMARY_HOST"
    sleep 1
  done
  # The role is created here rather than by an init script on the primary, so that a primary whose
  # volume already exists gets it too. The password comes in as a psql variable (quoted by psql).
  PGPASSWORD="$POSTGRES_PASSWORD" psql -v ON_ERROR_STOP=1 -h "$PRIMARY_HOST" -U "$POSTGRES_USER" -d "$POSTGRES_DB" \
    -v password="$REPLICATION_PASSWORD" <<'SQL'
select format('create role replicator with replication login password %L', :'password')
 where not exists (select 1 from pg_roles where rolname = 'replicator') \gexec
select format('alter role replicator with password %L', :'password') \gexec
SQL
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 700 "$PGDATA"
  PGPASSWORD="$REPLICATION_PASSWORD" gosu postgres pg_basebackup \
    -h "$PRIMARY_HOST" -U replicator -D "$PGDATA" -R -X stream --checkpoint=fast --progress
fi

chown -R postgres:postgres "$PGDATA"
chmod 700 "$PGDATA"
# hot_standby: it answers reads while it replays; hot_standby_feedback: the primary's vacuum does
# not remove rows a long replica read still needs (no cancelled reads on the replica).
exec gosu postgres postgres -D "$PGDATA" -c hot_standby=on -c hot_standby_feedback=on
