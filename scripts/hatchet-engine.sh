#!/usr/bin/env bash
# A private Hatchet engine for tests and local development: a PostgreSQL cluster and hatchet-lite (engine +
# API in one process) on free loopback ports, a tenant and an API token. Everything lives in one state
# directory; `stop` ends what `start` started and removes it.
#
#   scripts/hatchet-engine.sh start [DIR]   start (builds the engine first if needed); prints DIR
#   scripts/hatchet-engine.sh env [DIR]     print the client settings as `export NAME=value` lines
#   scripts/hatchet-engine.sh stop [DIR]    stop hatchet-lite and PostgreSQL, remove DIR
#
# DIR defaults to $HATCHET_ENGINE_DIR, else /tmp/mageflow-hatchet-engine. DIR/env holds the settings a
# client or worker needs: HATCHET_CLIENT_TOKEN, HATCHET_CLIENT_HOST_PORT, HATCHET_CLIENT_API_URL,
# HATCHET_CLIENT_TLS_STRATEGY=none. Logs: DIR/postgres.log, DIR/hatchet-lite.log.
#
# The engine runs with the strict trigger settings SERVER_OPTIMISTIC_SCHEDULING_ENABLED=false and
# SERVER_GRPC_TRIGGER_WRITES_ENABLED=false: with them a trigger of a task name no worker registered is
# answered INVALID_ARGUMENT ("workflow names not found"); with the engine's defaults it is accepted with a run
# id that never exists. HATCHET_ENGINE_STRICT=false starts it with the defaults instead.
# Needs: PostgreSQL server binaries (Debian `postgresql`), Go (for the first build), curl.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:-}
DIR=${2:-${HATCHET_ENGINE_DIR:-/tmp/mageflow-hatchet-engine}}

pg_bin() {
  if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$d" ] || { echo "hatchet-engine: PostgreSQL server binaries not found (apt-get install -y postgresql)" >&2; exit 1; }
  echo "$d"
}

# initdb and postgres refuse to run as root: run them as user postgres then.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for() { # what, seconds, command...
  local what=$1 secs=$2; shift 2
  local end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $end ]; then echo "hatchet-engine: $what did not come up within ${secs}s" >&2; return 1; fi
    sleep 0.2
  done
}

stop() {
  [ -d "$DIR" ] || return 0
  if [ -f "$DIR/hatchet-lite.pid" ]; then
    local pid
    pid=$(cat "$DIR/hatchet-lite.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  if [ -f "$DIR/pg/data/postmaster.pid" ]; then
    as_pg "$(pg_bin)/pg_ctl" -D "$DIR/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$DIR"
}

start() {
  if [ -f "$DIR/env" ]; then echo "hatchet-engine: $DIR already holds an engine (stop it first)" >&2; exit 1; fi
  local bin pgbin
  bin=$(bash "$ROOT/scripts/hatchet-build.sh")
  pgbin=$(pg_bin)
  mkdir -p "$DIR"
  DIR=$(cd "$DIR" && pwd)
  trap 'echo "hatchet-engine: start failed; logs in $DIR (postgres.log, hatchet-lite.log, setup.log)" >&2; cp -r "$DIR"/*.log /tmp/ 2>/dev/null || true; stop' ERR

  local pg_port grpc_port api_port fe_port proxy_port health_port
  pg_port=$(free_port); grpc_port=$(free_port); api_port=$(free_port)
  fe_port=$(free_port); proxy_port=$(free_port); health_port=$(free_port)

  # PostgreSQL: its own cluster, trust auth on loopback only, socket in the state dir.
  mkdir -p "$DIR/pg"
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$DIR/pg" && chmod 755 "$DIR"
    runuser -u postgres -- test -w "$DIR/pg" || { echo "hatchet-engine: user postgres cannot reach $DIR/pg (make its parent directories searchable)" >&2; false; }
  fi
  as_pg "$pgbin/initdb" -D "$DIR/pg/data" -U postgres --auth=trust -E UTF8 >"$DIR/setup.log" 2>&1
  touch "$DIR/postgres.log" && { [ "$(id -u)" = 0 ] && chown postgres "$DIR/postgres.log" || true; }
  as_pg "$pgbin/pg_ctl" -D "$DIR/pg/data" -l "$DIR/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $DIR/pg -c max_connections=200 -c fsync=off -c synchronous_commit=off" \
    start >>"$DIR/setup.log" 2>&1
  "$pgbin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres hatchet >>"$DIR/setup.log" 2>&1

  local strict=${HATCHET_ENGINE_STRICT:-true}
  cat >"$DIR/engine.env" <<EOF
DATABASE_URL=postgresql://postgres@127.0.0.1:$pg_port/hatchet?sslmode=disable
SERVER_PORT=$api_port
SERVER_URL=http://127.0.0.1:$proxy_port
SERVER_GRPC_PORT=$grpc_port
SERVER_GRPC_BIND_ADDRESS=127.0.0.1
SERVER_GRPC_BROADCAST_ADDRESS=127.0.0.1:$grpc_port
SERVER_GRPC_INSECURE=t
SERVER_HEALTHCHECK_PORT=$health_port
SERVER_AUTH_COOKIE_DOMAIN=127.0.0.1
SERVER_AUTH_COOKIE_INSECURE=t
SERVER_AUTH_SET_EMAIL_VERIFIED=t
SERVER_MSGQUEUE_KIND=postgres
SERVER_LOGGER_LEVEL=warn
SERVER_LOGGER_FORMAT=console
DATABASE_LOGGER_LEVEL=error
LITE_STATIC_ASSET_DIR=$DIR/static
LITE_FRONTEND_PORT=$fe_port
LITE_RUNTIME_PORT=$proxy_port
EOF
  if [ "$strict" = true ]; then
    printf 'SERVER_OPTIMISTIC_SCHEDULING_ENABLED=false\nSERVER_GRPC_TRIGGER_WRITES_ENABLED=false\n' >>"$DIR/engine.env"
  fi
  mkdir -p "$DIR/static" && echo '<!doctype html><title>hatchet-lite</title>' >"$DIR/static/index.html"

  (
    set -a; . "$DIR/engine.env"; set +a
    cd "$DIR"
    "$bin/hatchet-migrate" >>"$DIR/setup.log" 2>&1
    "$bin/hatchet-admin" quickstart --skip certs --generated-config-dir "$DIR/config" --overwrite=false >>"$DIR/setup.log" 2>&1
    "$bin/hatchet-admin" token create --config "$DIR/config" --name mageflow-tests >"$DIR/token" 2>>"$DIR/setup.log"
  )
  local token
  token=$(grep -E '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' "$DIR/token" | tail -1)
  [ -n "$token" ] || { echo "hatchet-engine: no token in $DIR/token" >&2; false; }

  (
    set -a; . "$DIR/engine.env"; set +a
    cd "$DIR"
    exec setsid "$bin/hatchet-lite" --config "$DIR/config" >"$DIR/hatchet-lite.log" 2>&1 </dev/null
  ) &
  echo $! >"$DIR/hatchet-lite.pid"
  wait_for "hatchet-lite (health on :$health_port)" 120 curl -fsS "http://127.0.0.1:$health_port/ready"
  wait_for "hatchet-lite API (:$proxy_port)" 60 curl -fsS -o /dev/null "http://127.0.0.1:$proxy_port/api/ready"

  cat >"$DIR/env" <<EOF
HATCHET_CLIENT_TOKEN=$token
HATCHET_CLIENT_HOST_PORT=127.0.0.1:$grpc_port
HATCHET_CLIENT_API_URL=http://127.0.0.1:$proxy_port
HATCHET_CLIENT_TLS_STRATEGY=none
EOF
  trap - ERR
  echo "$DIR"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  env)
    [ -f "$DIR/env" ] || { echo "hatchet-engine: no engine in $DIR (run: $0 start)" >&2; exit 1; }
    sed 's/^/export /' "$DIR/env"
    ;;
  *) echo "usage: $0 start|env|stop [DIR]" >&2; exit 2 ;;
esac
