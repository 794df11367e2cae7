// The log engine under a flood: a program on a host reached over real ssh (the loopback
// sshd) writes 20,000 numbered lines a second for 30 s to a supervisor-style log file while
// tailLogs follows the environment (-f, from the end) into a sink that formats each batch
// the way the editor's channel gets it. Reported against baselines from the same run:
//   1. lines delivered / lines written (goal: 1.00, every line once, in order), with the
//      RSS growth of this process over the run and the queue's peak;
//   2. the time from the start of tailing (connecting, authenticating, starting tail on the
//      host) until the file's last line is shown, against `ssh HOST tail -n 1 -F` (the
//      OpenSSH client) from its start to its first line (goal: under 1 s).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CancellationSource } from '../src/core/cancellation';
import { channelWrites } from '../src/vscode/logs/channelEntries';
import { tailLogs } from '../src/core/operations/index';
import { sshOptions, startSshd } from '../test/integration/fixtures/sshd';
import { tempDir } from '../test/integration/fixtures/util';
import type { BenchResult } from './harness';

const RATE = Number(process.env.BENCH_LOGS_RATE ?? 20_000);
const SECONDS = Number(process.env.BENCH_LOGS_SECONDS ?? 30);
const log = (s: string): void => {
  process.stderr.write(`  [logs bench] ${s}\n`);
};

/** A node process appending "flood N" lines at `rate` per second for `seconds`, in 10 ms slices. */
const GENERATOR = `
const fs = require('fs');
const [file, rate, seconds] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const fd = fs.openSync(file, 'a');
const total = rate * seconds;
const t0 = Date.now();
let n = 0;
const tick = () => {
  const due = Math.min(total, Math.floor(((Date.now() - t0) / 1000) * rate));
  if (due > n) {
    let s = '';
    while (n < due) { n++; s += 'flood ' + n + ' ' + 'x'.repeat(60) + '\\n'; }
    fs.writeSync(fd, s);
  }
  if (n < total) setTimeout(tick, 10); else { fs.closeSync(fd); process.stdout.write(String(n)); }
};
tick();`;

export async function run(): Promise<BenchResult[]> {
  const work = tempDir('bench-logs');
  const sshd = await startSshd();
  try {
    const logDir = path.join(work.path, 'logs');
    const moduleDir = path.join(work.path, 'app');
    mkdirSync(logDir);
    mkdirSync(moduleDir);
    const out = path.join(logDir, 'flood.out.log');
    writeFileSync(out, '');
    writeFileSync(path.join(logDir, 'flood.err.log'), '');
    writeFileSync(path.join(moduleDir, 'go.mod'), 'module example.com/flood\n\ngo 1.19\n');
    writeFileSync(path.join(moduleDir, 'main.go'), 'package main\n\nfunc main() {}\n');
    writeFileSync(
      path.join(moduleDir, 'godeploy.yaml'),
      `${JSON.stringify(
        {
          app: { name: 'flood', port: 8080 },
          environments: {
            flood: {
              type: 'ssh',
              hosts: [{ host: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.identityFile }],
              knownHostsFile: sshd.knownHostsFile,
              processManager: 'supervisor',
              supervisor: { logDir },
            },
          },
        },
        null,
        2,
      )}\n`,
    );

    writeFileSync(out, 'start marker\n');
    // 2's baseline first: OpenSSH's own client, from its start to the file's last line.
    const sshFirst = await firstLine(() =>
      spawn('ssh', [...sshOptions(sshd), '-p', String(sshd.port), `${sshd.user}@${sshd.host}`, `tail -n 1 -F ${out}`], { stdio: ['pipe', 'pipe', 'ignore'] }),
    );

    const cancel = new CancellationSource();
    let received = 0;
    let expected = 1;
    const problems: string[] = [];
    let firstAt: number | undefined;
    let channelBytes = 0;
    let channelWriteCount = 0;
    const rss0 = process.memoryUsage().rss;
    let rssPeak = rss0;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }, 200);
    const start = performance.now();
    const tail = tailLogs({
      configFile: { file: path.join(moduleDir, 'godeploy.yaml'), exists: true },
      environment: 'flood',
      lines: 1,
      follow: true,
      token: cancel.token,
      onLines: (batch) => {
        // What the editor does with a batch: its log channel writes (one per run under a flood).
        const writes = channelWrites(batch);
        channelWriteCount += writes.length;
        channelBytes += writes.reduce((n, r) => n + r.text.length, 0);
        for (const l of batch) {
          if (l.notice) continue;
          if (l.text === 'start marker' && firstAt === undefined) {
            firstAt = performance.now() - start;
            continue;
          }
          const m = /^flood (\d+) /.exec(l.text);
          if (!m) continue;
          const n = Number(m[1]);
          if (n !== expected && problems.length < 5) problems.push(`expected flood ${expected}, got ${l.text.slice(0, 30)}`);
          expected = n + 1;
          received++;
        }
      },
    });
    for (let i = 0; i < 3000 && firstAt === undefined; i++) await new Promise((r) => setTimeout(r, 5));
    log(`following; the first line ${firstAt?.toFixed(0)} ms after the start (ssh tail -F: ${sshFirst.toFixed(0)} ms); flooding ${RATE}/s for ${SECONDS} s`);
    const t0 = performance.now();
    const written = await new Promise<number>((resolve, reject) => {
      const g = spawn(process.execPath, ['-e', GENERATOR, out, String(RATE), String(SECONDS)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let said = '';
      g.stdout.on('data', (d: Buffer) => {
        said += d.toString();
      });
      g.on('close', (code) => (code === 0 ? resolve(Number(said)) : reject(new Error(`generator exited ${code}`))));
    });
    const writeSeconds = (performance.now() - t0) / 1000;
    for (let i = 0; i < 600 && received < written; i++) await new Promise((r) => setTimeout(r, 100));
    const drainSeconds = (performance.now() - t0) / 1000 - writeSeconds;
    cancel.cancel();
    await tail;
    clearInterval(sampler);
    const growth = (rssPeak - rss0) / 1024 / 1024;
    log(
      `${received} of ${written} lines in ${writeSeconds.toFixed(1)} s (+${drainSeconds.toFixed(1)} s to drain), ${(channelBytes / 1024 / 1024).toFixed(0)} MB to the channel in ${channelWriteCount} writes (${(received / Math.max(1, channelWriteCount)).toFixed(0)} lines a write), RSS +${growth.toFixed(0)} MB`,
    );
    return [
      {
        name: 'logs: lines delivered / lines written',
        ratio: received / written,
        value: received,
        baseline: written,
        unit: 'lines',
        goal: '= 1.00, in order',
        met: received === written && problems.length === 0,
        notes: `${RATE}/s for ${SECONDS} s over ssh (tail -F); RSS growth ${growth.toFixed(0)} MB (peak over the run); ${channelWriteCount} channel writes (${(received / Math.max(1, channelWriteCount)).toFixed(0)} lines each); ${drainSeconds.toFixed(1)} s to drain after the last write${problems.length ? `; ${problems.join('; ')}` : ''}`,
      },
      {
        name: 'logs: start to first line vs ssh tail -F',
        ratio: (firstAt ?? Infinity) / sshFirst,
        value: (firstAt ?? Infinity) / 1000,
        baseline: sshFirst / 1000,
        unit: 's',
        goal: '< 1 s',
        met: firstAt !== undefined && firstAt < 1000,
        notes: "from the start (config read, ssh connect and auth, tail started on the host) to the file's last line shown",
      },
    ];
  } finally {
    await sshd.stop();
    work.remove();
  }
}

/** Starts a follower; ms until its first output line. */
async function firstLine(start: () => ChildProcess): Promise<number> {
  const t0 = performance.now();
  const child = start();
  try {
    return await new Promise<number>((resolve, reject) => {
      child.stdout?.on('data', () => resolve(performance.now() - t0));
      child.on('close', (code) => reject(new Error(`ssh tail -F exited ${code} before a line`)));
    });
  } finally {
    child.kill();
  }
}
