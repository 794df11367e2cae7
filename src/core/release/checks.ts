// The preflight checks of `godeploy doctor` as data: what to run (argv, never a shell
// string with values in it) and how to read the output. Pure: unit-tested without a host.
import type { HostRunResult } from '../remote/hostRunner';
import { CheckOutcome } from '../environment/types';

/** Local wall-clock times (ms) around the command, for the clock check. */
export interface RunTiming {
  startMs: number;
  endMs: number;
}
/** One command and its reading; a reading may ask for a follow-up command (the port's owner). */
export interface CheckStep {
  /** null: nothing to run on the host (the outcome follows from the configuration). */
  argv: string[] | null;
  interpret(r: HostRunResult, timing: RunTiming): CheckOutcome | CheckStep;
}
export interface DoctorCheck extends CheckStep {
  id: string;
  title: string;
}

export interface DoctorInputs {
  port: number;
  basePath: string;
  processManager: 'systemd' | 'supervisor' | 'none';
  /** build.targets, e.g. ["linux/amd64", "linux/arm/7"]; empty: not set. */
  targets: string[];
  limitNOFILE: number;
  /** The app's name: its env, pid and log files are checked too (not symlinks), and the base's mark names it. */
  appName?: string;
  /** A deploy's preflight: a missing part of the layout is a warning (the deploy makes it again), not a failure. */
  repairLayout?: boolean;
}

export interface GoPlatform {
  goos: string;
  goarch: string;
  variant: string | null;
  id: string;
}

const osMap: Record<string, string> = { Linux: 'linux', Darwin: 'darwin', FreeBSD: 'freebsd', OpenBSD: 'openbsd', NetBSD: 'netbsd' };
const archMap: Record<string, string> = {
  x86_64: 'amd64',
  amd64: 'amd64',
  aarch64: 'arm64',
  arm64: 'arm64',
  i386: '386',
  i486: '386',
  i586: '386',
  i686: '386',
  ppc64le: 'ppc64le',
  ppc64: 'ppc64',
  s390x: 's390x',
  riscv64: 'riscv64',
  loongarch64: 'loong64',
  mips64: 'mips64',
};

/** `uname -s` and `uname -m` to Go's GOOS/GOARCH (and GOARM for 32-bit ARM); null when Go has no such port. */
export function goPlatform(kernel: string, machine: string): GoPlatform | null {
  const goos = osMap[kernel];
  if (!goos) return null;
  const arm = /^armv(\d+)/.exec(machine);
  if (arm) {
    const v = String(Math.min(7, Number(arm[1])));
    return Number(v) >= 5 ? { goos, goarch: 'arm', variant: v, id: `${goos}/arm/${v}` } : null;
  }
  const goarch = archMap[machine];
  return goarch ? { goos, goarch, variant: null, id: `${goos}/${goarch}` } : null;
}

/** Whether a build target runs on the platform (an ARM build for an older GOARM runs on newer cores). */
export function targetRunsOn(target: string, p: GoPlatform): boolean {
  const [goos, goarch, variant] = target.split('/');
  if (goos !== p.goos || goarch !== p.goarch) return false;
  return goarch !== 'arm' || !variant || !p.variant || Number(variant) <= Number(p.variant);
}

export const failed = (what: string, r: HostRunResult): CheckOutcome => ({
  status: 'fail',
  detail: `${what} failed (exit ${r.code ?? 'signal'}): ${(r.stderr || r.stdout).trim().split('\n')[0] || 'no output'}`,
});

export function platformCheck(targets: string[]): DoctorCheck {
  return {
    id: 'platform',
    title: 'platform',
    argv: ['uname', '-s', '-m'],
    interpret: (r) => {
      if (r.code !== 0) return failed('uname', r);
      const [kernel = '', machine = ''] = r.stdout.trim().split(/\s+/);
      const p = goPlatform(kernel, machine);
      if (!p)
        return { status: 'warn', detail: `${kernel} ${machine}: not a platform Go Deploy knows`, hint: 'check `go tool dist list` for a matching GOOS/GOARCH' };
      if (targets.length && !targets.some((t) => targetRunsOn(t, p))) {
        return { status: 'warn', detail: `${p.id}, not in build.targets (${targets.join(', ')})`, hint: `add ${p.id} to build.targets in godeploy.yaml` };
      }
      return { status: 'ok', detail: p.id };
    },
  };
}

/** Prints the path itself or its nearest existing parent, then `df -Pk` of it. */
export const DISK_SCRIPT = 'p=$1; while [ ! -e "$p" ] && [ "$p" != / ]; do p=$(dirname -- "$p"); done; printf "%s\\n" "$p"; df -Pk -- "$p"';

export function formatMB(mb: number): string {
  return mb >= 1024 ? `${(mb / 1024).toFixed(1)} GB` : `${Math.floor(mb)} MB`;
}

export function diskCheck(base: string): DoctorCheck {
  return {
    id: 'disk',
    title: 'disk',
    argv: ['sh', '-c', DISK_SCRIPT, 'sh', base],
    interpret: (r) => {
      if (r.code !== 0) return failed('df', r);
      const lines = r.stdout.trim().split('\n');
      const m = /\s(\d+)\s+(\d+)\s+(\d+)\s+\d+%\s+(.+)$/.exec(lines[lines.length - 1] ?? '');
      if (!m) return { status: 'fail', detail: `could not read df output: ${lines[lines.length - 1] ?? ''}` };
      const mb = Number(m[3]) / 1024;
      const where = `${formatMB(mb)} free under ${lines[0]} (${m[4]})`;
      if (mb < 100) return { status: 'fail', detail: where, hint: 'a release needs room for the binary and its logs: free at least 1 GB' };
      if (mb < 1024) return { status: 'warn', detail: where, hint: 'less than 1 GB free; old releases and logs will fill it' };
      return { status: 'ok', detail: where };
    },
  };
}

export interface ListenSocket {
  address: string;
  port: number;
  uid: number;
  inode: string;
}

function hexAddress(hex: string): string {
  const bytes = (h: string) => h.match(/../g)!.reverse().join('');
  if (hex.length === 8)
    return bytes(hex)
      .match(/../g)!
      .map((b) => parseInt(b, 16))
      .join('.');
  const words = (hex.match(/.{8}/g) ?? []).map(bytes).join('');
  if (/^0+$/.test(words)) return '[::]';
  if (/^0{31}1$/.test(words)) return '[::1]';
  return `[${(words.match(/.{4}/g) ?? []).map((w) => w.replace(/^0+(?=.)/, '')).join(':')}]`;
}

/** LISTEN (state 0A) sockets on `port` in /proc/net/tcp and /proc/net/tcp6 text. */
export function listenSockets(procNetTcp: string, port: number): ListenSocket[] {
  const out: ListenSocket[] = [];
  for (const line of procNetTcp.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !/^\d+:$/.test(f[0]) || f[3] !== '0A') continue;
    const [addr, portHex] = f[1].split(':');
    if (parseInt(portHex, 16) === port) out.push({ address: hexAddress(addr), port, uid: Number(f[7]), inode: f[9] });
  }
  return out;
}

/**
 * $1 base, then socket inodes: "pid=P<TAB>exe=E<TAB>cmd=C" lines (cmd only for a process
 * outside the base), then "uid=N" when no process was found, and "base=<base resolved>"
 * when a process outside the base as written was: what the answer needs, and no process
 * more (a redeploy finds the live release holding the port on every run).
 */
export const OWNER_SCRIPT = [
  'b=$1; shift; found=; other=',
  'for ino in "$@"; do for fd in $(find /proc/[0-9]*/fd -maxdepth 1 -lname "socket:\\[$ino\\]" 2>/dev/null); do',
  'pid=${fd#/proc/}; pid=${pid%%/*}; exe=$(readlink "/proc/$pid/exe" 2>/dev/null); cmd=',
  'case $exe in "$b"/*) ;; *) other=1; cmd=$(tr "\\000" " " < "/proc/$pid/cmdline" 2>/dev/null) ;; esac',
  'printf "pid=%s\\texe=%s\\tcmd=%s\\n" "$pid" "$exe" "$cmd"; found=1',
  'done; done',
  '[ -n "$found" ] || echo "uid=$(id -u)"',
  '[ -z "$other" ] || echo "base=$(readlink -f "$b" 2>/dev/null)"',
].join('\n');

export interface PortOwner {
  pid: number;
  exe: string;
  cmd: string;
}

export function interpretOwners(port: number, base: string, sockets: ListenSocket[], r: HostRunResult): CheckOutcome {
  const uid = Number(/^uid=(\d+)/m.exec(r.stdout)?.[1] ?? -1);
  const owners: PortOwner[] = [
    ...new Map(
      [...r.stdout.matchAll(/^pid=(\d+)\texe=([^\t]*)\tcmd=(.*)$/gm)].map((m) => [m[1], { pid: Number(m[1]), exe: m[2], cmd: m[3].trim() }] as const),
    ).values(),
  ];
  const on = `${port} (${sockets.map((s) => s.address).join(', ')})`;
  if (!owners.length) {
    const hint = 'stop it, or give this environment another app.port';
    if (uid !== 0)
      return {
        status: 'fail',
        detail: `${on} is held by a process of another user (socket uid ${sockets[0].uid})`,
        hint: `connect as root to name it; ${hint}`,
      };
    return {
      status: 'fail',
      detail: `${on} is held by a process outside the host's view (socket uid ${sockets[0].uid}; another container or network namespace sharing this network)`,
      hint,
    };
  }
  const o = owners[0];
  const more = owners.length > 1 ? ` and ${owners.length - 1} more` : '';
  const what = `pid ${o.pid} (${o.exe || o.cmd || 'unknown'})${more}`;
  // /proc/PID/exe is a resolved path: compare with the base as written and as resolved.
  const roots = [base, /^base=(.+)$/m.exec(r.stdout)?.[1] ?? base].map((b) => b.replace(/\/+$/, ''));
  if (owners.every((x) => roots.some((root) => x.exe.startsWith(`${root}/`))))
    return { status: 'warn', detail: `${on} is held by ${what}, the current release`, hint: 'the deploy replaces it' };
  return {
    status: 'fail',
    detail: `${on} is held by ${what}${o.cmd && o.exe ? `: ${o.cmd}` : ''}`,
    hint: 'stop that process, or give this environment another app.port',
  };
}

const OWNERS_MARK = '@@owners';

// $1 base, $2 the port in hex as /proc/net/tcp writes it: the listing, then, when a socket
// listens on the port, OWNERS_MARK and OWNER_SCRIPT's output for those sockets, in one run
// (one awk prints the listing and finds the sockets; without awk, the listing alone and the
// owners in a second round trip), so a port held by the live release costs no second trip.
export const PORT_SCRIPT = `files=
for f in /proc/net/tcp /proc/net/tcp6; do [ -r "$f" ] && files="$files $f"; done
out=$(awk -v p=":$2" '{ print } $4 == "0A" && $10 != "0" && substr($2, length($2) - 4) == p { i = i " " $10 } END { print "@@inodes" i }' $files 2>/dev/null) || { cat $files 2>/dev/null; exit 0; }
printf '%s\\n' "\${out%@@inodes*}"
inodes=\${out##*@@inodes}
[ -n "$inodes" ] || exit 0
echo ${OWNERS_MARK}
set -- "$1" $inodes
(
${OWNER_SCRIPT}
)
exit 0`;

export function portCheck(port: number, base: string): DoctorCheck {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return {
    id: 'port',
    title: 'port',
    argv: ['sh', '-c', PORT_SCRIPT, 'sh', base, hex],
    interpret: (r) => {
      const [listing, owners] = r.stdout.split(`\n${OWNERS_MARK}\n`);
      if (!/local_address/.test(listing))
        return { status: 'warn', detail: `could not read /proc/net/tcp: ${(r.stderr || 'no output').trim()}`, hint: `check by hand that ${port} is free` };
      const sockets = listenSockets(listing, port);
      if (!sockets.length) return { status: 'ok', detail: `${port} is free` };
      if (owners !== undefined) return interpretOwners(port, base, sockets, { ...r, stdout: owners });
      const inodes = [...new Set(sockets.map((s) => s.inode).filter((i) => i !== '0'))];
      return { argv: ['sh', '-c', OWNER_SCRIPT, 'sh', base, ...inodes], interpret: (o) => interpretOwners(port, base, sockets, o) };
    },
  };
}

/** What the canary site and include use from nginx modules a build can leave out (`--without-…`), and why. */
export const CANARY_NGINX_MODULES: { flag: string; name: string; why: string }[] = [
  { flag: '--without-http_map_module', name: 'map', why: 'the canary include picks the pool and the sticky cookie with map' },
  { flag: '--without-http_upstream_keepalive_module', name: 'upstream keepalive', why: 'the canary upstreams keep connections open (keepalive)' },
  { flag: '--without-http_proxy_module', name: 'proxy', why: 'the site proxies to the pool (proxy_pass)' },
  { flag: '--without-http_rewrite_module', name: 'rewrite', why: 'the site and maintenance mode answer with return and if' },
];

/** The first nginx whose JSON log format (log_format escape=json) the canary's analysis reads. */
const CANARY_NGINX_MIN = [1, 11, 8];

/**
 * strategy canary: nginx on the host is there and was built with what the canary site needs
 * (`nginx -V`: its version and configure arguments; nginx prints them on stderr).
 */
export function nginxModulesCheck(): DoctorCheck {
  return {
    id: 'nginx-modules',
    title: 'nginx modules',
    argv: ['sh', '-c', 'PATH="$PATH:/usr/sbin:/sbin"; nginx -V 2>&1'],
    interpret: (r) => {
      const out = `${r.stdout}${r.stderr}`;
      if (r.code === 127 || /nginx: (command )?not found/.test(out))
        return {
          status: 'fail',
          detail: 'nginx not found',
          hint: 'strategy canary sends traffic through nginx on this host: install it (apt install nginx), or use strategy: restart',
        };
      const version = /nginx version: nginx\/(\d+)\.(\d+)\.(\d+)/.exec(out);
      if (r.code !== 0 || !version) return failed('nginx -V', r);
      const v = version.slice(1, 4).map(Number);
      const said = `nginx ${v.join('.')}`;
      const missing = CANARY_NGINX_MODULES.filter((m) => new RegExp(`(^|\\s)${m.flag}(\\s|$)`, 'm').test(out));
      if (missing.length)
        return {
          status: 'fail',
          detail: `${said} was built without ${missing.map((m) => `the ${m.name} module (${m.flag})`).join(' and ')}: ${missing.map((m) => m.why).join('; ')}`,
          hint: 'install an nginx built with it (Debian/Ubuntu: apt install nginx; the nginx.org packages have it), or use strategy: blue-green or restart',
        };
      const older = v[0] - CANARY_NGINX_MIN[0] || v[1] - CANARY_NGINX_MIN[1] || v[2] - CANARY_NGINX_MIN[2];
      if (older < 0)
        return {
          status: 'fail',
          detail: `${said} is older than ${CANARY_NGINX_MIN.join('.')}: it cannot write the JSON access log (log_format escape=json) the canary's analysis reads`,
          hint: 'upgrade nginx on this host, or use strategy: blue-green or restart',
        };
      return { status: 'ok', detail: `${said}: ${CANARY_NGINX_MODULES.map((m) => m.name).join(', ')} modules built in` };
    },
  };
}
