/** Folder certbot --webroot writes HTTP-01 challenges to; the HTTP server serves it. */
export const acmeWebroot = '/var/www/letsencrypt';

/** The app name as part of an nginx variable or zone name ([A-Za-z0-9_] only). */
export function nginxIdent(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

/**
 * One argument of a directive: as is when nginx reads it as one plain token, else in double
 * quotes with `\` and `"` escaped (inside quotes `;`, `{`, `}`, `#` and whitespace are text).
 * nginx has no escape for `$` (a variable): the config check refuses it in paths.
 */
export function nginxString(value: string): string {
  if (/^[A-Za-z0-9._/@:+=,%~-]+$/.test(value)) return value;
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** `http2 on;` exists from nginx 1.25.1; older versions take `http2` as a listen parameter. */
export function supportsHttp2Directive(version: string): boolean {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map(Number);
  return major !== 1 ? major > 1 : minor !== 25 ? minor > 25 : patch >= 1;
}

/**
 * A config size (512M, 1.5G, 2T, 0) in a form nginx accepts: nginx sizes are whole
 * numbers with an optional k/m/g suffix, so fractions and terabytes are converted.
 */
export function nginxSize(size: string): string {
  const m = /^(\d+)(?:\.(\d+))?([KMGT])?$/.exec(size);
  if (!m) throw new Error(`cannot read the size ${JSON.stringify(size)}`);
  if (m[2] === undefined && m[3] !== 'T') return `${m[1]}${m[3] ?? ''}`;
  const unit: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };
  const bytes = Math.floor(Number(`${m[1]}.${m[2] ?? '0'}`) * unit[m[3] ?? '']);
  for (const [suffix, factor] of [
    ['G', 1024 ** 3],
    ['M', 1024 ** 2],
    ['K', 1024],
  ] as const) {
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${suffix}`;
  }
  return String(bytes);
}
