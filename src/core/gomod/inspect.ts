import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { GoDeployError, usageError } from '../errors';
import { parseModFile, parseWorkFile, type ModFile } from './modfile';
import { readGoFile, type GoFileFacts } from './source';
import { withFileErrors } from '../fs/fileErrors';

/** A fact found in the module's files, with where it came from (paths relative to the module). */
export interface Finding {
  file: string;
  line: number;
  reason: string;
}

export interface ModuleInspection {
  /** Absolute folder holding go.mod. */
  dir: string;
  module: string;
  goVersion: string | null;
  toolchain: string | null;
  /** Main packages as relative package paths: "." or "./cmd/api". */
  mains: string[];
  cgo: boolean;
  cgoReasons: Finding[];
  port: number | null;
  portSource: Finding | null;
  readsPortEnv: boolean;
  /** The service tells systemd when it is ready (sd_notify): the unit can use Type=notify. */
  sdNotify: Finding | null;
  embed: boolean;
  embedFiles: string[];
  healthPath: string | null;
  work: { file: string; goVersion: string | null; use: string[] } | null;
  /** vendor/modules.txt exists: builds use -mod=vendor and need no download. */
  vendored: boolean;
  /** go.mod `replace` directives that point at a local folder (relative to the module). */
  localReplaces: { path: string; to: string; line: number }[];
}

/** Dependencies that only build with cgo. */
const cgoModules = [
  'github.com/mattn/go-sqlite3',
  'github.com/confluentinc/confluent-kafka-go',
  'github.com/google/gopacket/pcap',
  'github.com/miekg/pkcs11',
  'github.com/linxGnu/grocksdb',
  'github.com/tecbot/gorocksdb',
  'github.com/DataDog/zstd',
  'github.com/ceph/go-ceph',
  'gopkg.in/gographics/imagick',
  'github.com/go-gl/glfw',
];

/** Packages that implement sd_notify. */
const sdNotifyPackages = ['github.com/coreos/go-systemd/daemon', 'github.com/coreos/go-systemd/v22/daemon', 'github.com/okzk/sdnotify', 'github.com/iguanesolutions/go-systemd/v5/notify'];

const skipDirs = new Set(['vendor', 'testdata', 'node_modules']);
const maxFiles = 20_000;
const maxFileBytes = 2 * 1024 * 1024;

/** The folder with go.mod at or above `start`. */
export async function findModuleDir(start: string): Promise<string> {
  let dir = path.resolve(start);
  for (;;) {
    if (await exists(path.join(dir, 'go.mod'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  const work = path.join(path.resolve(start), 'go.work');
  if (await exists(work)) {
    const use = parseWorkFile(await fs.readFile(work, 'utf8')).use;
    throw usageError(`${path.resolve(start)} holds a go.work workspace, not a module`, `run in one of its modules: ${use.join(', ') || '(go.work lists none)'}`);
  }
  throw usageError(`no go.mod in ${path.resolve(start)} or any parent folder`, 'run in a Go module (a folder with go.mod), or pass its folder');
}

/** Inspects the Go module at or above `start`. Reads files only; never runs the user's code. */
export async function inspectModule(start: string): Promise<ModuleInspection> {
  const dir = await findModuleDir(start);
  const modText = await withFileErrors('read', path.join(dir, 'go.mod'), () => fs.readFile(path.join(dir, 'go.mod'), 'utf8'), 'config');
  const mod = parseModFile(modText);
  if (!mod.module) {
    throw new GoDeployError(`${path.join(dir, 'go.mod')} has no module directive`, { hint: 'the first line of go.mod is `module <path>`', exitCode: 2, location: { file: path.join(dir, 'go.mod'), line: 1, col: 1 } });
  }
  const packages = await withFileErrors('read', dir, () => readPackages(dir), 'config');
  const result: ModuleInspection = {
    dir,
    module: mod.module,
    goVersion: mod.go ?? null,
    toolchain: mod.toolchain ?? null,
    mains: [],
    cgo: false,
    cgoReasons: cgoFromRequires(mod),
    port: null,
    portSource: null,
    readsPortEnv: false,
    sdNotify: null,
    embed: false,
    embedFiles: [],
    healthPath: null,
    work: await findWork(dir),
    vendored: await exists(path.join(dir, 'vendor', 'modules.txt')),
    localReplaces: mod.replaces.filter((r) => r.local).map(({ path: p, to, line }) => ({ path: p, to, line })),
  };
  const portCandidates: { port: number; score: number; finding: Finding; main: boolean }[] = [];
  for (const [rel, files] of [...packages].sort(([a], [b]) => a.localeCompare(b))) {
    const isMain = files.some((f) => f.facts.packageName === 'main');
    if (isMain) result.mains.push(rel === '' ? '.' : `./${rel}`);
    for (const { name, facts } of files) {
      const file = rel ? `${rel}/${name}` : name;
      for (const imp of facts.imports) {
        if (imp.path === 'C') result.cgoReasons.push({ file, line: imp.line, reason: 'imports "C"' });
        if (!result.sdNotify && sdNotifyPackages.some((p) => imp.path === p || imp.path.startsWith(`${p}/`))) result.sdNotify = { file, line: imp.line, reason: `imports ${imp.path}` };
        if (imp.path === 'embed') result.embed = true;
      }
      if (facts.embedLines.length) {
        result.embed = true;
        result.embedFiles.push(file);
      } else if (facts.imports.some((i) => i.path === 'embed')) {
        result.embedFiles.push(file);
      }
      const notifySocket = facts.strings.find((x) => x.value === 'NOTIFY_SOCKET');
      if (!result.sdNotify && notifySocket) result.sdNotify = { file, line: notifySocket.line, reason: 'reads NOTIFY_SOCKET' };
      collectPortFacts(facts, file, isMain, portCandidates, result);
      if (!result.healthPath) result.healthPath = findHealthPath(facts);
    }
  }
  result.cgo = result.cgoReasons.length > 0;
  portCandidates.sort((a, b) => Number(b.main) - Number(a.main) || b.score - a.score);
  if (portCandidates[0]) {
    result.port = portCandidates[0].port;
    result.portSource = portCandidates[0].finding;
  }
  return result;
}

function cgoFromRequires(mod: ModFile): Finding[] {
  return mod.requires
    .filter((r) => cgoModules.some((m) => r.path === m || r.path.startsWith(`${m}/`)))
    .map((r) => ({ file: 'go.mod', line: r.line, reason: `requires ${r.path}, which needs cgo` }));
}

function collectPortFacts(facts: GoFileFacts, file: string, main: boolean, out: { port: number; score: number; finding: Finding; main: boolean }[], result: ModuleInspection): void {
  const code = (line: number) => facts.codeLines[line - 1] ?? '';
  const readsEnv = facts.strings.some((s) => s.value === 'PORT' && /\b(Getenv|LookupEnv)\s*\(/.test(code(s.line)));
  if (readsEnv) result.readsPortEnv = true;
  for (const s of facts.strings) {
    const addr = /^(?:[A-Za-z0-9.-]*|\[[0-9a-fA-F:]*\]):(\d{1,5})$/.exec(s.value);
    const listens = /Listen|Addr|Serve/.test(code(s.line));
    if (addr) {
      const port = Number(addr[1]);
      if (port >= 1 && port <= 65535) out.push({ port, score: listens ? 5 : 3, main, finding: { file, line: s.line, reason: `listen address ${JSON.stringify(s.value)}` } });
    } else if (readsEnv && /^\d{2,5}$/.test(s.value) && /port/i.test(code(s.line))) {
      const port = Number(s.value);
      if (port >= 1 && port <= 65535) out.push({ port, score: 2, main, finding: { file, line: s.line, reason: `default for the PORT environment variable` } });
    }
  }
}

function findHealthPath(facts: GoFileFacts): string | null {
  for (const s of facts.strings) {
    const route = /^(?:GET\s+)?(\/(?:healthz?|livez|readyz|ping|_health|status))\/?$/.exec(s.value);
    if (route && /Handle|GET|Get\s*\(|Route|HandleFunc/.test(facts.codeLines[s.line - 1] ?? '')) return route[1];
  }
  return null;
}

/** Go files of every package in the module, by relative folder; nested modules excluded. */
async function readPackages(root: string): Promise<Map<string, { name: string; facts: GoFileFacts }[]>> {
  const packages = new Map<string, { name: string; facts: GoFileFacts }[]>();
  let count = 0;
  const walk = async (rel: string): Promise<void> => {
    const abs = path.join(root, rel);
    const entries = await fs.readdir(abs, { withFileTypes: true });
    if (rel && entries.some((e) => e.isFile() && e.name === 'go.mod')) return; // a nested module
    const files: { name: string; facts: GoFileFacts }[] = [];
    const subdirs: string[] = [];
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name.startsWith('_')) continue;
      if (e.isDirectory()) {
        if (!skipDirs.has(e.name)) subdirs.push(rel ? `${rel}/${e.name}` : e.name);
      } else if (e.isFile() && e.name.endsWith('.go') && !e.name.endsWith('_test.go')) {
        if (++count > maxFiles) throw new GoDeployError(`more than ${maxFiles} Go files under ${root}`, { hint: 'inspect the module folder rather than a folder above it' });
        const file = path.join(abs, e.name);
        const stat = await fs.stat(file);
        if (stat.size > maxFileBytes) continue;
        const facts = readGoFile(await fs.readFile(file, 'utf8'));
        if (!facts.ignored && facts.packageName) files.push({ name: e.name, facts });
      }
    }
    if (files.length) packages.set(rel, files.sort((a, b) => a.name.localeCompare(b.name)));
    for (const d of subdirs.sort()) await walk(d);
  };
  await walk('');
  return packages;
}

async function findWork(moduleDir: string): Promise<ModuleInspection['work']> {
  let dir = moduleDir;
  for (;;) {
    const file = path.join(dir, 'go.work');
    if (await exists(file)) {
      const work = parseWorkFile(await fs.readFile(file, 'utf8'));
      return { file: path.relative(moduleDir, file) || 'go.work', goVersion: work.go ?? null, use: work.use };
    }
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

/** The app name a main package implies: its last path element, or the module's for ".". */
export function defaultAppName(inspection: Pick<ModuleInspection, 'module'>, main: string): string {
  const last = main === '.' ? inspection.module.split('/').pop() ?? 'app' : main.split('/').filter(Boolean).pop() ?? 'app';
  const name = last.toLowerCase().replace(/[^a-z0-9._-]/g, '-').replace(/^[^a-z0-9]+/, '');
  return (name || 'app').slice(0, 63);
}
