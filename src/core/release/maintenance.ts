// Maintenance mode: nginx answers 503 with a small page (and Retry-After) for every path but
// the health check's, /.well-known/ (ACME challenges) and the page itself. Every generated
// site includes <app>.maintenance*.conf by a glob in the app's server, so the file's absence
// is "off"; on writes it (and the page), off removes it, each checked with nginx -t and
// followed by a reload. Used by every target with nginx on a host (hosts, a docker engine's host).
import { GoDeployError, usageError } from '../errors';
import type { GenerateModel } from '../generate/model';
import { lastOutputLine, type HostRunner } from '../remote/hostRunner';
import { shArgv as sh } from '../remote/quote';
import { DRAIN, NGINX_WORKERS } from './nginxWorkers';

/** Where maintenance mode answers requests from; nginx's internal redirect comes back here. */
export const MAINTENANCE_LOCATION = '/.godeploy-maintenance.html';
export const DEFAULT_RETRY_AFTER_SECONDS = 300;
export const DEFAULT_MAINTENANCE_MESSAGE = 'This service is down for maintenance and will be back shortly.';

export interface MaintenanceRenderInput {
  model: GenerateModel;
  message?: string;
  retryAfterSeconds?: number;
  since: Date;
  /** Who switched it on ("user@machine"). */
  by: string;
}

/** The line every generated site has in its app server (a glob: no file, no maintenance). */
export function maintenanceIncludeLine(model: GenerateModel): string {
  return `include ${model.nginx.maintenanceInclude.replace(/\.conf$/, '*.conf')};`;
}

/** A string as a regular expression matching exactly it (PCRE metacharacters escaped). */
const regexEscape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, (c) => `\\${c}`);

/**
 * A regular expression as a double-quoted nginx string: a `"` and an escaped backslash need a
 * backslash more; nginx keeps any other backslash (`\.`) as it is.
 */
const nginxRegexString = (re: string): string => `"${re.replace(/\\\\|"/g, (m) => (m === '"' ? '\\"' : '\\\\\\\\'))}"`;

/** The health check's path as nginx's $uri holds it (no query, percent-decoded), or null without an http check. */
function healthUri(model: GenerateModel): string | null {
  if (model.app.healthType !== 'http' || !model.app.healthPath) return null;
  const path = model.app.healthPath.split('?')[0];
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

const oneLine = (s: string): string => s.replace(/[\r\n]+/g, ' ').trim();

const htmlEscape = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** The server-level conf and the page maintenance mode writes. */
export function renderMaintenance(input: MaintenanceRenderInput): { conf: string; page: string } {
  const { model } = input;
  const app = model.app.name;
  const message = input.message?.trim() ? input.message.trim() : DEFAULT_MAINTENANCE_MESSAGE;
  const retryAfter = input.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
  if (!Number.isInteger(retryAfter) || retryAfter < 0)
    throw usageError(`--retry-after ${retryAfter} is not a number of seconds`, 'give a whole number of seconds, for example --retry-after 600');
  const health = healthUri(model);
  const pattern = `^(${[...(health ? [regexEscape(health)] : []), '/\\.well-known/.*', regexEscape(MAINTENANCE_LOCATION)].join('|')})$`;
  const conf = [
    `# Go Deploy maintenance mode for ${app}: on since ${input.since.toISOString()} by ${oneLine(input.by)}. \`godeploy maintenance off ${model.environment ?? 'ENV'}\` removes this file.`,
    `# message: ${JSON.stringify(message)}`,
    `if ($uri !~ ${nginxRegexString(pattern)}) {`,
    '    return 503;',
    '}',
    `error_page 503 ${MAINTENANCE_LOCATION};`,
    `location = ${MAINTENANCE_LOCATION} {`,
    '    internal;',
    `    alias ${model.nginx.maintenancePage};`,
    '    default_type text/html;',
    `    add_header Retry-After ${retryAfter} always;`,
    '    add_header Cache-Control "no-store" always;',
    '}',
    '',
  ].join('\n');
  const title = `${htmlEscape(app)}: down for maintenance`;
  const page = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${title}</title>`,
    '<style>body{font-family:system-ui,sans-serif;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center;background:#f6f7f9;color:#1f2328}main{max-width:36rem;padding:2rem}h1{font-size:1.5rem;margin:0 0 1rem}p{line-height:1.5;white-space:pre-line}</style>',
    '</head>',
    '<body>',
    '<main>',
    `<h1>${title}</h1>`,
    `<p>${htmlEscape(message)}</p>`,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
  return { conf, page };
}

export interface MaintenanceHostOptions {
  /** The host's name as output labels it (an alias, "engine"); default the runner's description. */
  host?: string;
  /**
   * Arguments for a private nginx (`-p PREFIX -c CONF`): nginx -t and the reload use them, and
   * the reload is `nginx ARGS -s reload` instead of systemd's. For tests.
   */
  nginxArgs?: string[];
  /**
   * A private nginx's pid file: its workers are told from other nginxes' on the machine by
   * their parent, so on and off wait for them (without it, a private nginx is not waited for).
   */
  nginxPidFile?: string;
}

export interface MaintenanceOnOptions extends MaintenanceHostOptions {
  message?: string;
  retryAfterSeconds?: number;
  by: string;
  /** The installed site that must include the maintenance glob (default /etc/nginx/sites-available/<app>.conf). */
  sitePath?: string;
  since?: Date;
}

// The reload after a change: systemd's when nginx runs under it (started if it is not running,
// as a blue-green switch does), else nginx's own signal; a private nginx (tests) by its signal.
// reload_and_wait returns once the workers of the old configuration are gone (DRAIN, 30 s at
// most): a reload only signals nginx, and until its master has started new workers and told the
// old ones to quit, requests still meet the old configuration. Maintenance "on" is honest only
// once every new request gets the 503, "off" only once every one reaches the app again.
const RELOAD = `reload() {
  if [ "$private" = 1 ]; then nginx "$@" -s reload; return; fi
  systemctl reload nginx 2>/dev/null || systemctl start nginx 2>/dev/null || nginx -s reload
}
drain() (
${DRAIN}
)
reload_and_wait() {
  ${NGINX_WORKERS.trim().split('\n').join('\n  ')}
  [ "$private" = 1 ] && [ -z "$pidfile" ] && old=
  reload "$@" >&2 || return 6
  drain $old >/dev/null
}`;

// $1 conf, $2 its text, $3 page, $4 its text, $5 site, $6 the include line, $7 nginx's pid
// file or "", $8 "1" for a private nginx; then nginx's arguments. Exit 3: no site; 4: the site lacks the include;
// prints "unchanged" when on with the same page and conf (but the first line: the time);
// exit 5 (old files back) when nginx -t fails; 6 when the reload fails.
const ON = `set -e
conf=$1 text=$2 page=$3 html=$4 site=$5 line=$6 pidfile=$7 private=$8
shift 8
${RELOAD}
[ -f "$site" ] || exit 3
grep -qF -- "$line" "$site" || exit 4
if [ -f "$conf" ] && [ -f "$page" ] && [ "$(tail -n +2 "$conf")" = "$(printf '%s' "$text" | tail -n +2)" ] && [ "$(cat "$page")" = "$(printf '%s' "$html")" ]; then
  echo unchanged; exit 0
fi
mkdir -p "\${conf%/*}" "\${page%/*}"
for f in "$conf" "$page"; do
  if [ -f "$f" ]; then cp -p "$f" "$f.godeploy-old"; else rm -f "$f.godeploy-old"; fi
done
printf '%s' "$html" > "$page.godeploy-tmp"
mv -f "$page.godeploy-tmp" "$page"
printf '%s' "$text" > "$conf.godeploy-tmp"
mv -f "$conf.godeploy-tmp" "$conf"
if ! out=$(nginx "$@" -t 2>&1); then
  for f in "$conf" "$page"; do
    if [ -f "$f.godeploy-old" ]; then mv -f "$f.godeploy-old" "$f"; else rm -f "$f"; fi
  done
  echo "$out" >&2
  exit 5
fi
rm -f "$conf.godeploy-old" "$page.godeploy-old"
reload_and_wait "$@" || exit 6
echo changed`;

// $1 conf, $2 page, $3 nginx's pid file or "", $4 "1" for a private nginx; then nginx's
// arguments. Same exits as ON. The page goes once the old workers (still answering 503 with it) are gone.
const OFF = `set -e
conf=$1 page=$2 pidfile=$3 private=$4
shift 4
${RELOAD}
if [ ! -f "$conf" ]; then rm -f "$page"; echo unchanged; exit 0; fi
mv -f "$conf" "$conf.godeploy-old"
if ! out=$(nginx "$@" -t 2>&1); then
  mv -f "$conf.godeploy-old" "$conf"
  echo "$out" >&2
  exit 5
fi
rm -f "$conf.godeploy-old"
reload_and_wait "$@" || exit 6
rm -f "$page"
echo changed`;

const STATUS = `if [ -f "$1" ]; then echo on; cat "$1"; else echo off; fi`;

const privateArgs = (o: MaintenanceHostOptions): string[] => [o.nginxPidFile ?? '', ...(o.nginxArgs ? ['1', ...o.nginxArgs] : ['0'])];

function failure(model: GenerateModel, host: string, action: string, r: { code: number | null; stdout: string; stderr: string }): GoDeployError {
  const env = model.environment ?? 'ENV';
  if (r.code === 5) {
    const check = r.stderr.trim().split('\n').filter(Boolean).join('; ') || 'no output';
    return new GoDeployError(`nginx -t on ${host} rejected maintenance mode ${action}: ${check}`, {
      hint: `nothing changed (the previous files are back); fix what nginx reports (nginx -t on ${host}), then run godeploy maintenance ${action} ${env} again`,
    });
  }
  if (r.code === 6) {
    return new GoDeployError(`maintenance mode ${action} on ${host}: nginx did not reload: ${lastOutputLine(r)}`, {
      hint: `the files are in place and nginx -t accepts them; start or reload nginx on ${host} (systemctl reload nginx)`,
    });
  }
  return new GoDeployError(`maintenance mode ${action} failed on ${host}: ${lastOutputLine(r)}`, {
    hint: `check that ${host} is reachable and that its user may write /etc/nginx`,
  });
}

/** Switches maintenance mode on (or changes its message); changed false when it was already on with the same message and Retry-After. */
export async function maintenanceOn(runner: HostRunner, model: GenerateModel, options: MaintenanceOnOptions): Promise<{ changed: boolean }> {
  const host = options.host ?? runner.describe;
  const { conf, page } = renderMaintenance({
    model,
    message: options.message,
    retryAfterSeconds: options.retryAfterSeconds,
    since: options.since ?? new Date(),
    by: options.by,
  });
  const site = options.sitePath ?? `/etc/nginx/sites-available/${model.app.name}.conf`;
  const line = maintenanceIncludeLine(model);
  const env = model.environment ?? 'ENV';
  const r = await runner.exec(sh(ON, model.nginx.maintenanceInclude, conf, model.nginx.maintenancePage, page, site, line, ...privateArgs(options)));
  if (r.code === 3) {
    throw new GoDeployError(`no nginx site for ${model.app.name} on ${host} (${site})`, { hint: `run godeploy setup ${env}, then deploy once` });
  }
  if (r.code === 4) {
    throw new GoDeployError(`the nginx site on ${host} predates maintenance mode: ${site} does not have the line ${line}`, {
      hint: `run godeploy setup ${env} (restart strategy) or deploy once, so that the site is written again`,
    });
  }
  if (r.code !== 0) throw failure(model, host, 'on', r);
  return { changed: !/^unchanged$/m.test(r.stdout) };
}

/** Switches maintenance mode off; changed false when it was off. */
export async function maintenanceOff(runner: HostRunner, model: GenerateModel, options: MaintenanceHostOptions = {}): Promise<{ changed: boolean }> {
  const r = await runner.exec(sh(OFF, model.nginx.maintenanceInclude, model.nginx.maintenancePage, ...privateArgs(options)));
  if (r.code !== 0) throw failure(model, options.host ?? runner.describe, 'off', r);
  return { changed: !/^unchanged$/m.test(r.stdout) };
}

export interface MaintenanceStatus {
  on: boolean;
  message?: string;
  /** ISO time it was switched on. */
  since?: string;
  by?: string;
}

/** Reads a maintenance conf's header: when, by whom and the message. */
export function parseMaintenanceConf(text: string): Omit<MaintenanceStatus, 'on'> {
  const out: Omit<MaintenanceStatus, 'on'> = {};
  const head = /^# Go Deploy maintenance mode for .*?: on since (\S+) by (.*?)\. `godeploy maintenance off/m.exec(text);
  if (head) {
    out.since = head[1];
    out.by = head[2];
  }
  const m = /^# message: (.*)$/m.exec(text);
  if (m) {
    try {
      const message: unknown = JSON.parse(m[1]);
      if (typeof message === 'string') out.message = message;
    } catch {
      /* a hand-edited header: no message */
    }
  }
  return out;
}

export async function maintenanceStatus(
  runner: HostRunner,
  model: GenerateModel,
  options: Pick<MaintenanceHostOptions, 'host'> = {},
): Promise<MaintenanceStatus> {
  const r = await runner.exec(sh(STATUS, model.nginx.maintenanceInclude));
  const host = options.host ?? runner.describe;
  if (r.code !== 0) throw new GoDeployError(`could not read maintenance mode on ${host}: ${lastOutputLine(r)}`, { hint: `check that ${host} is reachable` });
  const [first, ...rest] = r.stdout.split('\n');
  if (first.trim() !== 'on') return { on: false };
  return { on: true, ...parseMaintenanceConf(rest.join('\n')) };
}
