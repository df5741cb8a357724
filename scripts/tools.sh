#!/usr/bin/env bash
# Installs the pinned tools into .tools/ (idempotent; needs only the package registries, and nothing once
# installed):
#   .tools/bin/protoc-gen-go, .tools/bin/protoc-gen-go-grpc   Go code generators (go install)
#   .tools/venv                                                Python venv with scripts/requirements-tools.txt
#   .tools/pygen                                               Python code generator (scripts/requirements-pygen.txt)
#   .tools/hatchet                                             hatchet-sdk and the Hatchet worker helper's checks (requirements-hatchet.txt)
# buf and protoc-gen-es come from node_modules (npm ci).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .tools/bin

PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=v1.6.0

# go install a tool unless the stamp of that exact version is there.
go_tool() { # name module version
  local name=$1 module=$2 version=$3
  if [ ! -x ".tools/bin/$name" ] || [ ! -f ".tools/bin/.$name@$version" ]; then
    echo "tools: go install $module@$version" >&2
    GOBIN="$PWD/.tools/bin" go install "$module@$version"
    rm -f .tools/bin/."$name"@*
    touch ".tools/bin/.$name@$version"
  fi
}
go_tool protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go "$PROTOC_GEN_GO_VERSION"
go_tool protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc "$PROTOC_GEN_GO_GRPC_VERSION"

# A Python venv, reinstalled from its requirements file whenever that changes.
py_venv() { # dir requirements
  local dir=$1 req=$2
  if [ ! -x "$dir/bin/python" ]; then
    echo "tools: python3 -m venv $dir" >&2
    python3 -m venv "$dir"
  fi
  local want have
  want=$(sha256sum "$req" | cut -d' ' -f1)
  have=$(cat "$dir/.requirements.sha256" 2>/dev/null || true)
  if [ "$want" != "$have" ]; then
    echo "tools: pip install -r $req into $dir" >&2
    "$dir/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
    echo "$want" > "$dir/.requirements.sha256"
  fi
}
py_venv .tools/venv scripts/requirements-tools.txt
py_venv .tools/pygen scripts/requirements-pygen.txt
py_venv .tools/hatchet scripts/requirements-hatchet.txt
