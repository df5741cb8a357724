#!/usr/bin/env bash
# Checks the API contract (proto/) and the code generated from it. Fails when:
#   lint      `buf lint` fails (STANDARD + COMMENTS, see buf.yaml and docs/api-lint.md)
#   format    `buf format` would change a file
#   breaking  `buf breaking` (FILE rules) finds a break against the previous version of the contract
#   generate  regenerating (`npm run generate`) changes the generated code, or it differs from the commit
#             (in CI); generated code: gen/ts, clients/python/src/mageflow_signatures/_gen, clients/go/gen
#   python    the generated Python code does not import (without a warning) with .tools/venv's runtime
#   go        `go build && go vet` fails for clients/go/gen
# (gen/ts is compiled by `tsc -p tsconfig.json` in scripts/test.sh.)
#
# Usage: scripts/check-contract.sh [stage...]      default: every stage, in the order above
#
# The breaking baseline: the contract as it was before the newest commit that changed proto/, i.e. the
# parent of `git rev-list -1 HEAD -- proto`. On a clean checkout of main that is "the previous commit of
# main" as far as the contract is concerned (commits that leave proto/ alone compare equal). With
# uncommitted changes under proto/ the baseline is HEAD. CONTRACT_BASE=<rev> overrides the baseline;
# CONTRACT_BASE=none skips the stage (say why in the commit). The first version of the contract has no
# baseline and passes; a shallow clone fails unless it can be deepened from its origin.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CLEANUP=()
trap 'rm -rf "${CLEANUP[@]}"' EXIT
export PATH="$ROOT/node_modules/.bin:$PATH"

log() { printf 'check-contract: %s\n' "$*"; }
die() { printf 'check-contract: FAILED: %s\n' "$*" >&2; exit 1; }

stage_lint() {
  buf lint || die "buf lint found problems (rules: buf.yaml; exceptions: docs/api-lint.md)"
  log "buf lint: clean"
}

stage_format() {
  buf format -d --exit-code || die "buf format would change the files above; run: npx buf format -w"
  log "buf format: clean"
}

# Prints the baseline revision for the breaking check, or nothing when there is none.
breaking_base() {
  if [ -n "${CONTRACT_BASE:-}" ]; then
    printf '%s' "$CONTRACT_BASE"
    return
  fi
  if [ "$(git rev-parse --is-shallow-repository)" = true ]; then
    log "shallow clone: trying to fetch the full history from origin" >&2
    git fetch -q --unshallow 2>/dev/null || true
    if [ "$(git rev-parse --is-shallow-repository)" = true ]; then
      die "shallow clone: the previous version of the contract cannot be found (run 'git fetch --unshallow', or set CONTRACT_BASE=<rev> or CONTRACT_BASE=none)"
    fi
  fi
  if [ -n "$(git status --porcelain --untracked-files=all -- proto)" ]; then
    printf 'HEAD'
    return
  fi
  local last
  last=$(git rev-list -1 HEAD -- proto)
  [ -n "$last" ] || return 0
  if git rev-parse -q --verify "$last^" >/dev/null 2>&1 \
    && [ -n "$(git ls-tree -d "$last^" proto)" ]; then
    git rev-parse "$last^"
  fi
}

stage_breaking() {
  local base last
  base=$(breaking_base)
  if [ "$base" = none ]; then
    log "buf breaking: SKIPPED (CONTRACT_BASE=none)"
    return
  fi
  if [ -z "$base" ]; then
    last=$(git rev-list -1 HEAD -- proto 2>/dev/null || true)
    log "buf breaking: nothing to compare: commit ${last:-<none>} introduces the first version of proto/"
    return
  fi
  local sha what
  sha=$(git rev-parse --verify "$base^{commit}") || die "unknown baseline revision '$base'"
  if [ "$base" = HEAD ]; then
    what="working tree proto/ (uncommitted changes) against HEAD $(git log -1 --format='%h %s' "$sha")"
  else
    what="proto/ at HEAD $(git log -1 --format='%h' HEAD) against $(git log -1 --format='%h %s' "$sha")"
  fi
  [ -n "$(git ls-tree -d "$sha" proto)" ] || die "baseline $sha has no proto/ directory"
  log "buf breaking: comparing $what"
  local tmp
  tmp=$(mktemp -d)
  CLEANUP+=("$tmp")
  git archive "$sha" proto | tar -x -C "$tmp"
  buf breaking proto --against "$tmp/proto" || die "buf breaking: the changes above break the contract against $sha (FILE rules)"
  log "buf breaking: no breaking change"
}

GENERATED=(gen clients/python/src/mageflow_signatures/_gen clients/go/gen)

# One line per generated file (tracked or untracked, not ignored) with its content hash.
gen_snapshot() {
  git ls-files -z --cached --others --exclude-standard -- "${GENERATED[@]}" | sort -zu | while IFS= read -r -d '' f; do
    if [ -f "$f" ]; then printf '%s  %s\n' "$(sha256sum < "$f" | cut -d' ' -f1)" "$f"; else printf 'missing  %s\n' "$f"; fi
  done
}

stage_generate() {
  local before after
  before=$(gen_snapshot)
  npm run -s generate
  after=$(gen_snapshot)
  if [ "$before" != "$after" ]; then
    diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") | sed 's/^/  /' || true
    git status --porcelain --untracked-files=all -- "${GENERATED[@]}" | sed 's/^/  /'
    die "regenerating changed the generated code (files above); run 'npm run generate' and commit it"
  fi
  local dirty
  dirty=$(git status --porcelain --untracked-files=all -- "${GENERATED[@]}")
  if [ -n "$dirty" ]; then
    printf '%s\n' "$dirty" | sed 's/^/  /'
    if [ "${CI:-}" = true ]; then
      die "the generated code differs from the commit (files above)"
    fi
    log "WARNING: the generated code matches proto/ but is not committed (files above); CI fails until it is"
  fi
  log "generate: the generated code is up to date"
}

stage_python() {
  local py=.tools/venv/bin/python
  [ -x "$py" ] || die "$py missing; run: bash scripts/tools.sh"
  PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$ROOT/clients/python/src" "$py" -W error - <<'PY' || die "the generated Python code does not import"
import glob, importlib, os, re, sys
import grpc
import google.protobuf
from google.rpc import error_details_pb2, status_pb2  # googleapis-common-protos

def ver(s):
    return tuple(int(x) for x in re.findall(r"\d+", s)[:3])

root = os.environ["PYTHONPATH"]
files = sorted(glob.glob(os.path.join(root, "mageflow_signatures", "_gen", "**", "*_pb2*.py"), recursive=True))
if not files:
    sys.exit("no generated modules under " + root)
installed_pb = ver(google.protobuf.__version__)
installed_grpc = ver(grpc.__version__)
for path in files:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"^# Protobuf Python Version: (\S+)", text, re.M)
    if m:
        need = ver(m.group(1))
        if installed_pb < need:
            sys.exit(f"{path}: generated for protobuf {m.group(1)}, installed {google.protobuf.__version__} (need >=)")
    m = re.search(r"^GRPC_GENERATED_VERSION = '([^']+)'", text, re.M)
    if m and installed_grpc < ver(m.group(1)):
        sys.exit(f"{path}: generated for grpcio {m.group(1)}, installed {grpc.__version__}")
    mod = os.path.relpath(path, root)[:-3].replace(os.sep, ".")
    importlib.import_module(mod)
print(f"check-contract: python: imported {len(files)} generated modules "
      f"(protobuf {google.protobuf.__version__}, grpcio {grpc.__version__})")
PY
}

stage_go() {
  (cd clients/go && go build ./gen/... && go vet ./gen/...) || die "clients/go/gen does not build or vet"
  log "go: clients/go/gen builds and vets ($(go env GOVERSION))"
}

ALL=(lint format breaking generate python go)
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=("${ALL[@]}")
for s in "${stages[@]}"; do
  case " ${ALL[*]} " in *" $s "*) ;; *) die "unknown stage '$s' (stages: ${ALL[*]})" ;; esac
done
for s in "${stages[@]}"; do
  log "--- $s"
  "stage_$s"
done
log "all passed: ${stages[*]}"
