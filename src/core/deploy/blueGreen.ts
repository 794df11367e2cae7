// Blue-green on a systemd host: two instances of a template unit (<name>@<port>) take turns.
// A release starts on the idle port while the live one keeps serving, is health-gated
// there, then nginx's upstream include is rewritten to it (nginx -t, reload), the old
// nginx workers drain, and the old instance stops. Until nginx reloads, a failing release
// never receives a request: the live instance was never touched.
import type { GenerateModel } from '../generate/model';
import { shArgv as sh } from './releaseScripts';
import { journalArgv, parseSystemctlShow, type ServiceManager } from './serviceManager';


export interface BlueGreenPlan {
  ports: [number, number];
  /** The template unit's name without ".service": deployapp@ (instances deployapp@8081). */
  unitPrefix: string;
  /** <base>/.godeploy/active-port: the port nginx sends traffic to. */
  stateFile: string;
  include: string;
  site: { path: string; enabledLink: string; content: string };
}

export function blueGreenPlan(model: GenerateModel, base: string, siteText: string): BlueGreenPlan {
  const name = model.app.name;
  return {
    ports: model.blueGreen!.ports,
    unitPrefix: `${name}@`,
    stateFile: `${base}/.godeploy/active-port`,
    include: model.nginx.upstreamInclude!,
    site: { path: `/etc/nginx/sites-available/${name}.conf`, enabledLink: `/etc/nginx/sites-enabled/${name}.conf`, content: siteText },
  };
}

// $1 base, $2 state file: "current <link>" and "active <port or empty>".
export const READ_STATE = 'echo "current $(readlink "$1/current" 2>/dev/null)"; echo "active $(cat "$2" 2>/dev/null)"';

// $1 unit (deployapp@8082.service): a fresh start, rate limit cleared.
export const START_INSTANCE = 'systemctl reset-failed "$1" 2>/dev/null; systemctl restart "$1"';

// $1 unit: stopped and not started at boot.
export const STOP_INSTANCE = 'systemctl stop "$1"; systemctl disable --quiet "$1" 2>/dev/null; true';

// $1 include, $2 its new text, $3 site path, $4 uploaded site text or "", $5 enabled link.
// Writes the include (and the site when given) keeping the old ones, checks with nginx -t,
// reloads (or starts) nginx; on a failed check the old files come back and it exits 5.
// Prints "workers <pids>": nginx's workers before the reload, which DRAIN waits for.
export const FLIP_NGINX = `set -e
inc=$1 site=$3 link=$5
mkdir -p "\${inc%/*}"
[ -f "$inc" ] && cp -p "$inc" "$inc.godeploy-old" || rm -f "$inc.godeploy-old"
printf '%s\\n' "$2" > "$inc.godeploy-tmp"
mv -f "$inc.godeploy-tmp" "$inc"
if [ -n "$4" ]; then
  [ -f "$site" ] && cp -p "$site" "$site.godeploy-old" || rm -f "$site.godeploy-old"
  mv -f "$4" "$site"
  [ -L "$link" ] || ln -s "../sites-available/\${site##*/}" "$link"
fi
if ! out=$(nginx -t 2>&1); then
  if [ -f "$inc.godeploy-old" ]; then mv -f "$inc.godeploy-old" "$inc"; else rm -f "$inc"; fi
  if [ -n "$4" ]; then if [ -f "$site.godeploy-old" ]; then mv -f "$site.godeploy-old" "$site"; else rm -f "$site" "$link"; fi; fi
  echo "$out" >&2
  exit 5
fi
rm -f "$inc.godeploy-old" "$site.godeploy-old"
old=
for f in /proc/[0-9]*/cmdline; do
  case "$(tr '\\000' ' ' < "$f" 2>/dev/null)" in "nginx: worker process"*) p=\${f#/proc/}; old="$old \${p%/cmdline}";; esac
done
echo "workers$old"
systemctl reload nginx 2>/dev/null || systemctl start nginx`;

// $@: the pids of nginx's workers before the reload. A reload only signals nginx, so this
// waits (up to 30 s) until every one of them has exited: the workers of the old
// configuration have finished their requests to the old instance. Prints "drained" or "timeout".
export const DRAIN = `i=0
while [ $i -lt 300 ]; do
  left=
  for p in "$@"; do
    case "$(tr '\\000' ' ' < "/proc/$p/cmdline" 2>/dev/null)" in "nginx: worker process"*) left=1;; esac
  done
  [ -z "$left" ] && { echo drained; exit 0; }
  sleep 0.1; i=$((i+1))
done
echo timeout`;

// $1 state file, $2 port.
export const WRITE_STATE = 'printf "%s\\n" "$2" > "$1.tmp" && mv -f "$1.tmp" "$1"';

/** The blue-green service as a manager: restart/stop/state/logs act on the live instance. */
export function blueGreenManager(model: GenerateModel, base: string, unitText: string): ServiceManager {
  const name = model.app.name;
  const state = `${base}/.godeploy/active-port`;
  const onActive = (what: string): string[] => sh(`p=$(cat "$1" 2>/dev/null) || { echo "no live instance ($1 is missing)" >&2; exit 3; }; ${what}`, state, name);
  return {
    kind: 'systemd', name: `${name}@<live port>`,
    definition: { path: `/etc/systemd/system/${name}@.service`, content: unitText, reload: [['systemctl', 'daemon-reload']] },
    restart: onActive('systemctl reset-failed "$2@$p" 2>/dev/null; systemctl restart "$2@$p"'),
    stop: onActive('systemctl stop "$2@$p"'),
    state: onActive('systemctl show "$2@$p" --property=ActiveState,SubState,MainPID'),
    parseState: parseSystemctlShow,
    logs: (lines, since) => journalArgv(`${name}@*`, lines, since),
    envFileOwner: null,
  };
}
