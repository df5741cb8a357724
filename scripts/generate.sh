#!/usr/bin/env bash
# Regenerates the code generated from proto/: TypeScript (gen/ts) and Go (clients/go/gen, inside the Go
# client's module) with buf, Python (clients/python/src/mageflow_signatures/_gen, inside the Python package)
# with grpcio-tools. Tools are pinned and installed into .tools/ by scripts/tools.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
PYGEN=clients/python/src/mageflow_signatures/_gen
bash scripts/tools.sh >/dev/null
export PATH="$PWD/node_modules/.bin:$PATH"

rm -rf gen/ts clients/go/gen/mageflow "$PYGEN/mageflow"
buf generate
buf generate node_modules/google-proto-files \
  --template buf.gen.googleapis.yaml \
  --path node_modules/google-proto-files/google/rpc/status.proto \
  --path node_modules/google-proto-files/google/rpc/error_details.proto \
  --path node_modules/google-proto-files/google/rpc/code.proto
buf generate node_modules/grpc-health-check/proto --template buf.gen.googleapis.yaml

# The generator of scripts/requirements-pygen.txt writes code for the oldest protobuf runtime the package
# supports (see that file); its imports are rewritten to live under mageflow_signatures._gen, so the package
# adds no top-level `mageflow` module next to MageFlow's own.
mkdir -p "$PYGEN"
.tools/pygen/bin/python -m grpc_tools.protoc -Iproto \
  --python_out="$PYGEN" --pyi_out="$PYGEN" --grpc_python_out="$PYGEN" \
  proto/mageflow/v1/*.proto
sed -i -E 's/^from mageflow\.v1 import /from mageflow_signatures._gen.mageflow.v1 import /' \
  "$PYGEN"/mageflow/v1/*.py "$PYGEN"/mageflow/v1/*.pyi
touch "$PYGEN/__init__.py" "$PYGEN/mageflow/__init__.py" "$PYGEN/mageflow/v1/__init__.py"
