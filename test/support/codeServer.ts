// Starts and stops a real VS Code for the vscode and e2e tiers: code-server (installed by
// scripts/setup/code-server.sh) on a free loopback port, with fresh user-data and
// extensions directories (into which the packaged .vsix is installed, as a user installs
// it), plus a workspace copied from a fixture module.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const CODE_SERVER_VERSION = '4.100.3';
export const REPO_ROOT = resolve(__dirname, '..', '..', '..');

export function codeServerEntry(): string {
  const tools = process.env.GODEPLOY_TOOLS || join(homedir(), '.cache', 'godeploy', 'tools');
  const entry = join(tools, `code-server-${CODE_SERVER_VERSION}`, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (!existsSync(entry)) {
    throw new Error(`code-server ${CODE_SERVER_VERSION} is not installed (looked for ${entry}); run \`npm run setup:test\` first`);
  }
  return entry;
}

/** A fresh temp copy of test/fixtures/modules/<name>, the workspace VS Code opens. */
export function copyFixtureWorkspace(name = 'single'): string {
  const dir = mkdtempSync(join(tmpdir(), `godeploy-ws-${name}-`));
  cpSync(join(REPO_ROOT, 'test', 'fixtures', 'modules', name), dir, { recursive: true });
  return dir;
}

// User settings that keep startup free of dialogs, tours and network traffic.
const quietSettings = {
  'security.workspace.trust.enabled': false,
  'security.workspace.trust.startupPrompt': 'never',
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'chat.commandCenter.enabled': false,
  'window.restoreWindows': 'none',
};

export interface CodeServer {
  port: number;
  baseUrl: string;
  userDataDir: string;
  /** Where its extensions are installed (fresh per server). */
  extensionsDir: string;
  logFile: string;
  /** URL that opens `folder`, optionally with a development extension and test runner. */
  url(folder: string, dev?: { extensionDevelopmentPath: string; extensionTestsPath?: string }): string;
  /** The last lines of code-server's output and error lines from its log files. */
  diagnostics(lines?: number): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

export interface CodeServerOptions {
  env?: Record<string, string>;
  settings?: Record<string, unknown>;
  /** .vsix files installed (`code-server --install-extension`) into the fresh extensions folder before it starts. */
  install?: string[];
}

export async function startCodeServer(opts: CodeServerOptions = {}): Promise<CodeServer> {
  const entry = codeServerEntry();
  const root = mkdtempSync(join(tmpdir(), 'godeploy-code-server-'));
  const userDataDir = join(root, 'user-data');
  const extensionsDir = join(root, 'extensions');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir);
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...quietSettings, ...opts.settings }, null, 2));
  for (const vsix of opts.install ?? []) {
    try {
      execFileSync(process.execPath, [entry, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--install-extension', vsix], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, EXTENSIONS_GALLERY: '{}' },
      });
    } catch (e) {
      rmSync(root, { recursive: true, force: true });
      const err = e as { stdout?: string; stderr?: string; message: string };
      throw new Error(`code-server --install-extension ${vsix} failed: ${err.stderr || err.stdout || err.message}`, { cause: e });
    }
  }
  const logFile = join(root, 'code-server.log');
  const port = await freePort();
  const out = openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [
      entry,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--user-data-dir',
      userDataDir,
      '--extensions-dir',
      extensionsDir,
      '--config',
      join(root, 'config.yaml'),
      '--ignore-last-opened',
    ],
    {
      cwd: root,
      detached: true,
      stdio: ['ignore', out, out], // EXTENSIONS_GALLERY={} turns the extension gallery (open-vsx.org) off: tests talk to loopback only.
      env: { ...process.env, EXTENSIONS_GALLERY: '{}', ...opts.env },
    },
  );
  closeSync(out);
  const baseUrl = `http://127.0.0.1:${port}`;
  const cs: CodeServer = {
    port,
    baseUrl,
    userDataDir,
    extensionsDir,
    logFile,
    url(folder, dev) {
      const remote = (p: string) => `vscode-remote://127.0.0.1:${port}${resolve(p)}`;
      const opened = `${baseUrl}/?folder=${encodeURIComponent(resolve(folder))}`;
      if (!dev) return opened;
      const payload: [string, string][] = [['extensionDevelopmentPath', remote(dev.extensionDevelopmentPath)]];
      if (dev.extensionTestsPath) payload.push(['extensionTestsPath', remote(dev.extensionTestsPath)]);
      return `${opened}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    },
    diagnostics: (lines = 40) => describeLogs(logFile, userDataDir, lines),
    stop: () => stopProcessGroup(child).then(() => rmSync(root, { recursive: true, force: true, maxRetries: 3 })),
  };
  try {
    await waitForHealth(baseUrl, child, 60_000);
  } catch (err) {
    const logs = cs.diagnostics();
    await cs.stop();
    throw new Error(`${(err as Error).message}\n${logs}`, { cause: err });
  }
  return cs;
}

async function waitForHealth(baseUrl: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`code-server exited early (${child.exitCode ?? child.signalCode})`);
    try {
      const res = await fetch(`${baseUrl}/healthz`);
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`code-server did not answer on ${baseUrl}/healthz within ${timeoutMs / 1000}s`);
}

/** Ends a process we spawned detached, with everything it started (extension host, pty host...). */
export async function stopProcessGroup(child: ChildProcess, graceMs = 5000): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-pid, s);
    } catch {
      /* group already gone */
    }
  };
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    signal('SIGTERM');
    const timer = setTimeout(() => signal('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
  signal('SIGKILL'); // stragglers left in the group
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

function describeLogs(logFile: string, userDataDir: string, lines: number): string {
  const parts = [`--- code-server output (last ${lines} lines of ${logFile}) ---`, tail(logFile, lines)];
  for (const file of walk(join(userDataDir, 'logs')).filter((f) => f.endsWith('.log'))) {
    const errors = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => /\[error\]|Error:|Activating extension .* failed/i.test(l));
    if (errors.length) parts.push(`--- errors in ${file} ---`, ...errors.slice(-lines));
  }
  return parts.join('\n');
}
