import { execFile } from 'node:child_process';

export interface VersionInfo {
  /** `git describe --tags --always --dirty`, or "dev" outside git. */
  version: string;
  commit: string;
  /** The commit's time (ISO 8601), so the same commit always stamps the same date. */
  date: string;
}

function git(args: string[], cwd: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, timeout: 10_000 }, (err, stdout) => resolve(err ? undefined : stdout.trim()));
  });
}

/** Version, commit and date for ldflags; outside a git checkout: dev/none and SOURCE_DATE_EPOCH (or the epoch). */
export async function versionInfo(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<VersionInfo> {
  const [version, head] = await Promise.all([git(['describe', '--tags', '--always', '--dirty'], dir), git(['log', '-1', '--format=%H %cI'], dir)]);
  const [commit, date] = head?.split(' ') ?? [];
  const epoch = Number(env.SOURCE_DATE_EPOCH);
  const fallbackDate = new Date(Number.isFinite(epoch) ? epoch * 1000 : 0).toISOString().replace(/\.000Z$/, 'Z');
  return { version: version || 'dev', commit: commit || 'none', date: date ? new Date(date).toISOString().replace(/\.000Z$/, 'Z') : fallbackDate };
}

/** Fills {{.Version}}, {{.Commit}} and {{.Date}} in ldflags. */
export function fillLdflags(ldflags: string, info: VersionInfo): string {
  return ldflags
    .replace(/\{\{\s*\.Version\s*\}\}/g, info.version)
    .replace(/\{\{\s*\.Commit\s*\}\}/g, info.commit)
    .replace(/\{\{\s*\.Date\s*\}\}/g, info.date);
}
