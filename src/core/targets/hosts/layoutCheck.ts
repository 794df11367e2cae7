// The doctor check of a host's base folder layout (releases/, current, shared/, .godeploy/).
import { type DoctorCheck } from '../../release/checks';
import { parseLayout, layoutHint, BASE_MARKER } from './baseLayout';
import { LAYOUT } from './baseLayout';
import { failed } from '../../release/checks';

// $1 base, $2 app name (or empty): LAYOUT's report of the base.
const LAYOUT_SCRIPT = `${LAYOUT}
layout "$1" "$2"`;
/**
 * Whether Go Deploy may write into the base: it does not exist yet, is empty, is marked as
 * this app's (or holds an earlier Go Deploy's deployment); nothing Go Deploy writes there is
 * a symlink, current is a symlink; and whether a part of the layout went missing.
 */
export function layoutCheck(base: string, appName = '', repair = false): DoctorCheck {
  return {
    id: 'layout',
    title: 'base folder',
    argv: ['sh', '-c', LAYOUT_SCRIPT, 'sh', base, appName],
    interpret: (r) => {
      const report = parseLayout(r.stdout);
      if (r.code !== 0 || (!report.state && !report.refusals.length)) return failed('reading the base folder', r);
      const refused = report.refusals[0];
      if (refused) {
        const more = report.refusals.length > 1 ? ` (and ${report.refusals.length - 1} more problem${report.refusals.length > 2 ? 's' : ''})` : '';
        return { status: 'fail', detail: `${refused.message}${more}`, hint: layoutHint(refused.kind) };
      }
      if (report.missing.length) {
        const what = `${report.missing.map((p) => `${base}/${p}`).join(', ')} ${report.missing.length === 1 ? 'is' : 'are'} missing`;
        return repair
          ? { status: 'warn', detail: `${what}; this deploy makes ${report.missing.length === 1 ? 'it' : 'them'} again` }
          : {
              status: 'fail',
              detail: what,
              hint: "the service's env file and logs live there: `godeploy deploy ENV` (or `godeploy rollback ENV`) makes the layout again",
            };
      }
      const detail = {
        marked: `${base} is Go Deploy's (${BASE_MARKER})`,
        absent: `${base} does not exist yet; the first deploy makes it`,
        empty: `${base} is empty; the first deploy adopts it`,
        legacy: `${base} holds a deployment of an earlier Go Deploy; the next deploy marks it as Go Deploy's`,
      }[report.state!];
      return { status: 'ok', detail };
    },
  };
}
