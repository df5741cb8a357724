#!/usr/bin/env bash
# Regenerates gen/ from proto/: TypeScript and Go with buf, Python with grpcio-tools.
# Tools are pinned and installed into .tools/ by scripts/tools.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/tools.sh >/dev/null
export PATH="$PWD/node_modules/.bin:$PATH"

rm -rf gen/ts gen/python/mageflow gen/go/mageflow
buf generate
buf generate node_modules/google-proto-files \
  --template buf.gen.googleapis.yaml \
  --path node_modules/google-proto-files/google/rpc/status.proto \
  --path node_modules/google-proto-files/google/rpc/error_details.proto \
  --path node_modules/google-proto-files/google/rpc/code.proto
buf generate node_modules/grpc-health-check/proto --template buf.gen.googleapis.yaml

mkdir -p gen/python
.tools/venv/bin/python -m grpc_tools.protoc -Iproto \
  --python_out=gen/python --pyi_out=gen/python --grpc_python_out=gen/python \
  proto/mageflow/v1/*.proto
touch gen/python/mageflow/__init__.py gen/python/mageflow/v1/__init__.py
