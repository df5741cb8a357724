#!/usr/bin/env bash
# Installs the pinned code generators into .tools/ (idempotent, registries only).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .tools/bin
if [ ! -x .tools/bin/protoc-gen-go ]; then
  GOBIN="$PWD/.tools/bin" go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
fi
if [ ! -x .tools/bin/protoc-gen-go-grpc ]; then
  GOBIN="$PWD/.tools/bin" go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.0
fi
if [ ! -x .tools/venv/bin/python ]; then
  python3 -m venv .tools/venv
fi
if ! .tools/venv/bin/python -c 'import grpc_tools' 2>/dev/null; then
  .tools/venv/bin/pip install -q -r scripts/requirements-tools.txt
fi
