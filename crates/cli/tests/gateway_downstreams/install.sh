#!/usr/bin/env bash
# Installs the gateway tests' downstream apps' verifiers (PyPI's and npm's standardwebhooks)
# into target/gateway-downstreams/{venv,node} of the repository, when missing. `.ci/run` runs
# it; run it by hand to make the gateway tests run locally (they skip, loudly, without it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
dest="${GHL_GATEWAY_DOWNSTREAMS:-$root/target/gateway-downstreams}"
mkdir -p "$dest"
if ! "$dest/venv/bin/python" -c "import standardwebhooks" >/dev/null 2>&1; then
  echo "==> installing PyPI's standardwebhooks into $dest/venv"
  python3 -m venv "$dest/venv"
  "$dest/venv/bin/pip" install -q -r "$here/requirements.txt"
fi
if [ ! -f "$dest/node/node_modules/standardwebhooks/package.json" ]; then
  echo "==> installing npm's standardwebhooks into $dest/node"
  mkdir -p "$dest/node"
  cp "$here/package.json" "$dest/node/package.json"
  (cd "$dest/node" && npm install --silent --no-audit --no-fund)
fi
"$dest/venv/bin/python" -c "import standardwebhooks; print('python standardwebhooks ok')"
node -e "require('$dest/node/node_modules/standardwebhooks'); console.log('node standardwebhooks ok')"
