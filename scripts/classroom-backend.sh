#!/usr/bin/env bash
# A shared Pulumi state backend for a class: our own PostgreSQL 15 cluster, bound to 127.0.0.1.
#
#   scripts/classroom-backend.sh up       initdb (first time), start, create the role and database
#                                         `pulumi`, print the `pulumi login postgres://...` URL
#                                         (no password in it: it names a passfile, see below)
#   scripts/classroom-backend.sh url      print the backend URL (the cluster must be set up)
#   scripts/classroom-backend.sh status   whether it runs
#   scripts/classroom-backend.sh down     stop it (the data stays)
#
# Why: several teachers or CI runners working on one class need one state with Pulumi's own
# per-stack locks, not a directory in one home. Pulumi's DIY backend stores each stack (and its
# lock) in a PostgreSQL table. The cluster is ours (initdb + pg_ctl), never Debian's system
# service: its data under the state dir, its socket in its data dir, TCP on 127.0.0.1 only, the
# role's password in a file readable by its owner alone. The URL carries no password: it names a
# libpq passfile (`passfile=`, read by the Pulumi CLI's lib/pq driver), so neither the terminal,
# `pulumi login`'s credentials.json nor a process list ever shows it.
#
# Knobs: CLOUDLAB_PG_PORT (default 15432), CLOUDLAB_PG_DIR (the cluster's directory; default
# $CLOUDLAB_STATE_DIR/postgres, or, for root, whose home the postgres account cannot enter,
# /var/lib/cloudlab/postgres/<name of CLOUDLAB_HOME> with a link to it in the state dir).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
eval "$("$here/env.sh" --make | sed 's/^/export /')"
PORT=${CLOUDLAB_PG_PORT:-15432}
HOST=127.0.0.1
ROLE=pulumi
DB=pulumi
PASSWORD_FILE=$CLOUDLAB_STATE_DIR/postgres.password
PASSFILE=$CLOUDLAB_STATE_DIR/postgres.pgpass
say() { echo "classroom-backend: $*" >&2; }
die() { say "$*"; exit 1; }

bindir=""
for v in 15 16 17; do
	[ -x "/usr/lib/postgresql/$v/bin/pg_ctl" ] && bindir=/usr/lib/postgresql/$v/bin && break
done

if [ "$(id -u)" -eq 0 ]; then
	DIR=${CLOUDLAB_PG_DIR:-/var/lib/cloudlab/postgres/$(basename "$CLOUDLAB_HOME")}
	as_owner() { runuser -u postgres -- "$@"; }
	OWNER=postgres
else
	DIR=${CLOUDLAB_PG_DIR:-$CLOUDLAB_STATE_DIR/postgres}
	as_owner() { "$@"; }
	OWNER=$(id -un)
fi
DATA=$DIR/data

url() {
	[ -s "$PASSFILE" ] || die "no passfile $PASSFILE: run $0 up"
	case $PASSFILE in
	*[!A-Za-z0-9/._-]*) die "the passfile path $PASSFILE has characters a URL would need escaped" ;;
	esac
	printf 'postgres://%s@%s:%s/%s?sslmode=disable&passfile=%s\n' "$ROLE" "$HOST" "$PORT" "$DB" "$PASSFILE"
}

# libpq's passfile format (host:port:database:user:password); lib/pq ignores one that others
# can read, so it is made mode 600.
write_passfile() {
	(umask 077; printf '%s:%s:%s:%s:%s\n' "$HOST" "$PORT" "$DB" "$ROLE" "$(cat "$PASSWORD_FILE")" >"$PASSFILE.tmp")
	mv "$PASSFILE.tmp" "$PASSFILE"
}

running() { [ -n "$bindir" ] && [ -f "$DATA/PG_VERSION" ] && as_owner "$bindir/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

psql_local() { as_owner "$bindir/psql" -h "$DATA" -p "$PORT" -d postgres -v ON_ERROR_STOP=1 -qAt "$@"; }

up() {
	if [ -z "$bindir" ]; then
		"$here/apt-install.sh" --step postgres
		for v in 15 16 17; do
			[ -x "/usr/lib/postgresql/$v/bin/pg_ctl" ] && bindir=/usr/lib/postgresql/$v/bin && break
		done
		[ -n "$bindir" ] || die "no PostgreSQL server after the apt step"
	fi
	mkdir -p "$CLOUDLAB_STATE_DIR" "$DIR"
	if [ "$(id -u)" -eq 0 ]; then
		chown "$OWNER:" "$DIR"
		chmod 700 "$DIR"
		[ -e "$CLOUDLAB_STATE_DIR/postgres" ] || ln -s "$DIR" "$CLOUDLAB_STATE_DIR/postgres"
	fi
	if [ ! -s "$PASSWORD_FILE" ]; then
		(umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$PASSWORD_FILE")
	fi
	write_passfile
	if [ ! -f "$DATA/PG_VERSION" ]; then
		say "initdb $DATA (owner $OWNER)"
		as_owner "$bindir/initdb" -D "$DATA" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
			-E UTF8 --no-instructions >"$DIR/initdb.log" 2>&1 || die "initdb failed: $DIR/initdb.log"
		# The trust of the local socket goes to the cluster's owner alone (peer); TCP needs a password.
		cat >"$DATA/pg_hba.conf" <<-HBA
			local all postgres peer map=owner
			host  $DB $ROLE 127.0.0.1/32 scram-sha-256
		HBA
		printf 'owner %s postgres\nowner postgres postgres\n' "$(id -un)" >"$DATA/pg_ident.conf"
		[ "$(id -u)" -eq 0 ] && chown "$OWNER:" "$DATA/pg_hba.conf" "$DATA/pg_ident.conf"
	fi
	if ! running; then
		as_owner "$bindir/pg_ctl" -D "$DATA" -l "$DIR/postgres.log" -w -t 60 \
			-o "-c listen_addresses=$HOST -p $PORT -c unix_socket_directories='$DATA'" start >/dev/null ||
			die "PostgreSQL did not start: $DIR/postgres.log"
	fi
	local pw
	pw=$(cat "$PASSWORD_FILE")
	# The statements that carry the password go through stdin, never a command line.
	if [ "$(psql_local -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]; then
		psql_local -f - <<<"CREATE ROLE $ROLE LOGIN PASSWORD '$pw'"
	else
		psql_local -f - <<<"ALTER ROLE $ROLE PASSWORD '$pw'"
	fi
	if [ "$(psql_local -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
		psql_local -c "CREATE DATABASE $DB OWNER $ROLE"
	fi
	# Pulumi creates its table on a database's first use, and two first users at once race
	# (`duplicate key value violates unique constraint "pg_type_typname_nsp_index"`): one use now.
	local bin home
	if bin=$("$here/toolchain.sh" --bin-dir 2>/dev/null) && [ -x "$bin/pulumi" ]; then
		home=$(mktemp -d)
		PULUMI_HOME=$home PULUMI_BACKEND_URL=$(url) PULUMI_SKIP_UPDATE_CHECK=true \
			"$bin/pulumi" stack ls --all --non-interactive >/dev/null 2>"$home/err" ||
			{ cat "$home/err" >&2; rm -rf "$home"; die "pulumi cannot use the database"; }
		rm -rf "$home"
	else
		say "no Pulumi CLI yet (make toolchain): its table is made by the first update"
	fi
	say "PostgreSQL on $HOST:$PORT (data $DATA); log in with:"
	echo "pulumi login '$(url)'"
}

case "${1:-}" in
up) up ;;
url) url ;;
status) if running; then echo "running on $HOST:$PORT ($DATA)"; else echo "stopped"; exit 1; fi ;;
down)
	if running; then as_owner "$bindir/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null; fi
	say "stopped (data kept in $DATA)"
	;;
*) die "usage: $0 up|url|status|down" ;;
esac
