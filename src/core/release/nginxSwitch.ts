// Blue-green behind nginx: the site whose upstream names the live instance's port, and
// the script that flips it and reloads nginx. Used by the hosts and the docker targets.
import * as path from 'node:path';
import { shArgv as sh } from '../remote/quote';
import { type GenerateModel } from '../generate/model';
import { type GoDeployConfig } from '../config/model';
import { renderFiles } from '../generate/generate';
import { DRAIN, NGINX_WORKERS } from './nginxWorkers';

export { DRAIN, NGINX_WORKERS };

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
