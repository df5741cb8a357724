#!/usr/bin/env bash
# THE test command (`npm test`). Runs these stages in order, stops at the first that fails, and always
# prints a summary:
#   deps       the Node packages (npm ci) when absent, then system packages the tests need, installed with apt-get when missing (redis-server, postgresql,
#              curl, prometheus, python3-venv); the Hatchet engine build (scripts/hatchet-build.sh) starts in the background
#              at once when absent, so it overlaps the stages before `hatchet`
#   tools      scripts/tools.sh: pinned generators and the Python venv .tools/venv (idempotent)
#   contract   scripts/check-contract.sh: buf lint/format/breaking, regeneration, the generated Python/Go code loads
#   typecheck  tsc -p tsconfig.json (src, test, gen/ts, ...)
#   console    scripts/console-build.sh (the web console's bundle); Debian chromium for the browser tests
#   node       npm run build (dist/, for bin/mageflow.js), then node's test runner over every test/**/*.test.ts (through tsx)
#              but test/hatchet-real/
#   python     clients/python: pip install into .tools/venv, mypy --strict (also in .tools/hatchet with examples/python), then
#              pytest (with the sdist and wheel of scripts/release-python.sh installed into fresh venvs: tests/test_install.py)
#   go         clients/go and clients/go/hatchetworker: gofmt, go vet, go test (with the module installed through the file GOPROXY
#              of scripts/release-go.sh in a clean module cache: clients/go/scenario_test.go)
#   hatchet    test/hatchet-real/*.test.ts: the service and real SDK workers against a real Hatchet engine
#              (scripts/hatchet-engine.sh, one private engine per test file); waits for the engine build
#
# Usage: scripts/test.sh [stage...]   (default: all; e.g. `npm test -- node` or `npm test -- python go`)
# Environment: TEST_CONCURRENCY (node --test-concurrency, default 1).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$ROOT/node_modules/.bin:$PATH"

ALL=(deps tools contract typecheck console node python go hatchet)
STAGES=("$@")
[ ${#STAGES[@]} -gt 0 ] || STAGES=("${ALL[@]}")
for s in "${STAGES[@]}"; do
  case " ${ALL[*]} " in *" $s "*) ;; *) echo "test.sh: unknown stage '$s' (stages: ${ALL[*]})" >&2; exit 2 ;; esac
done

declare -A RESULT=()
declare -A SECONDS_TAKEN=()
FAILED=""

summary() {
  echo
  echo "==================== test.sh summary ===================="
  local s
  for s in "${STAGES[@]}"; do
    printf '  %-10s %-8s %s\n' "$s" "${RESULT[$s]:-not run}" "${SECONDS_TAKEN[$s]:+(${SECONDS_TAKEN[$s]}s)}"
  done
  if [ -n "$FAILED" ]; then
    echo "test.sh: FAILED at stage '$FAILED'"
  elif [ ${#RESULT[@]} -eq ${#STAGES[@]} ]; then
    echo "test.sh: all ${#STAGES[@]} stages passed"
  else
    echo "test.sh: interrupted"
  fi
}

# apt-get as root, else through sudo when there is one.
apt_install() {
  local sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo -n)
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

stage_deps() {
  # A fresh clone: the Node packages first (npm ci when node_modules is absent).
  if [ ! -x node_modules/.bin/tsc ]; then
    echo "installing the Node packages (npm ci)"
    npm ci --no-audit --no-fund || return 1
  fi
  local missing=()
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    apt_install "${missing[@]}" || { echo "could not install ${missing[*]} (run as root, or install them yourself)" >&2; return 1; }
  fi
  # The tests start their own redis-server and PostgreSQL on free ports; a CI machine needs no system instance.
  if [ "${CI:-}" = true ] && command -v service >/dev/null 2>&1; then
    service redis-server stop >/dev/null 2>&1 || true
    service prometheus stop >/dev/null 2>&1 || true
  fi
  redis-server --version
  ls -d /usr/lib/postgresql/*/bin | tail -1
  if [ -n "${ENGINE_BUILD_LOG:-}" ]; then echo "hatchet engine: building in the background (log: $ENGINE_BUILD_LOG)"; fi
}

stage_tools() {
  bash scripts/tools.sh
}

stage_contract() {
  bash scripts/check-contract.sh
}

stage_typecheck() {
  npx tsc -p tsconfig.json && echo "tsc: no errors"
}

stage_console() {
  if [ ! -x /usr/bin/chromium ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null || return 1
  fi
  bash scripts/console-build.sh
}

# test/observability/prometheus.test.ts scrapes the service with a real Prometheus (Debian package).
need_prometheus() {
  command -v prometheus >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing prometheus (apt-get)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null || return 1
    # The tests start their own on free ports; the packaged service is not needed.
    command -v service >/dev/null 2>&1 && service prometheus stop >/dev/null 2>&1
    return 0
  fi
  echo "prometheus is missing: apt-get install -y prometheus (the Prometheus test is skipped without it, except in CI)" >&2
  [ "${CI:-}" != true ]
}

stage_node() {
  bash scripts/build.sh --if-needed || return 1 # the mageflow command (bin/mageflow.js) runs dist/
  shopt -s globstar nullglob
  local all=(test/**/*.test.ts) files=() f
  shopt -u globstar nullglob
  for f in "${all[@]}"; do [[ $f == test/hatchet-real/* ]] || files+=("$f"); done
  if [ ${#files[@]} -eq 0 ]; then
    echo "no test/**/*.test.ts files found" >&2
    return 1
  fi
  echo "${#files[@]} test files"
  need_prometheus || return 1
  node --import tsx --test --test-force-exit --test-concurrency="${TEST_CONCURRENCY:-1}" "${files[@]}"
}

stage_python() {
  local py="$ROOT/.tools/venv/bin/python"
  [ -x "$py" ] || { echo "$py missing (run scripts/tools.sh)" >&2; return 1; }
  # A real (non-editable) install, as a user would do it: proves the package builds and carries its generated code.
  "$py" -m pip install -q --disable-pip-version-check --no-build-isolation --no-deps --force-reinstall \
    ./clients/python || return 1
  (cd clients/python && "$py" -m mypy --cache-dir "$ROOT/.tools/mypy-cache") || return 1
  # Again beside hatchet-sdk (protobuf 6), with the worker helper's real types and the examples.
  (cd clients/python && "$ROOT/.tools/hatchet/bin/python" -m mypy --cache-dir "$ROOT/.tools/mypy-cache-hatchet" \
    src/mageflow_signatures ../../examples/python) || return 1
  local rc=0
  (cd clients/python && "$py" -m pytest -p no:cacheprovider -rs tests) || rc=$?
  # The Hatchet worker helper's rules, beside hatchet-sdk (skipped above, where it is not installed).
  (cd clients/python && PYTHONPATH=src "$ROOT/.tools/hatchet/bin/python" -m pytest -p no:cacheprovider \
    tests/test_hatchet_worker.py) || rc=$?
  if [ "$rc" -eq 5 ]; then
    echo "pytest collected no tests: treated as a failure" >&2
    return 1
  fi
  return "$rc"
}

stage_go() {
  local unformatted
  unformatted=$(gofmt -l clients/go | grep -v '/gen/' || true)
  [ -z "$unformatted" ] || { echo "gofmt would change: $unformatted" >&2; return 1; }
  (cd clients/go && go vet ./... && go test -count=1 -v ./...) || return 1
  # The Hatchet worker helper is its own module (it pulls the Hatchet SDK; the client does not).
  (cd clients/go/hatchetworker && GOFLAGS=-mod=mod go vet ./... && GOFLAGS=-mod=mod go test -count=1 -v ./...)
}

stage_hatchet() {
  local t0=$SECONDS bin
  # Waits for the background build (it holds the build lock), or builds now.
  bin=$(bash scripts/hatchet-build.sh) || { echo "engine build failed${ENGINE_BUILD_LOG:+ (log: $ENGINE_BUILD_LOG)}" >&2; return 1; }
  echo "hatchet engine: $bin (waited $((SECONDS - t0))s)"
  shopt -s nullglob
  local files=(test/hatchet-real/*.test.ts)
  shopt -u nullglob
  [ ${#files[@]} -gt 0 ] || { echo "no test/hatchet-real/*.test.ts files found" >&2; return 1; }
  echo "${#files[@]} test files"
  CI=true node --import tsx --test --test-force-exit --test-concurrency=1 "${files[@]}"
}

LOG_DIR=$(mktemp -d)
# The engine build takes about 19 minutes on a fresh machine: start it now, alongside the other stages.
ENGINE_BUILD_LOG=""
if [[ " ${STAGES[*]} " == *" hatchet "* ]] && command -v go >/dev/null 2>&1; then
  ENGINE_BUILD_LOG="${TMPDIR:-/tmp}/mageflow-hatchet-build.log"
  nohup bash scripts/hatchet-build.sh >"$ENGINE_BUILD_LOG" 2>&1 </dev/null &
  disown
fi
# One closing line over every test runner (node, pytest, go test), in the plain "N passed, N failed" form.
count_tests() {
  local passed=0 failed=0 n
  n=$(grep -hE '^# pass [0-9]+$' "$LOG_DIR"/*.log 2>/dev/null | awk '{s+=$3} END {print s+0}'); passed=$((passed + n))
  n=$(grep -hE '^# fail [0-9]+$' "$LOG_DIR"/*.log 2>/dev/null | awk '{s+=$3} END {print s+0}'); failed=$((failed + n))
  n=$(grep -hoE '^=+ .*[0-9]+ passed' "$LOG_DIR"/python.log 2>/dev/null | grep -oE '[0-9]+ passed' | awk '{s+=$1} END {print s+0}'); passed=$((passed + n))
  n=$(grep -hoE '^=+ .*[0-9]+ failed' "$LOG_DIR"/python.log 2>/dev/null | grep -oE '[0-9]+ failed' | awk '{s+=$1} END {print s+0}'); failed=$((failed + n))
  n=$(grep -cE '^--- PASS' "$LOG_DIR"/go.log 2>/dev/null); passed=$((passed + ${n:-0}))
  n=$(grep -cE '^--- FAIL' "$LOG_DIR"/go.log 2>/dev/null); failed=$((failed + ${n:-0}))
  echo "tests: $passed passed, $failed failed"
}
trap 'summary; count_tests; rm -rf "$LOG_DIR"' EXIT

for s in "${STAGES[@]}"; do
  echo
  echo "==================== stage: $s ===================="
  start=$SECONDS
  "stage_$s" 2>&1 | tee "$LOG_DIR/$s.log"
  rc=${PIPESTATUS[0]}
  SECONDS_TAKEN[$s]=$((SECONDS - start))
  if [ "$rc" -ne 0 ]; then
    RESULT[$s]="FAILED"
    FAILED=$s
    echo "==================== stage $s FAILED (exit $rc) ===================="
    exit 1
  fi
  RESULT[$s]="passed"
done
exit 0
