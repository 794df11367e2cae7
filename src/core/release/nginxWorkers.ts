// nginx's workers around a reload, as shell: which ones serve the old configuration, and the
// wait until they are gone. No imports, so that every module that reloads nginx (the blue-green
// switch, canary sites, maintenance mode) can use it without a cycle through the generators.

// Sets $old to nginx's worker pids (the ones DRAIN waits for after a reload): those of the
// master in the pid file $pidfile when it is set and readable, else every nginx worker on the
// host. Shell builtins only (read stops at the title's first NUL): a busy host has hundreds of
// processes, and a fork per process (tr) took seconds per switch under load. Safe under set -e.
// Used by FLIP_NGINX (blue-green) and by strategy canary's host scripts (canary/hostSite.ts).
export const NGINX_WORKERS = `master=
[ -z "$pidfile" ] || master=$(cat "$pidfile" 2>/dev/null) || master=
old=
for f in /proc/[0-9]*/cmdline; do
  c=; read -r c 2>/dev/null < "$f" || :
  case "$c" in "nginx: worker process"*)
    p=\${f#/proc/}; p=\${p%/cmdline}
    if [ -n "$master" ]; then
      pp=; while read -r k v; do [ "$k" = PPid: ] && { pp=$v; break; }; done 2>/dev/null < "/proc/$p/status" || :
      [ "$pp" = "$master" ] || continue
    fi
    old="$old $p";;
  esac
done
`;

// $@: the pids of nginx's workers before the reload. A reload only signals nginx, so this
// waits (up to 30 s) until every one of them has exited: the workers of the old
// configuration have finished their requests to the old instance. Prints "drained" or "timeout".
export const DRAIN = `i=0
while [ $i -lt 300 ]; do
  left=
  for p in "$@"; do
    c=; read -r c 2>/dev/null < "/proc/$p/cmdline" || :
    case "$c" in "nginx: worker process"*) left=1;; esac
  done
  [ -z "$left" ] && { echo drained; exit 0; }
  sleep 0.1; i=$((i+1))
done
echo timeout`;
