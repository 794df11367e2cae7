// `godeploy setup ENV`: prepares each host of an ssh or local environment for its first
// deploy, idempotently. Each item is checked on the host and made only when missing or
// different, and says what it did: the service user (a system user without a login shell,
// when systemd.user or a supervisor program's user names one), the base folder and its
// releases/ and shared/ folders (app.shared folders owned by the service user), the
// generated unit(s) or supervisor program(s) installed and enabled (rendered as a deploy
// renders them, so the first deploy finds them unchanged), the nginx site (nginx -t before
// the reload; a failed check puts the old site back), logrotate for log files (supervisor,
// processManager none) and journald's limit when systemd.journal asks for one. doctor runs
// the same checks. Every script is fixed text with its values as positional arguments.
import { processManagerOf, strategyOf } from '../../config/model';
import { deployEnvironmentOf, type DeployEnvironment, type LoadedEnvironment } from '../../environment/load';
import type {
  OperationPlan,
  OperationStep,
  PreparedOperation,
  SetupHostResult,
  SetupItemOutcome,
  SetupItemResult,
  SetupRequest,
  SetupResult,
} from '../../environment/operations';
import { GoDeployError } from '../../errors';
import { resolveModelArgs } from '../../generate/args';
import { modelOfProcess, processesForRoles } from '../../generate/processes';
import type { DoctorCheck } from '../../release/checks';
import { blueGreenSite, nginxSwitchTarget } from '../../release/nginxSwitch';
import { hostList, selectOperationHosts } from '../../release/operationHosts';
import { referencesAsWritten, type ReferenceSources } from '../../config/references';
import { openHosts } from '../../remote/openHosts';
import { shArgv as sh, shellQuote } from '../../remote/quote';
import { CLAIM_BASE, LAYOUT } from './baseLayout';
import { managerOfModel, serviceManagerFor } from './deploy';
import type { ServiceManager } from './serviceManager';
import { serviceUserOf } from './serviceUser';

export { serviceUserCheck, serviceUserOf } from './serviceUser';

/** One thing setup prepares on a host (its title short, as doctor's column shows it; the detail names the user, file or unit): how it is checked (prints "ok …" or "missing …") and made (prints "ok …" or "created|installed|updated …"). */
export interface SetupItem {
  id: string;
  title: string;
  check: string[];
  apply: string[];
  /** Run after apply changed the item (daemon-reload, supervisorctl update, journald's restart). */
  after: string[][];
  /** What apply does, as a person would type it (for --dry-run). */
  shown: string[];
}

// $1 check|apply, $2 user. A system user without a home and without a login shell (Debian's
// /usr/sbin/nologin, else /sbin/nologin, else /bin/false).
export const USER_SCRIPT = `m=$1 u=$2
if getent passwd "$u" >/dev/null; then echo "ok user $u exists (uid $(id -u "$u"), shell $(getent passwd "$u" | cut -d: -f7))"; exit 0; fi
[ "$m" = apply ] || { echo "missing no user $u"; exit 0; }
s=/usr/sbin/nologin; [ -x "$s" ] || s=/sbin/nologin; [ -x "$s" ] || s=/bin/false
useradd --system --no-create-home --shell "$s" "$u" || exit 1
echo "created system user $u (uid $(id -u "$u"), shell $s)"`;

// $1 check|apply, $2 base, $3 app, then triples: folder (relative to the base, . for
// itself), owner ('' for the user setup runs as), mode. apply claims the base as a deploy
// does (the mark, releases/, shared/logs/, .godeploy/), then gives each folder its owner
// (and that owner's group) and mode. Exit 6 for a base Go Deploy may not write into.
export const FOLDERS_SCRIPT = `${LAYOUT}
${CLAIM_BASE}
m=$1 b=$2 app=$3; shift 3
done=
st=$(layout "$b" "$app")
r=$(printf '%s\\n' "$st" | sed -n 's/^refuse [a-z]* //p' | head -n 1)
[ -z "$r" ] || { printf '%s\\n' "$r" >&2; exit 6; }
if ! printf '%s\\n' "$st" | grep -q -x marked || printf '%s\\n' "$st" | grep -q '^missing '; then
  [ "$m" = apply ] || { echo "missing $b is not prepared (no mark or no releases/, shared/logs/)"; exit 0; }
  claim "$b" "$app" >/dev/null || exit 6
  done=" $b"
fi
while [ $# -ge 3 ]; do
  d=$b/$1 o=$2 mode=$3; shift 3
  [ -n "$o" ] || o=$(id -un)
  [ "$d" = "$b/." ] && d=$b
  [ -L "$d" ] && { echo "$d is a symlink: Go Deploy does not write through symlinks; move the link away" >&2; exit 6; }
  if [ -d "$d" ] && [ "$(stat -c %U "$d")" = "$o" ] && [ "$(stat -c %a "$d")" = "$mode" ]; then continue; fi
  [ "$m" = apply ] || { echo "missing $d (owner $o, mode $mode)"; exit 0; }
  mkdir -p "$d" && chown "$o:" "$d" && chmod "$mode" "$d" || exit 1
  case " $done " in *" $d "*) ;; *) done="$done $d";; esac
done
if [ -n "$done" ]; then echo "created$done"; else echo "ok $b and its folders"; fi`;

// $1 check|apply, $2 path, $3 content, $4 mode. Written through a temporary file and moved
// into place only when the content differs.
export const FILE_SCRIPT = `m=$1 p=$2
[ -L "$p" ] && { echo "$p is a symlink: Go Deploy does not write through symlinks" >&2; exit 6; }
if [ -f "$p" ] && printf '%s' "$3" | cmp -s - "$p"; then echo "ok $p"; exit 0; fi
[ -f "$p" ] && w=updated || w=installed
[ "$m" = apply ] || { [ $w = updated ] && echo "missing $p differs from what setup writes" || echo "missing $p"; exit 0; }
mkdir -p "\${p%/*}" && printf '%s' "$3" > "$p.godeploy-tmp" && chmod "$4" "$p.godeploy-tmp" && mv -f "$p.godeploy-tmp" "$p" || exit 1
echo "$w $p"`;

// $1 check|apply, $2 unit: enabled (started at boot; a deploy starts it).
export const ENABLE_SCRIPT = `m=$1 u=$2
if systemctl is-enabled --quiet "$u" 2>/dev/null; then echo "ok $u enabled"; exit 0; fi
[ "$m" = apply ] || { echo "missing $u is not enabled"; exit 0; }
systemctl enable --quiet "$u" || exit 1
echo "installed $u enabled"`;

// $1 check|apply, $2 site, $3 content, $4 the enabled link. The old site is kept until
// nginx -t passes; on a failed check it comes back (a new link goes) and the script exits 5
// with nginx's words on stderr. Then nginx reloads (or starts) and is enabled at boot.
export const NGINX_SITE_SCRIPT = `m=$1 site=$2 link=$4
if [ -f "$site" ] && printf '%s' "$3" | cmp -s - "$site" && [ -L "$link" ]; then echo "ok $site installed and enabled"; exit 0; fi
[ -f "$site" ] && w=updated || w=installed
[ "$m" = apply ] || { [ $w = updated ] && echo "missing $site differs from the generated site or is not in \${link%/*}" || echo "missing $site"; exit 0; }
[ -f "$site" ] && cp -p "$site" "$site.godeploy-old" || rm -f "$site.godeploy-old"
printf '%s' "$3" > "$site.godeploy-tmp" && chmod 644 "$site.godeploy-tmp" && mv -f "$site.godeploy-tmp" "$site" || exit 1
new=; [ -L "$link" ] || { ln -s "../sites-available/\${site##*/}" "$link" && new=1; }
if ! out=$(nginx -t 2>&1); then
  if [ -f "$site.godeploy-old" ]; then mv -f "$site.godeploy-old" "$site"; else rm -f "$site"; fi
  [ -z "$new" ] || rm -f "$link"
  printf '%s\\n' "$out" >&2
  exit 5
fi
rm -f "$site.godeploy-old"
systemctl reload nginx 2>/dev/null || systemctl start nginx || exit 1
systemctl enable --quiet nginx 2>/dev/null || true
echo "$w $site (nginx -t ok, nginx reloaded)"`;

const item = (id: string, title: string, script: string, args: string[], shown: string[], after: string[][] = []): SetupItem => ({
  id,
  title,
  check: sh(script, 'check', ...args),
  apply: sh(script, 'apply', ...args),
  after,
  shown,
});

/** A file setup writes (its content compared first): path, content, mode. */
const fileItem = (id: string, title: string, path: string, content: string, after: string[][] = []): SetupItem =>
  item(id, title, FILE_SCRIPT, [path, content, '644'], [`write ${path} (mode 0644) when it differs`, ...after.map((a) => `then: ${shellQuote(a)}`)], after);

/** logrotate's file for the app's log files: rotated daily, 14 kept, copytruncate (the writer keeps its file open). */
export function logrotateConfig(app: string, logDir: string): string {
  return [
    `# ${app}'s log files, written by godeploy setup.`,
    `${logDir}/*.log {`,
    '    daily',
    '    rotate 14',
    '    missingok',
    '    notifempty',
    '    compress',
    '    delaycompress',
    '    copytruncate',
    '}',
    '',
  ].join('\n');
}

/** journald's drop-in for systemd.journal. */
export const journaldConfig = (app: string, maxUse: string): string =>
  [`# journald's limits for ${app}, written by godeploy setup.`, '[Journal]', `SystemMaxUse=${maxUse}`, ''].join('\n');

/** What setup needs from an environment, rendered: the service managers per host and the nginx site. */
export interface SetupInputs {
  d: DeployEnvironment;
  /** Per host alias, the service managers of the processes it runs. */
  managers: Map<string, ServiceManager[]>;
  /** The nginx site (not for blue-green or canary: their deploy installs the site with its upstream or canary include). */
  site: { path: string; enabledLink: string; content: string } | null;
}

/** The items of one host, in the order they are made. */
export function setupItems(inputs: SetupInputs, host: string): SetupItem[] {
  const { d } = inputs;
  const app = d.model.app.name;
  const pm = processManagerOf(d.env);
  const user = serviceUserOf(d);
  const out: SetupItem[] = [];
  if (user)
    out.push(
      item('user', 'service user', USER_SCRIPT, [user], [`getent passwd ${user} || useradd --system --no-create-home --shell /usr/sbin/nologin ${user}`]),
    );
  // The deploy user (who setup runs as) owns the base, releases/ and shared/; the service
  // user owns the app.shared folders it writes (uploads, caches).
  const folders: [string, string, string][] = [
    ['.', '', '755'],
    ['releases', '', '755'],
    ['shared', '', '755'],
    ['shared/logs', '', '755'],
    ...d.model.shared.map((s): [string, string, string] => [`shared/${s}`, user ?? '', user ? '750' : '755']),
  ];
  out.push(
    item(
      'folders',
      'folders',
      FOLDERS_SCRIPT,
      [d.base, app, ...folders.flat()],
      folders.map(([f, o, m]) => `mkdir -p ${shellQuote([f === '.' ? d.base : `${d.base}/${f}`])} && chown ${o || '$(id -un)'}: … && chmod ${m} …`),
    ),
  );
  for (const m of inputs.managers.get(host) ?? []) {
    if (!m.definition) continue;
    const def = m.definition;
    out.push(fileItem(`service:${m.name}`, m.kind === 'systemd' ? 'unit' : 'program', def.path, def.content, def.reload));
    if (m.kind === 'systemd' && !m.name.includes('@'))
      out.push(item(`enabled:${m.name}`, 'unit enabled', ENABLE_SCRIPT, [m.name], [`systemctl enable --quiet ${m.name}`]));
  }
  if (inputs.site) {
    const s = inputs.site;
    out.push(
      item(
        'nginx',
        'nginx site',
        NGINX_SITE_SCRIPT,
        [s.path, s.content, s.enabledLink],
        [
          `write ${s.path}, ln -s ../sites-available/${s.path.split('/').pop()} ${s.enabledLink}`,
          'nginx -t (on failure the old site stays)',
          'systemctl reload nginx || systemctl start nginx',
        ],
      ),
    );
  }
  if (pm !== 'systemd') out.push(fileItem('logrotate', 'logrotate', `/etc/logrotate.d/${app}`, logrotateConfig(app, d.model.paths.logDir)));
  const journal = (d.env.type === 'ssh' ? d.env.systemd?.journal : undefined) ?? d.config.systemd?.journal;
  if (journal && pm === 'systemd')
    out.push(
      fileItem('journald', 'journald', `/etc/systemd/journald.conf.d/${app}.conf`, journaldConfig(app, journal.maxUse), [
        ['systemctl', 'restart', 'systemd-journald'],
      ]),
    );
  return out;
}

/** Renders what setup installs, as a deploy renders it (arguments resolved from `sources`). */
export async function setupInputs(d: DeployEnvironment, hosts: string[], sources: ReferenceSources = referencesAsWritten): Promise<SetupInputs> {
  const managers = new Map<string, ServiceManager[]>();
  const several = d.model.processes.length > 1;
  const single = several ? undefined : await serviceManagerFor(d, sources);
  const byProcess = new Map<string, ServiceManager>();
  for (const host of hosts) {
    if (single) {
      managers.set(host, [single]);
      continue;
    }
    const roles = d.env.type === 'ssh' ? d.env.hosts?.find((h) => h.host === host)?.roles : undefined;
    const list: ServiceManager[] = [];
    for (const p of processesForRoles(d.model, roles)) {
      if (!byProcess.has(p.name)) byProcess.set(p.name, await managerOfModel(d, await resolveModelArgs(modelOfProcess(d.model, p), sources)));
      list.push(byProcess.get(p.name)!);
    }
    managers.set(host, list);
  }
  const wantsNginx = d.env.type === 'ssh' && (d.env.nginx !== undefined || d.config.nginx !== undefined) && strategyOf(d.env) === 'restart';
  const site = wantsNginx ? nginxSwitchTarget(d.model, await blueGreenSite(d)).site : null;
  return { d, managers, site };
}

/** Parses a setup script's line: its first word and the rest. */
export function parseItemLine(stdout: string): { word: string; detail: string } {
  const line = stdout.trim().split('\n').pop() ?? '';
  const i = line.indexOf(' ');
  return i < 0 ? { word: line, detail: '' } : { word: line.slice(0, i), detail: line.slice(i + 1) };
}

/** The setup items as doctor checks: ok, or a warning pointing at `godeploy setup ENV`. */
export function setupChecks(items: SetupItem[], envName: string): DoctorCheck[] {
  return items.map((it) => ({
    id: `setup-${it.id}`,
    title: it.title,
    argv: it.check,
    interpret: (r) => {
      const { word, detail } = parseItemLine(r.stdout);
      if (r.code === 0 && word === 'ok') return { status: 'ok', detail };
      if (r.code === 0 && word === 'missing') return { status: 'warn', detail: `missing: ${detail}`, hint: `run \`godeploy setup ${envName}\`` };
      return {
        status: 'warn',
        detail: `cannot tell: ${(r.stderr || r.stdout).trim().split('\n')[0] || `exit ${r.code}`}`,
        hint: `run \`godeploy setup ${envName}\``,
      };
    },
  }));
}

export async function hostsSetup(e: LoadedEnvironment, req: SetupRequest): Promise<PreparedOperation<SetupResult>> {
  const d = deployEnvironmentOf(e, 'setup');
  const hosts = selectOperationHosts(d, req, 'setup');
  const inputs = await setupInputs(d, hosts, req.sources);
  const itemsOf = new Map(hosts.map((h) => [h, setupItems(inputs, h)]));
  const steps: OperationStep[] = hosts.flatMap((host) =>
    itemsOf.get(host)!.map((it) => ({ host, title: it.title, commands: [it.check, it.apply, ...it.after] })),
  );
  const plan: OperationPlan = {
    text: [
      `setup ${d.model.app.name} in ${d.name} on ${hostList(hosts)}: each item checked, made only when missing or different`,
      ...hosts.flatMap((h) => [`${h}:`, ...itemsOf.get(h)!.flatMap((it, i) => [`  ${i + 1}. ${it.title}`, ...it.shown.map((s) => `       ${s}`)])]),
    ].join('\n'),
    steps,
  };
  return {
    plan,
    run: async () => {
      const t0 = Date.now();
      const opened = await openHosts(d.env.type === 'ssh' ? { ...d, env: { ...d.env, hosts: (d.env.hosts ?? []).filter((h) => hosts.includes(h.host)) } } : d, {
        ...req.hosts,
        token: req.token,
      });
      try {
        const results = await Promise.all(
          opened.map(async (o): Promise<SetupHostResult> => {
            if (!o.ok) return { host: o.alias, address: o.address, ok: false, items: [], error: o.error.message, hint: o.error.hint, durationMs: 0 };
            const h0 = Date.now();
            const items: SetupItemResult[] = [];
            try {
              for (const it of itemsOf.get(o.alias) ?? []) {
                if (req.token?.isCancellationRequested) throw new GoDeployError(`setup cancelled on ${o.alias}`);
                const r = await o.host.runner.exec(it.apply);
                const { word, detail } = parseItemLine(r.stdout);
                if (r.code !== 0 || !['ok', 'created', 'installed', 'updated'].includes(word)) {
                  const why = (r.stderr || r.stdout).trim() || `exit ${r.code ?? 'signal'}`;
                  items.push({ id: it.id, title: it.title, outcome: 'failed', detail: why });
                  throw new GoDeployError(`${o.alias}: ${it.title}: ${why}`, {
                    hint: r.code === 5 ? 'nginx -t refused the site: the old site was kept; fix nginx settings and run setup again' : undefined,
                  });
                }
                for (const a of word === 'ok' ? [] : it.after) {
                  const x = await o.host.runner.exec(a);
                  if (x.code !== 0) throw new GoDeployError(`${o.alias}: ${it.title}: ${a.join(' ')} failed: ${(x.stderr || x.stdout).trim()}`);
                }
                items.push({ id: it.id, title: it.title, outcome: (word === 'ok' ? 'unchanged' : word) as SetupItemOutcome, detail });
              }
              return { host: o.alias, address: o.host.address, ok: true, items, durationMs: Date.now() - h0 };
            } catch (err) {
              return {
                host: o.alias,
                address: o.host.address,
                ok: false,
                items,
                error: (err as Error).message,
                hint: err instanceof GoDeployError ? err.hint : undefined,
                durationMs: Date.now() - h0,
              };
            }
          }),
        );
        return { environment: d.name, ok: results.every((r) => r.ok), dryRun: false, plan, hosts: results, durationMs: Date.now() - t0 };
      } finally {
        for (const o of opened) if (o.ok) o.close();
      }
    },
  };
}
