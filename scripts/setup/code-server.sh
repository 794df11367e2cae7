#!/usr/bin/env bash
# Installs code-server (a real VS Code served over HTTP) for the vscode and e2e test tiers,
# built from the npm registry without its install scripts (they download things).
# Idempotent: takes seconds when already installed. Installs outside the repo so CI
# machines keep it between runs:  ${GODEPLOY_TOOLS:-$HOME/.cache/godeploy/tools}/code-server-VERSION
# The Debian packages it needs are installed with apt-get as root, through sudo for another
# user; without sudo (and with --check) it only says what is missing and what to run as root.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
CHECK_ONLY=
[[ ${1:-} == --check ]] && CHECK_ONLY=1

VERSION=4.100.3
TOOLS="${GODEPLOY_TOOLS:-$HOME/.cache/godeploy/tools}"
DEST="$TOOLS/code-server-$VERSION"
ENTRY="$DEST/node_modules/code-server/out/node/entry.js"

log() { printf '[setup:code-server] %s\n' "$*"; }

# --- Debian packages: chromium (browser), ripgrep (VS Code search), libkrb5-dev (kerberos) ---
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
for tool in make g++ python3; do
  command -v "$tool" >/dev/null 2>&1 || { [ "$tool" = python3 ] && missing+=(python3) || missing+=(build-essential); }
done
if [ -n "$CHECK_ONLY" ] || { ((EUID != 0)) && ! command -v sudo >/dev/null 2>&1; }; then
  status=0
  if [ ${#missing[@]} -gt 0 ]; then
    log "missing Debian packages: ${missing[*]}"
    log "as root, run: $(apt_install_command "${missing[@]}")"
    status=1
  fi
  if [ -f "$DEST/.complete" ] && [ -f "$ENTRY" ]; then
    log "code-server $VERSION installed in $DEST"
  elif [ -n "$CHECK_ONLY" ]; then
    log "code-server $VERSION is not installed in $DEST"
    status=1
  fi
  # Without packages to install, a user without sudo can install code-server for themselves.
  if [ -n "$CHECK_ONLY" ] || [ $status -ne 0 ]; then exit $status; fi
elif [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# --- code-server itself ---
if [ -f "$DEST/.complete" ] && [ -f "$ENTRY" ]; then
  log "already installed in $DEST"
else
  mkdir -p "$TOOLS"
  WORK="$(mktemp -d "$TOOLS/.code-server-$VERSION.XXXXXX")"
  trap 'rm -rf "$WORK"' EXIT
  started=$SECONDS
  log "installing code-server $VERSION into $WORK (then renamed to $DEST)"
  cd "$WORK"
  printf '{"name":"godeploy-code-server","private":true}\n' > package.json
  # Native modules build against the local Node headers, never downloaded ones.
  if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ] && [ -z "$(npm config get nodedir 2>/dev/null | grep -v undefined)" ]; then
    export npm_config_nodedir=/usr
  fi
  export npm_config_yes=true npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
  npm install --no-save --ignore-scripts --no-package-lock "code-server@$VERSION"

  log "building code-server's argon2 from source"
  # npm hoists it: find code-server's argon2 wherever it landed.
  ARGON2="$(cd node_modules/code-server && node -p "require('path').dirname(require.resolve('argon2/package.json'))")"
  (cd "$(dirname "$(dirname "$ARGON2")")" && npx --yes node-pre-gyp rebuild -C "node_modules/argon2")

  VSC="$WORK/node_modules/code-server/lib/vscode"
  log "installing VS Code's server dependencies"
  (cd "$VSC" && npm install --omit=dev --ignore-scripts --no-package-lock)
  log "building VS Code's native modules"
  (cd "$VSC" && npm rebuild @parcel/watcher @vscode/spdlog kerberos native-watchdog node-pty @vscode/deviceid)
  # @vscode/ripgrep's postinstall downloads a binary; use Debian's instead.
  mkdir -p "$VSC/node_modules/@vscode/ripgrep/bin"
  cp "$(command -v rg)" "$VSC/node_modules/@vscode/ripgrep/bin/rg"
  ln -sfn node_modules "$VSC/node_modules.asar"

  node "$WORK/node_modules/code-server/out/node/entry.js" --version >/dev/null
  touch "$WORK/.complete"
  rm -rf "$DEST"
  mv "$WORK" "$DEST"
  trap - EXIT
  log "installed in $((SECONDS - started))s"
fi

# --- check the install ---
VSC="$DEST/node_modules/code-server/lib/vscode"
for f in node_modules/@vscode/ripgrep/bin/rg node_modules/node-pty/build/Release/pty.node node_modules/@vscode/spdlog/build/Release/spdlog.node; do
  [ -e "$VSC/$f" ] || { log "broken install: $VSC/$f is missing; remove $DEST and run again"; exit 1; }
done
log "code-server: $(node "$ENTRY" --version | head -n1)"
log "chromium: $(chromium --version 2>/dev/null | head -n1)"
