# Sourced by the setup scripts: who installs what, as root or not.
#
# The test environment is root's: the integration tier boots systemd hosts with
# systemd-nspawn and starts dockerd, so `npm test` runs as root and finds what the setup
# cached under root's home. As root the scripts run apt-get and debootstrap directly; as a
# user with sudo they run through sudo; without either they print what to run as root.

# The apt-get command that installs the packages named, as a root user would type it.
apt_install_command() {
  printf 'apt-get update && apt-get install -y --no-install-recommends %s' "$*"
}

# rerun_as_root SCRIPT [ARGS...]: returns at once as root. Otherwise, when sudo is installed,
# replaces this process with SCRIPT run as root through sudo (keeping GODEPLOY_CACHE and
# GODEPLOY_TOOLS when set); without sudo returns 1.
rerun_as_root() {
  ((EUID == 0)) && return 0
  command -v sudo >/dev/null 2>&1 || return 1
  local keep=(DEBIAN_FRONTEND=noninteractive)
  [[ -n ${GODEPLOY_CACHE:-} ]] && keep+=("GODEPLOY_CACHE=$GODEPLOY_CACHE")
  [[ -n ${GODEPLOY_TOOLS:-} ]] && keep+=("GODEPLOY_TOOLS=$GODEPLOY_TOOLS")
  printf '[setup] %s needs root: running it as root through sudo\n' "$1" >&2
  exec sudo env "${keep[@]}" bash "$@"
}

# as_root COMMAND [ARGS...]: runs COMMAND as root: directly as root, through sudo when sudo is
# installed; otherwise prints what to run as root and returns 1.
as_root() {
  if ((EUID == 0)); then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    printf '[setup] this needs root and there is no sudo; as root, run:\n  %s\n' "$*" >&2
    return 1
  fi
}

# The absolute path of a script, for messages a user copies into a root shell.
absolute_path() {
  printf '%s/%s' "$(cd "$(dirname "$1")" && pwd)" "$(basename "$1")"
}
