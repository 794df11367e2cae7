// CPU time used during a measured run, in milliseconds, from /proc (Linux): this process
// (godeploy's engine), its reaped children (the go command), and each systemd host (every
// process under its systemd-nspawn, with what reaped children left in their parents). On a
// machine where the hosts share the cores with the deployer, this says how much of a
// multi-host deploy's time is the hosts' own work.
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

interface ProcTimes {
  ppid: number;
  self: number;
  children: number;
}

function procTimes(pid: number): ProcTimes | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), self: Number(f[11]) + Number(f[12]), children: Number(f[13]) + Number(f[14]) };
  } catch {
    return null;
  }
}

/** CPU ms of `root` and all its live descendants, including children they reaped. */
export function treeCpuMs(root: number): number {
  const all = new Map<number, ProcTimes>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const t = procTimes(Number(d));
    if (t) all.set(Number(d), t);
  }
  const kids = new Map<number, number[]>();
  for (const [pid, t] of all) kids.set(t.ppid, [...(kids.get(t.ppid) ?? []), pid]);
  let ticks = 0;
  const walk = (pid: number): void => {
    const t = all.get(pid);
    if (t) ticks += t.self + t.children;
    for (const k of kids.get(pid) ?? []) walk(k);
  };
  walk(root);
  return ticks * TICK_MS;
}

export interface CpuSample {
  engine: number;
  children: number;
  hosts: number[];
}

export function cpuSample(hostRoots: number[]): CpuSample {
  const me = procTimes(process.pid);
  return { engine: (me?.self ?? 0) * TICK_MS, children: (me?.children ?? 0) * TICK_MS, hosts: hostRoots.map(treeCpuMs) };
}

export function cpuUsed(before: CpuSample, after: CpuSample): CpuSample {
  return { engine: after.engine - before.engine, children: after.children - before.children, hosts: after.hosts.map((h, i) => h - before.hosts[i]) };
}
