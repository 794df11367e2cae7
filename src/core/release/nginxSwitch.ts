// Blue-green behind nginx: the site whose upstream names the live instance's port, and
// the script that flips it and reloads nginx. Used by the hosts and the docker targets.
import * as path from 'node:path';
import { shArgv as sh } from '../remote/quote';
import { type GenerateModel } from '../generate/model';
import { type GoDeployConfig } from '../config/model';
import { renderFiles } from '../generate/generate';

/** Where a blue-green switch sends nginx: the upstream include it rewrites and the site that includes it. */
export interface NginxSwitchTarget {
  include: string;
  site: { path: string; enabledLink: string; content: string };
}

export function nginxSwitchTarget(model: GenerateModel, siteText: string): NginxSwitchTarget {
  const name = model.app.name;
  return {
    include: model.nginx.upstreamInclude!,
    site: { path: `/etc/nginx/sites-available/${name}.conf`, enabledLink: `/etc/nginx/sites-enabled/${name}.conf`, content: siteText },
  };
}

/** The environment's nginx site as a blue-green switch installs it (user templates honoured). */
export async function blueGreenSite(d: { model: GenerateModel; config: GoDeployConfig; moduleDir: string }): Promise<string> {
  const templatesDir = d.config.templates ? path.resolve(d.moduleDir, d.config.templates) : undefined;
  const [site] = await renderFiles(['nginx'], d.model, d.moduleDir, { templatesDir });
  return site.content;
}

/** The include's text for the live instance on 127.0.0.1:`port`. */
export const upstreamServer = (port: number | string): string => `server 127.0.0.1:${port};`;

/** The port an include written by FLIP_NGINX sends traffic to, or null. */
export function upstreamPort(includeText: string): number | null {
  const m = /^\s*server 127\.0\.0\.1:(\d+);/m.exec(includeText);
  return m ? Number(m[1]) : null;
}

/** FLIP_NGINX's argv sending nginx to 127.0.0.1:`port`, the site uploaded beforehand to `<site>.godeploy-tmp`. */
export const flipNginxArgv = (t: NginxSwitchTarget, port: number | string): string[] =>
  sh(FLIP_NGINX, t.include, upstreamServer(port), t.site.path, `${t.site.path}.godeploy-tmp`, t.site.enabledLink);

/** The nginx worker pids FLIP_NGINX printed (the ones DRAIN waits for). */
export const workersBeforeReload = (flipStdout: string): string[] => (/^workers(.*)$/m.exec(flipStdout)?.[1] ?? '').trim().split(/\s+/).filter(Boolean);

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

// $1 include, $2 its new text, $3 site path, $4 uploaded site text or "", $5 enabled link.
// Writes the include (and the site when given) keeping the old ones, checks with nginx -t,
// reloads (or starts) nginx; on a failed check the old files come back and it exits 5.
// Prints "workers <pids>": every nginx worker before the reload (NGINX_WORKERS), which DRAIN waits for.
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
pidfile=
${NGINX_WORKERS}echo "workers$old"
systemctl reload nginx 2>/dev/null || systemctl start nginx`;

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
