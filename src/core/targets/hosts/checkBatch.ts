// The preflight checks in one round trip: every check's command runs in one `sh -c` script
// (each argv quoted with shellQuote). Its stdout goes straight out between marker lines
// that carry a random token and the exit code; its stderr, when there is any, follows. So
// a check costs its own command and nothing more (no encoder processes: on a small or busy
// host, and with several hosts preflighting while go builds, forks add up). Nine round trips
// become one (two when a check asks a follow-up), which matters on a distant host. Anything
// unexpected falls back to running the checks one by one.
import { randomBytes } from 'node:crypto';
import { shellQuote } from '../../remote/quote';
import { runChecks } from '../../release/doctorReport';
import { type CheckReport } from '../../environment/types';
import type { CheckStep, DoctorCheck } from '../../release/checks';
import type { CheckOutcome } from '../../environment/types';
import type { HostRunner, HostRunResult } from '../../remote/hostRunner';

// Per check: "T start\n" STDOUT "\nT end CODE\n", then when stderr is not empty: STDERR "\nT stderr\n".
const BATCH_HEADER = `d=$(mktemp -d) || exit 90
trap 'rm -rf "$d"' EXIT
run() { printf '%s start\\n' "$T"; "$@" 2>"$d/e" </dev/null; c=$?; printf '\\n%s end %s\\n' "$T" "$c"; if [ -s "$d/e" ]; then cat "$d/e"; printf '\\n%s stderr\\n' "$T"; fi; }
none() { printf '%s start\\n\\n%s end 0\\n' "$T" "$T"; }`;

function batchScript(token: string, steps: CheckStep[]): string {
  return [`T=${token}`, BATCH_HEADER, ...steps.map((s) => (s.argv ? `run ${shellQuote(s.argv)}` : 'none'))].join('\n');
}

function parseBatch(stdout: string, token: string, n: number): HostRunResult[] | null {
  const out: HostRunResult[] = [];
  const start = `${token} start\n`;
  let at = 0;
  while (stdout.startsWith(start, at)) {
    const end = stdout.indexOf(`\n${token} end `, at + start.length);
    if (end < 0) return null;
    const eol = stdout.indexOf('\n', end + token.length + 6);
    const code = stdout.slice(end + token.length + 6, eol);
    if (eol < 0 || !/^\d+$/.test(code)) return null;
    const result: HostRunResult = { code: Number(code), stdout: stdout.slice(at + start.length, end), stderr: '' };
    at = eol + 1;
    if (at < stdout.length && !stdout.startsWith(start, at)) {
      const errEnd = stdout.indexOf(`\n${token} stderr\n`, at);
      if (errEnd < 0) return null;
      result.stderr = stdout.slice(at, errEnd);
      at = errEnd + token.length + 9;
    }
    out.push(result);
  }
  return at === stdout.length && out.length === n ? out : null;
}

/** The same reports as runChecks, in one or two round trips. */
export async function runChecksBatched(runner: HostRunner, checks: DoctorCheck[]): Promise<CheckReport[]> {
  let steps: CheckStep[] = checks;
  const outcomes: (CheckOutcome | undefined)[] = new Array(checks.length);
  for (let round = 0; round < 3; round++) {
    const pending = steps.map((s, i) => ({ s, i })).filter(({ i }) => outcomes[i] === undefined);
    if (!pending.length) break;
    const startMs = Date.now();
    const token = `@@godeploy-${randomBytes(12).toString('hex')}`;
    const r = await runner
      .exec([
        'sh',
        '-c',
        batchScript(
          token,
          pending.map((p) => p.s),
        ),
      ])
      .catch(() => undefined);
    const endMs = Date.now();
    const results = r && r.code === 0 ? parseBatch(r.stdout, token, pending.length) : null;
    if (!results) return runChecks(runner, checks);
    const next = [...steps];
    pending.forEach(({ s, i }, k) => {
      try {
        const o = s.interpret(s.argv ? results[k] : { code: 0, stdout: '', stderr: '' }, { startMs, endMs });
        if ('argv' in o) next[i] = o;
        else outcomes[i] = o;
      } catch (e) {
        outcomes[i] = { status: 'fail', detail: e instanceof Error ? e.message : String(e) };
      }
    });
    steps = next;
  }
  return checks.map((c, i) => ({ id: c.id, title: c.title, ...(outcomes[i] ?? { status: 'fail' as const, detail: 'no answer' }) }));
}
