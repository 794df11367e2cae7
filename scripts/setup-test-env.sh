#!/usr/bin/env bash
# Installs what `npm test` needs and is missing: Debian packages and the cached systemd
# host root filesystem (scripts/setup/system.sh), then code-server for the VS Code and
# e2e tiers (scripts/setup/code-server.sh). Heavy downloads are cached under ~/.cache/godeploy.
#
# The test environment is root's (the integration tier boots systemd hosts and starts
# dockerd, so `npm test` runs as root): as root this runs apt-get and debootstrap itself;
# as another user it runs itself as root through sudo; without sudo it says what is
# missing and what to run as root, and exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup/lib.sh
SELF=$(absolute_path scripts/setup-test-env.sh)

if ((EUID != 0)); then
  rerun_as_root "$SELF" "$@" || true # through sudo when it is installed; returns without it
  echo "[setup] $(id -un) is not root and there is no sudo here; what is missing:" >&2
  bash scripts/setup/system.sh --check || true
  bash scripts/setup/code-server.sh --check || true
  echo "[setup] as root, run: bash $SELF" >&2
  exit 1
fi

bash scripts/setup/system.sh
bash scripts/setup/code-server.sh
echo "[setup] test environment ready"
