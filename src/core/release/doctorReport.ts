// Running doctor checks on a host and reporting them, for every target.
import { type DoctorCheck, type CheckStep } from './checks';
import { type CheckOutcome } from '../environment/types';
import { type HostRunner } from '../remote/hostRunner';
import { type HostOutcome } from '../environment/types';
import { CheckReport, HostReport } from '../environment/types';

/** Runs every check with `runner`, one after the other; a check that throws fails, the rest still run. */
export async function runChecks(runner: HostRunner, checks: DoctorCheck[]): Promise<CheckReport[]> {
  const out: CheckReport[] = [];
  for (const c of checks) {
    let step: CheckStep = c;
    let outcome: CheckOutcome | CheckStep;
    try {
      for (;;) {
        const startMs = Date.now();
        const r = step.argv ? await runner.exec(step.argv) : { code: 0, stdout: '', stderr: '' };
        outcome = step.interpret(r, { startMs, endMs: Date.now() });
        if (!('argv' in outcome)) break;
        step = outcome;
      }
    } catch (e) {
      outcome = { status: 'fail', detail: e instanceof Error ? e.message : String(e) };
    }
    out.push({ id: c.id, title: c.title, ...outcome });
  }
  return out;
}

/** A host's report from the outcome of running the checks there (runChecks itself never throws). */
export function doctorHostReport(o: HostOutcome<CheckReport[]>): HostReport {
  if (!o.ok) return { host: o.alias, address: o.address, checks: [{ id: 'reachable', title: 'reachable', status: 'fail', detail: o.error, hint: o.hint }] };
  const reachable: CheckReport = {
    id: 'reachable',
    title: 'reachable',
    status: 'ok',
    detail:
      o.address === 'this machine'
        ? 'this machine (type local)'
        : o.newHostKey
          ? `new host key ${o.newHostKey} recorded in ${o.knownHostsFile}`
          : 'host key verified, authenticated',
  };
  return { host: o.alias, address: o.address, checks: [reachable, ...o.value] };
}

/** As `godeploy doctor` prints it: `host (address)`, then `  ok   title  detail` per check, hints indented below. */
export function formatDoctorReport(hosts: HostReport[]): string {
  const width = Math.max(0, ...hosts.flatMap((h) => h.checks.map((c) => c.title.length)));
  const label = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;
  return hosts
    .map((h) =>
      [
        `${h.host} (${h.address})`,
        ...h.checks.flatMap((c) => [
          `  ${label[c.status]} ${c.title.padEnd(width)}  ${c.detail}`,
          ...(c.hint ? [`${' '.repeat(width + 9)}hint: ${c.hint}`] : []),
        ]),
      ].join('\n'),
    )
    .join('\n\n');
}
