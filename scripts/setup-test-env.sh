#!/usr/bin/env bash
# Installs what `npm test` needs and is missing: Debian packages and the cached systemd
# host root filesystem (scripts/setup/system.sh), then code-server for the VS Code and
# e2e tiers (scripts/setup/code-server.sh). Run as root; as another user each part
# prints exactly what is missing. Heavy downloads are cached under ~/.cache/godeploy.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup/system.sh
bash scripts/setup/code-server.sh
echo "[setup] test environment ready"
