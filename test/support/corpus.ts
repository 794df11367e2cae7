/**
 * The Go corpus (../shared/go-corpus): trimmed snapshots of real projects and their truth.json.
 * unpackCorpus extracts a snapshot once per test process (with the real tar) into a temp folder.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, promises as fs, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from './paths';

export const corpusDir = process.env.GODEPLOY_GO_CORPUS ?? path.resolve(repoRoot, '..', 'shared', 'go-corpus');

export type CorpusName = 'go-httpbin' | 'whoami' | 'node_exporter' | 'litestream';

/** One project's ground truth (see the corpus README for what each field means). */
export interface Truth {
  origin: { repo: string; commit: string; tag: string; license: string };
  module: string;
  goVersion: string;
  toolchain: string | null;
  /** ./paths of the mains Go builds for linux/amd64 with default tags. */
  mains: string[];
  notMains: string[];
  server: string;
  serverArgs: string[];
  cgoLinux: boolean;
  cgoEvidence: string;
  /** Per main, when cgo differs between mains. */
  mainsCgoLinux?: Record<string, boolean>;
  port: number | null;
  portSource: string;
  /** The env var the port is read from, or null. */
  readsPortEnv: string | null;
  listenHost: string | null;
  healthPath: string | null;
  healthAccept: string[];
  notHealth: string[];
  notPort: number[];
  name: string;
  vendored: boolean;
  embeds: string[];
  notes: string;
  verifiedBy: string;
  evidence: Record<string, string>;
  uncertain: string[];
}

let truthCache: Record<string, Truth> | undefined;

export function corpusTruth(): Record<string, Truth> {
  truthCache ??= (JSON.parse(readFileSync(path.join(corpusDir, 'truth.json'), 'utf8')) as { projects: Record<string, Truth> }).projects;
  return truthCache;
}

export function corpusNames(): CorpusName[] {
  return Object.keys(corpusTruth()) as CorpusName[];
}

let root: string | undefined;
const scratchDirs: string[] = [];
let cleanupRegistered = false;
function removeOnExit(dir: string): void {
  scratchDirs.push(dir);
  if (cleanupRegistered) return;
  cleanupRegistered = true;
  process.once('exit', () => {
    for (const d of scratchDirs) rmSync(d, { recursive: true, force: true });
  });
}
const unpacked = new Map<string, Promise<string>>();

/** The project folder of corpus snapshot `name`, extracted once per process. Treat it as read-only. */
export function unpackCorpus(name: string): Promise<string> {
  let p = unpacked.get(name);
  if (!p) {
    p = (async () => {
      if (!root) {
        root = mkdtempSync(path.join(os.tmpdir(), 'godeploy-corpus-'));
        removeOnExit(root);
      }
      const dest = path.join(root, name);
      await fs.mkdir(dest);
      await run('tar', ['-xzf', path.join(corpusDir, `${name}.tar.gz`), '-C', dest]);
      const project = path.join(dest, name);
      await fs.access(path.join(project, 'go.mod'));
      return project;
    })();
    p.catch(() => unpacked.delete(name));
    unpacked.set(name, p);
  }
  return p;
}

/**
 * A scratch copy of a project whose go.mod Go 1.19 can read: the `go` line rewritten to 1.19 and
 * the `toolchain` line dropped (as truth.json's verifiedBy describes). Returns the copy's folder.
 */
export async function scratchCopyForGo119(project: string): Promise<string> {
  const dest = await fs.mkdtemp(path.join(os.tmpdir(), 'godeploy-scratch-'));
  removeOnExit(dest);
  await run('cp', ['-a', `${project}/.`, dest]);
  const modFile = path.join(dest, 'go.mod');
  const text = await fs.readFile(modFile, 'utf8');
  await fs.writeFile(modFile, text.replace(/^go\s+\S+\s*$/m, 'go 1.19').replace(/^toolchain\s+\S+\s*\n/m, ''));
  return dest;
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 16 * 1024 * 1024 }, (err, _stdout, stderr) =>
      err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`)) : resolve(),
    );
  });
}
