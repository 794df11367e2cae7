// A scripted stand-in for the hosts of an ssh (or local) deploy, for orchestration tests
// that run in milliseconds: every command a HostRunner is asked to run (exec argv, the
// script it runs, uploads, mkdir, port checks) is recorded with the host's name, and
// answered by a small model of the host (locks, releases, current, the running service)
// that understands the fixed scripts Go Deploy runs, unless a rule answers first. Faults:
// fail a given command (a non-zero exit without effect; a rejected upload), or drop the
// connection at a given moment (the command then throws as on a closed ssh connection,
// before or after it took effect on the host; every later call on that connection throws
// too) — reconnect() opens a fresh one, as DeployHost.reconnect does.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { DeployHost } from '../../src/core/remote/openHosts';
import type { HostProcess, HostRunner, HostRunResult } from '../../src/core/remote/hostRunner';
import { RELEASE_OWNED_SCRIPT } from '../../src/core/targets/hosts/lock';
import * as scripts from '../../src/core/targets/hosts/releaseScripts';
import type { ServiceManager } from '../../src/core/targets/hosts/serviceManager';
import type { UploadOptions } from '../../src/core/remote/session';

export type OpKind = 'exec' | 'upload' | 'mkdir' | 'spawn' | 'reach' | 'connectTcp' | 'connect';

/**
 * What a command is, by the script it runs: lock, lock+state, unlock, open-release, place,
 * assemble, complete, install-file, hook, switch, unswitch, read-current, restart, stop,
 * observe, logs, discard, finish, record, list-releases, free-space, uname, systemctl, …
 * ("exec <argv0>" when unknown); uploads are "upload <file name>".
 */
export type OpName = string;

export interface RecordedOp {
  /** Order over every host (1-based). */
  seq: number;
  host: string;
  /** Order on this host, across its connections (1-based). */
  hostSeq: number;
  /** The connection it ran on (1 for the first, 2 after one reconnect, …). */
  conn: number;
  kind: OpKind;
  what: OpName;
  argv?: string[];
  /** For `sh -c SCRIPT sh ARGS…`: ARGS. */
  args?: string[];
  path?: string;
  mode?: number;
  port?: number;
  /** How it ended: done, failed (an injected failure or a rule's non-zero exit), dropped (the connection closed), refused (called on a closed connection). */
  outcome?: 'done' | 'failed' | 'dropped' | 'refused';
}

export type Answer = Partial<HostRunResult> | ((op: RecordedOp, host: FakeHost) => Partial<HostRunResult>);

/** Which ops a rule or fault applies to: a name ("switch"), a name on a host, or any predicate. */
export type OpMatcher = OpName | ((op: RecordedOp) => boolean);

export type FaultKind = 'fail' | 'drop' | 'drop-after';

interface Fault {
  match: (op: RecordedOp) => boolean;
  kind: FaultKind;
  /** Fires on the nth matching op (1-based), once. */
  nth: number;
  seen: number;
  fired: boolean;
}

interface Rule {
  match: (op: RecordedOp) => boolean;
  answer: Answer;
  times: number;
}

const matcher = (m: OpMatcher, host?: string): ((op: RecordedOp) => boolean) =>
  typeof m === 'string' ? (op) => op.what === m && (host === undefined || op.host === host) : (op) => m(op) && (host === undefined || op.host === host);

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** One release folder on a fake host. */
export interface FakeRelease {
  sha: string;
  envSha: string | null;
  wentLive: boolean;
}

/** All the fake hosts of one test, their shared command log and the faults to inject. */
export class FakeWorld {
  readonly log: RecordedOp[] = [];
  readonly hosts = new Map<string, FakeHost>();
  private readonly faults: Fault[] = [];
  private readonly listeners: ((op: RecordedOp) => void)[] = [];
  /** The service manager whose restart/stop/observe/logs argv the hosts recognize. */
  manager?: Pick<ServiceManager, 'restart' | 'stop' | 'observe' | 'logs'>;

  constructor(options: { manager?: Pick<ServiceManager, 'restart' | 'stop' | 'observe' | 'logs'> } = {}) {
    this.manager = options.manager;
  }

  host(alias: string, init: Partial<Pick<FakeHost, 'base'>> & { releases?: Record<string, Partial<FakeRelease>>; current?: string | null } = {}): FakeHost {
    const h = new FakeHost(this, alias, init);
    this.hosts.set(alias, h);
    return h;
  }

  /** Called before each op runs (after it is recorded): e.g. cancel a token at that moment. */
  onOp(listener: (op: RecordedOp) => void): void {
    this.listeners.push(listener);
  }

  /** The nth op matching `m` (on `host`, if given) answers exit 1 (exec) or rejects (upload, mkdir, connectTcp), without effect. */
  fail(m: OpMatcher, o: { host?: string; nth?: number } = {}): this {
    return this.fault('fail', m, o);
  }

  /** The nth op matching `m` drops its connection: before it took effect, or (applied) after. */
  drop(m: OpMatcher, o: { host?: string; nth?: number; applied?: boolean } = {}): this {
    return this.fault(o.applied ? 'drop-after' : 'drop', m, o);
  }

  /** A fault at the op with this global sequence number, or this host's nth op. */
  fault(kind: FaultKind, m: OpMatcher, o: { host?: string; nth?: number } = {}): this {
    this.faults.push({ match: matcher(m, o.host), kind, nth: o.nth ?? 1, seen: 0, fired: false });
    return this;
  }

  /** The ops with these names, in order (all hosts, or one). */
  ops(filter: OpMatcher | OpMatcher[] = () => true, host?: string): RecordedOp[] {
    const ms = (Array.isArray(filter) ? filter : [filter]).map((m) => matcher(m, host));
    return this.log.filter((op) => ms.some((m) => m(op)));
  }

  /** "host:what" for each op (optionally only these names): a readable trace for assertions. */
  trace(filter?: OpMatcher | OpMatcher[]): string[] {
    return this.ops(filter).map((op) => `${op.host}:${op.what}`);
  }

  /** Which faults fired (for a replayable failure message). */
  firedFaults(): string[] {
    return this.faults.filter((f) => f.fired).map((f) => f.kind);
  }

  /** @internal */
  record(host: FakeHost, conn: number, op: Omit<RecordedOp, 'seq' | 'hostSeq' | 'host' | 'conn'>): { op: RecordedOp; fault?: FaultKind } {
    const full: RecordedOp = { ...op, seq: this.log.length + 1, hostSeq: ++host.opCount, host: host.alias, conn };
    this.log.push(full);
    for (const l of this.listeners) l(full);
    let fault: FaultKind | undefined;
    for (const f of this.faults) {
      if (f.fired || !f.match(full)) continue;
      if (++f.seen === f.nth) {
        f.fired = true;
        fault ??= f.kind;
      }
    }
    return { op: full, fault };
  }
}

/** A host's model: what Go Deploy's scripts would leave there. */
export class FakeHost {
  base = '/srv/deployapp';
  lock: string | null = null;
  current: string | null = null;
  /** The release the service runs (set by restart from current), or null when stopped. */
  running: string | null = null;
  readonly releases = new Map<string, FakeRelease>();
  /** Partial release folders: the files in them (name → sha256). */
  readonly partials = new Map<string, Map<string, string>>();
  /** Files outside releases (service definitions, their .godeploy-tmp uploads): path → sha256. */
  readonly files = new Map<string, string>();
  sharedEnvSha: string | null = null;
  readonly history: string[] = [];
  /** Releases whose health gate fails on this host (nothing accepts on the port while one runs). */
  readonly unhealthy = new Set<string>();
  /** When true, reconnect() fails (the host stays unreachable). */
  unreachable = false;
  /** Answers before the model (first match wins; `times` limits how often). */
  private readonly rules: Rule[] = [];
  opCount = 0;
  private conns = 0;
  private live: FakeConnection | undefined;

  constructor(
    readonly world: FakeWorld,
    readonly alias: string,
    init: { base?: string; releases?: Record<string, Partial<FakeRelease>>; current?: string | null },
  ) {
    if (init.base) this.base = init.base;
    for (const [id, r] of Object.entries(init.releases ?? {}))
      this.releases.set(id, { sha: r.sha ?? sha256(id), envSha: r.envSha ?? null, wentLive: r.wentLive ?? true });
    this.current = init.current ?? null;
    this.running = this.current;
    this.sharedEnvSha = this.current ? (this.releases.get(this.current)?.envSha ?? null) : null;
  }

  /** Answers ops matching `m` with `answer` instead of the model (at most `times` times). */
  on(m: OpMatcher, answer: Answer, times = Infinity): this {
    this.rules.push({ match: matcher(m), answer, times });
    return this;
  }

  /** A DeployHost on a fresh connection, with reconnect(). */
  deployHost(): DeployHost {
    const h: DeployHost = {
      alias: this.alias,
      address: `root@${this.alias}:22`,
      runner: this.connect(),
      reconnect: async () => {
        const r = this.connect(true);
        return r;
      },
    };
    return h;
  }

  /** A new connection (the old one, if any, is closed as reconnect() does). */
  connect(reconnecting = false): HostRunner {
    if (reconnecting) {
      const { fault } = this.world.record(this, this.conns, { kind: 'connect', what: 'connect' });
      if (this.unreachable || fault) throw new Error(`fake ssh: cannot reach ${this.alias}: connection refused`);
    }
    this.live?.close();
    this.live = new FakeConnection(this, ++this.conns);
    return this.live.runner;
  }

  /** The lock is free, and so on: a one-line summary for failure messages. */
  describeState(): string {
    return `${this.alias}: lock ${this.lock ? 'HELD' : 'free'}, current ${this.current ?? '-'}, running ${this.running ?? '-'}, releases ${[...this.releases.keys()].join(' ') || '-'}${this.partials.size ? `, partial ${[...this.partials.keys()].join(' ')}` : ''}`;
  }

  /** @internal a rule's answer, if one matches. */
  ruled(op: RecordedOp): HostRunResult | undefined {
    const r = this.rules.find((x) => x.times > 0 && x.match(op));
    if (!r) return undefined;
    r.times--;
    const a = typeof r.answer === 'function' ? r.answer(op, this) : r.answer;
    return { code: a.code ?? 0, stdout: a.stdout ?? '', stderr: a.stderr ?? '' };
  }

  /** @internal runs an exec against the model. */
  execModel(op: RecordedOp): HostRunResult {
    const a = op.args ?? [];
    const ok = (stdout = ''): HostRunResult => ({ code: 0, stdout, stderr: '' });
    const err = (code: number, stderr: string): HostRunResult => ({ code, stdout: '', stderr: `${stderr}\n` });
    const heldLines = (): string => `held\n1700000000 1700000100\n${this.lock}\n`;
    switch (op.what) {
      case 'uname':
        return ok('Linux x86_64\n');
      case 'lock':
        if (this.lock !== null) return ok(heldLines());
        this.lock = a[1];
        return ok('acquired\n');
      case 'lock+state': {
        if (this.lock !== null) return ok(heldLines());
        this.lock = a[1];
        const [token, , , , envSha, ...pairs] = a.slice(2);
        return ok(`acquired\n${token} 0\n${this.liveState(envSha, pairs)}\n`);
      }
      case 'lock-status':
        return ok(this.lock === null ? 'free\n' : heldLines());
      case 'unlock':
        if (this.lock === null) return ok('free\n');
        if (a[1] !== undefined && op.argv?.[2] === RELEASE_OWNED_SCRIPT && this.lock !== a[1]) return ok(heldLines());
        this.lock = null;
        return ok('released\n');
      case 'open-release': {
        const [, id, , sha] = a;
        if (this.releases.has(id)) return err(3, `release ${id} already exists`);
        const files = new Map<string, string>();
        this.partials.set(id, files);
        const from = [...this.releases].find(([, r]) => r.sha === sha)?.[0];
        if (from) files.set(a[2], sha);
        return ok(`free 1048576\n${from ? `reused ${from}` : 'missing'}\n`);
      }
      case 'place': {
        const [, id, name, sha, def] = a;
        const p = this.partials.get(id);
        if (!p?.has(`.${name}.upload`)) return err(3, `${this.base}/releases/.${id}.partial/.${name}.upload: No such file`);
        if (p.get(`.${name}.upload`) !== sha) return err(4, 'sha256 of the uploaded file differs');
        p.set(name, sha);
        p.delete(`.${name}.upload`);
        return this.complete(id, name, def);
      }
      case 'complete':
        return this.complete(a[1], undefined, a[2]);
      case 'install-file': {
        const sha = this.files.get(a[0]);
        if (sha === undefined) return err(1, `mv: cannot stat '${a[0]}'`);
        this.files.delete(a[0]);
        this.files.set(a[1], sha);
        return ok();
      }
      case 'switch': {
        const id = a[1];
        if (!this.releases.has(id)) return err(3, `${this.base}/releases/${id} does not exist`);
        const prev = this.current;
        this.current = id;
        this.sharedEnvSha = this.releases.get(id)!.envSha;
        return ok(`previous ${prev ?? ''}\nsince 1700000000\n`);
      }
      case 'unswitch':
        this.current = null;
        return ok();
      case 'read-current':
        return ok(this.current ? `releases/${this.current}\n` : '');
      case 'restart':
        if (!this.current) return err(1, 'no current release');
        this.running = this.current;
        return ok();
      case 'stop':
        this.running = null;
        return ok();
      case 'observe':
        return ok(
          this.running && !this.unhealthy.has(this.running) ? 'ActiveState=active\nSubState=running\nMainPID=4242\nNRestarts=0\n' : 'ActiveState=failed\n',
        );
      case 'logs':
        return ok(`-- fake log of ${this.running ?? 'nothing'} on ${this.alias} --\n`);
      case 'discard': {
        const id = a[1];
        this.partials.delete(id);
        if (this.current !== id) this.releases.delete(id);
        return ok();
      }
      case 'finish': {
        const [, id, line, , owner] = a;
        const r = this.releases.get(id);
        if (r) r.wentLive = true;
        this.history.push(line);
        let out = 'recorded\n';
        if (owner) {
          out += 'unlock\n';
          if (this.lock === null) out += 'free\n';
          else if (this.lock !== owner) out += heldLines();
          else {
            this.lock = null;
            out += 'released\n';
          }
        }
        return ok(out);
      }
      case 'record':
        this.history.push(a[1]);
        return ok();
      case 'list-releases': {
        if (!this.releases.size && !this.current) return ok('none\n');
        const lines = ['exists'];
        if (this.current) lines.push(`current\treleases/${this.current}\t${this.base}/releases/${this.current}`);
        for (const [id, r] of [...this.releases].sort(([x], [y]) => (x < y ? -1 : 1)))
          lines.push(`release\t${id}\t${this.base}/releases/${id}\t${r.sha ? 4_000_000 : '-'}\t${r.wentLive ? 1 : 0}`);
        return ok(`${lines.join('\n')}\n`);
      }
      case 'free-space':
        return ok('1048576\n');
      default:
        return ok();
    }
  }

  private complete(id: string, name: string | undefined, def: string | undefined): HostRunResult {
    const p = this.partials.get(id);
    if (!p) return { code: 7, stdout: '', stderr: `mv: cannot move ${this.base}/releases/.${id}.partial\n` };
    const exe = name ? p.get(name) : [...p].find(([f]) => !f.startsWith('.') && !f.endsWith('.env'))?.[1];
    const env = [...p].find(([f]) => f.endsWith('.env'))?.[1] ?? null;
    this.releases.set(id, { sha: exe ?? '', envSha: env, wentLive: false });
    this.partials.delete(id);
    const out = [...(def ? [`definition ${this.files.get(def) ?? 'none'}`] : []), `current ${this.current ? `releases/${this.current}` : ''}`];
    return { code: 0, stdout: `${out.join('\n')}\n`, stderr: '' };
  }

  /** LIVE_STATE's output for this host (after CLAIM_BASE, which adopts nothing here). */
  private liveState(envSha: string, pairs: string[]): string {
    const lines = ['free 1048576', ...[...this.releases].map(([id, r]) => `release ${id} ${r.sha || '-'}`)];
    if (!this.current) return [...lines, 'none'].join('\n');
    const r = this.releases.get(this.current);
    lines.push(`live ${this.current}`, `binary ${r?.sha || '-'}`);
    let same = r?.envSha === envSha && this.sharedEnvSha === envSha;
    for (let i = 0; i + 1 < pairs.length; i += 2) same &&= this.files.get(pairs[i]) === pairs[i + 1];
    lines.push(same ? 'rest same' : 'rest changed');
    return lines.join('\n');
  }

  /** @internal an upload into the model. */
  uploadModel(path: string, data: Buffer): void {
    const m = /\/releases\/\.([^/]+)\.partial\/([^/]+)$/.exec(path);
    if (m) {
      const p = this.partials.get(m[1]);
      if (!p) throw new Error(`fake sftp: ${path}: No such file`);
      p.set(m[2], sha256(data));
      return;
    }
    this.files.set(path, sha256(data));
  }

  /** @internal mkdir into the model. */
  mkdirModel(path: string): void {
    const m = /\/releases\/\.([^/]+)\.partial$/.exec(path);
    if (!m) return;
    if (this.partials.has(m[1]) || this.releases.has(m[1])) throw new Error(`fake sftp: ${path}: Failure (exists)`);
    this.partials.set(m[1], new Map());
  }

  /** @internal the gate's TCP connection. */
  acceptsTcp(): boolean {
    return this.running !== null && !this.unhealthy.has(this.running);
  }

  /** @internal */
  classify(argv: string[]): { what: OpName; args?: string[] } {
    const m = this.world.manager;
    const same = (x: string[] | undefined): boolean => !!x && x.length === argv.length && x.every((v, i) => v === argv[i]);
    if (m) {
      if (same(m.restart)) return { what: 'restart' };
      if (same(m.stop)) return { what: 'stop' };
      if (same(m.observe)) return { what: 'observe' };
      const logs = m.logs(50);
      if (argv[0] === logs[0] && (logs[0] === 'sh' ? argv[2] === logs[2] : argv[1] === logs[1])) return { what: 'logs' };
    }
    if (argv[0] === 'uname') return { what: 'uname' };
    // Without a manager: systemd's commands as serviceManager.ts words them.
    if (argv[0] === 'systemctl' && argv[1] === 'stop') return { what: 'stop' };
    if (argv[0] === 'systemctl') return { what: `systemctl ${argv[1]}` };
    if (argv[0] === 'sh' && /systemctl restart /.test(argv[2] ?? '')) return { what: 'restart' };
    if (argv[0] === 'sh' && /journalctl/.test(argv[2] ?? '')) return { what: 'logs' };
    if (argv[0] !== 'sh' || argv[1] !== '-c') return { what: `exec ${argv[0]}` };
    const s = argv[2];
    const args = argv.slice(4);
    const known: [string, OpName][] = [
      [RELEASE_OWNED_SCRIPT, 'unlock'],
      [scripts.OPEN_RELEASE, 'open-release'],
      [scripts.placeThenComplete(scripts.VERIFY_UPLOAD), 'place'],
      [scripts.placeThenComplete(scripts.ASSEMBLE_UPLOAD), 'assemble'],
      [scripts.COMPLETE_RELEASE, 'complete'],
      [scripts.INSTALL_FILE, 'install-file'],
      [scripts.HOOK, 'hook'],
      [scripts.SWITCH, 'switch'],
      [scripts.UNSWITCH, 'unswitch'],
      [scripts.DISCARD_RELEASE, 'discard'],
      [scripts.FINISH_DEPLOY, 'finish'],
      [scripts.RECORD, 'record'],
    ];
    const k = known.find(([text]) => text === s);
    if (k) return { what: k[1], args };
    // Scripts lock.ts, releases.ts and hostDeploy.ts keep to themselves, by what they say.
    if (s.startsWith('# take the deploy lock')) return { what: 'lock+state', args };
    if (s.includes('mkdir "$d" 2>/dev/null')) return { what: 'lock', args };
    if (s.includes('g="$1/.godeploy/lock.released.$$"')) return { what: 'unlock', args };
    if (s.startsWith('d="$1/.godeploy/lock"\nif [ -d "$d" ]')) return { what: 'lock-status', args };
    if (s.includes("printf 'release\\t")) return { what: 'list-releases', args };
    if (s.startsWith('readlink "$1/current"')) return { what: 'read-current', args };
    if (s.includes('df -Pk')) return { what: 'free-space', args };
    return { what: `sh ${s.split('\n')[0].slice(0, 40)}`, args };
  }
}

class FakeConnection {
  private alive = true;
  readonly runner: HostRunner;

  constructor(
    private readonly host: FakeHost,
    private readonly id: number,
  ) {
    this.runner = {
      describe: `root@${host.alias}:22`,
      local: false,
      exec: (argv, opts) => this.exec(argv, opts),
      spawn: (argv) => this.spawn(argv),
      interactive: () => Promise.reject(new Error('the fake hosts have no terminals')),
      upload: (source, path, opts) => this.upload(source, path, opts),
      mkdir: (path, mode) => this.op({ kind: 'mkdir', what: 'mkdir', path, mode }, () => this.host.mkdirModel(path)),
      reach: (port) =>
        this.op({ kind: 'reach', what: 'reach', port }, () => ({
          port: 9,
          close: async () => undefined,
        })),
      connectTcp: (port) =>
        this.op({ kind: 'connectTcp', what: 'connectTcp', port }, () => {
          if (!this.host.acceptsTcp()) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1'), { code: 'ECONNREFUSED' });
          return { close: () => undefined };
        }),
      prepareUploads: () => undefined,
    };
  }

  close(): void {
    this.alive = false;
  }

  private closedError(): Error {
    return new Error(`fake ssh: the connection to ${this.host.alias} is closed`);
  }

  /** Records, applies faults, runs `fn` for a non-exec op (a failure rejects). */
  private async op<T>(o: Omit<RecordedOp, 'seq' | 'hostSeq' | 'host' | 'conn'>, fn: () => T): Promise<T> {
    await Promise.resolve();
    const { op, fault } = this.host.world.record(this.host, this.id, o);
    if (!this.alive) {
      op.outcome = 'refused';
      throw this.closedError();
    }
    if (fault === 'fail') {
      op.outcome = 'failed';
      throw new Error(`fake ${o.kind}: injected failure (${o.what})`);
    }
    if (fault === 'drop') return this.dropNow(op);
    try {
      const v = fn();
      if (fault === 'drop-after') return this.dropNow(op);
      op.outcome = 'done';
      return v;
    } catch (e) {
      op.outcome = 'failed';
      throw e;
    }
  }

  private dropNow(op: RecordedOp): never {
    op.outcome = 'dropped';
    this.alive = false;
    throw new Error(`fake ssh: connection to ${this.host.alias} closed while running ${op.what}`);
  }

  private async exec(argv: string[], opts?: { stdin?: string | Buffer }): Promise<HostRunResult> {
    const { what, args } = this.host.classify(argv);
    await Promise.resolve();
    const { op, fault } = this.host.world.record(this.host, this.id, { kind: 'exec', what, argv, args });
    void opts;
    if (!this.alive) {
      op.outcome = 'refused';
      throw this.closedError();
    }
    if (fault === 'fail') {
      op.outcome = 'failed';
      return { code: 1, stdout: '', stderr: `injected failure of ${what} on ${this.host.alias}\n` };
    }
    if (fault === 'drop') return this.dropNow(op);
    const r = this.host.ruled(op) ?? this.host.execModel(op);
    if (fault === 'drop-after') return this.dropNow(op);
    op.outcome = r.code === 0 ? 'done' : 'failed';
    return r;
  }

  private async upload(source: string | Buffer, path: string, opts: UploadOptions): Promise<void> {
    const name = path.slice(path.lastIndexOf('/') + 1);
    await this.op({ kind: 'upload', what: `upload ${name}`, path, mode: opts.mode }, () => {
      if (opts.token?.isCancellationRequested) throw new Error(`copy to ${path} cancelled`);
      this.host.uploadModel(path, typeof source === 'string' ? readFileSync(source) : source);
    });
  }

  private async spawn(argv: string[]): Promise<HostProcess> {
    const { what } = this.host.classify(argv);
    return this.op({ kind: 'spawn', what, argv }, () => {
      throw new Error('fake: spawn is not modelled');
    });
  }
}
