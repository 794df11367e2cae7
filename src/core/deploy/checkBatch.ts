// The preflight checks in one round trip: every check's command runs in one `sh -c` script
// (each argv quoted with shellQuote), whose output carries, per check, its exit code and its
// stdout and stderr in base64. Nine round trips become one (two when a check asks a
// follow-up), which matters on a distant host and on a busy one. Anything unexpected falls
// back to running the checks one by one.
import { shellQuote } from '../remote/quote';
import { type CheckReport, runChecks } from './doctor';
import type { CheckOutcome, CheckStep, DoctorCheck } from './doctorChecks';
import type { HostRunner, HostRunResult } from './hostRunner';

const BATCH_HEADER = `d=$(mktemp -d) || exit 90
trap 'rm -rf "$d"' EXIT
run() { "$@" >"$d/o" 2>"$d/e" </dev/null; c=$?; printf '@@godeploy-check %s %s %s\\n' "$c" "$(base64 -w0 <"$d/o")" "$(base64 -w0 <"$d/e")"; }`;

function batchScript(steps: CheckStep[]): string {
  return [BATCH_HEADER, ...steps.map((s) => (s.argv ? `run ${shellQuote(s.argv)}` : 'printf "@@godeploy-check 0  \\n"'))].join('\n');
}

function parseBatch(stdout: string, n: number): HostRunResult[] | null {
  const rows = stdout.split('\n').filter((l) => l.startsWith('@@godeploy-check '));
  if (rows.length !== n) return null;
  const out: HostRunResult[] = [];
  for (const row of rows) {
    const [, code, o = '', e = ''] = row.split(' ');
    if (!/^\d+$/.test(code)) return null;
    out.push({ code: Number(code), stdout: Buffer.from(o, 'base64').toString('utf8'), stderr: Buffer.from(e, 'base64').toString('utf8') });
  }
  return out;
}

/** The same reports as runChecks, in one or two round trips. */
export async function runChecksBatched(runner: HostRunner, checks: DoctorCheck[]): Promise<CheckReport[]> {
  let steps: CheckStep[] = checks;
  const outcomes: (CheckOutcome | undefined)[] = new Array(checks.length);
  for (let round = 0; round < 3; round++) {
    const pending = steps.map((s, i) => ({ s, i })).filter(({ i }) => outcomes[i] === undefined);
    if (!pending.length) break;
    const startMs = Date.now();
    const r = await runner.exec(['sh', '-c', batchScript(pending.map((p) => p.s))]).catch(() => undefined);
    const endMs = Date.now();
    const results = r && r.code === 0 ? parseBatch(r.stdout, pending.length) : null;
    if (!results) return runChecks(runner, checks);
    const next = [...steps];
    pending.forEach(({ s, i }, k) => {
      try {
        const o = s.interpret(s.argv ? results[k] : { code: 0, stdout: '', stderr: '' }, { startMs, endMs });
        if ('argv' in o) next[i] = o; else outcomes[i] = o;
      } catch (e) {
        outcomes[i] = { status: 'fail', detail: e instanceof Error ? e.message : String(e) };
      }
    });
    steps = next;
  }
  return checks.map((c, i) => ({ id: c.id, title: c.title, ...(outcomes[i] ?? { status: 'fail' as const, detail: 'no answer' }) }));
}
