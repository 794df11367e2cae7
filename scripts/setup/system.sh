#!/usr/bin/env bash
# Installs the system components the integration tier starts for real, then builds
# (once, cached outside the repo) the Debian root filesystem booted as a systemd host.
# Idempotent and fast when everything is already present. Debian 12. All of it is root's
# work: as another user it runs itself through sudo, or without sudo (and with --check)
# only says what is missing and what to run as root.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
SELF=$(absolute_path "$0")
CHECK_ONLY=
[[ ${1:-} == --check ]] && CHECK_ONLY=1

PACKAGES=(golang-go openssh-server openssh-client nginx-light supervisor docker.io docker-registry apache2-utils
  debootstrap systemd-container iproute2 curl ca-certificates zsh fish logrotate)
CACHE_DIR="${GODEPLOY_CACHE:-$HOME/.cache/godeploy}"
ROOTFS="$CACHE_DIR/systemd-host-bookworm"
SUITE=bookworm

log() { printf '[setup:system] %s\n' "$*" >&2; }

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done

# What the host image holds; a cached image built with another list is rebuilt.
ROOTFS_PACKAGES=systemd,systemd-sysv,dbus,openssh-server,curl,ca-certificates,nginx-light,procps,supervisor
rootfs_ready() {
  [[ -x $ROOTFS/lib/systemd/systemd && -f $ROOTFS/.godeploy-complete ]] && grep -qx "packages=$ROOTFS_PACKAGES" "$ROOTFS/.godeploy-complete"
}

if ((EUID != 0)) && [[ -z $CHECK_ONLY ]]; then
  rerun_as_root "$SELF" "$@" || true # through sudo when it is installed; returns without it
  CHECK_ONLY=1
fi
if [[ -n $CHECK_ONLY ]]; then
  status=0
  if ((${#missing[@]})); then
    log "missing Debian packages: ${missing[*]}"
    log "as root, run: $(apt_install_command "${missing[@]}")"
    status=1
  else
    log "all Debian packages present"
  fi
  if ! rootfs_ready; then
    log "the systemd host root filesystem is not in $ROOTFS (debootstrap builds it, as root)"
    status=1
  fi
  # (An explicit --check comes from setup-test-env.sh, which names its own command.)
  ((status == 0)) || [[ ${1:-} == --check ]] || log "as root, run: bash $SELF"
  exit "$status"
fi

if ((${#missing[@]})); then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # The tests start their own nginx/sshd/dockerd/supervisord on free loopback ports:
  # keep the packages' maintainer scripts from starting system-wide ones (nginx on :80...).
  policy=/usr/sbin/policy-rc.d
  own_policy=
  if [[ ! -e $policy ]]; then
    own_policy=1
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
  if [[ -n $own_policy ]]; then rm -f "$policy"; trap - EXIT; fi
else
  log "all Debian packages present"
fi

# The Debian mirror this machine already uses (never hard-coded in the repo).
apt_mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    # deb822 stanzas: take the first URI of a stanza whose suites include $SUITE itself.
    uri=$(awk -v suite="$SUITE" '
      /^[[:space:]]*$/ { if (u != "" && s) { print u; exit } u = ""; s = 0; next }
      tolower($1) == "uris:" { u = $2 }
      tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == suite) s = 1 }
      END { if (u != "" && s) print u }' "$f" | head -n1)
    [[ -n $uri ]] && { echo "$uri"; return 0; }
  done
  if [[ -f /etc/apt/sources.list ]]; then
    # one-line style: deb [options] URI suite components...
    uri=$(sed -E 's/\[[^]]*\]//' /etc/apt/sources.list |
      awk -v suite="$SUITE" '$1 == "deb" && $3 == suite { print $2; exit }')
    [[ -n $uri ]] && { echo "$uri"; return 0; }
  fi
  return 1
}

if rootfs_ready; then
  log "systemd host rootfs cached at $ROOTFS"
  exit 0
fi

mirror=$(apt_mirror) || { log "could not find a $SUITE mirror in the apt sources"; exit 1; }
mkdir -p "$CACHE_DIR"
tmp=$(mktemp -d "$CACHE_DIR/.systemd-host-build.XXXXXX")
trap 'rm -rf --one-file-system "$tmp"' EXIT
log "building the systemd host rootfs from $mirror (takes a few minutes)"
started=$SECONDS
debootstrap --variant=minbase --include="$ROOTFS_PACKAGES" \
  "$SUITE" "$tmp/rootfs" "$mirror" >"$tmp/debootstrap.log" 2>&1 || {
  tail -n 40 "$tmp/debootstrap.log" >&2
  log "debootstrap failed"
  exit 1
}
# Host keys are generated per boot by the test fixture; a fresh image should not ship any.
rm -f "$tmp"/rootfs/etc/ssh/ssh_host_*
# nginx and supervisor are there for blue-green deploys (supervisor for its programs), whose
# tests start them: off at boot (hosts that share this machine's network would all want port
# 80, and every other test would pay for an idle supervisord), and no default site.
chroot "$tmp/rootfs" systemctl disable --quiet nginx.service supervisor.service
rm -f "$tmp"/rootfs/etc/nginx/sites-enabled/default
{ date -u +%FT%TZ; echo "packages=$ROOTFS_PACKAGES"; } >"$tmp/rootfs/.godeploy-complete"
rm -rf --one-file-system "$ROOTFS"
mv "$tmp/rootfs" "$ROOTFS"
log "rootfs ready at $ROOTFS in $((SECONDS - started))s"
