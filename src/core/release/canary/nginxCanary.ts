// strategy canary: the names nginx knows the app's canary pieces by, and the include (at http
// level) each step of a rollout rewrites: the weighted upstream between the live and the
// canary instance, one upstream per version for sticky clients, the cookie that pins a client
// to the version it first got, and the JSON log format the analysis reads (accessLog.ts).
import { nginxIdent } from '../../generate/nginx-syntax';

/** Every name the site and the include share, from the app's name. */
export interface CanaryNames {
  /** The weighted upstream (the app's name, as the other strategies name theirs). */
  upstream: string;
  stableUpstream: string;
  canaryUpstream: string;
  /** The variable `location /` proxies to: the weighted upstream, or a sticky client's version. */
  poolVariable: string;
  /** The variable add_header Set-Cookie sends (empty: no header). */
  stickyCookieVariable: string;
  cookie: string;
  logFormat: string;
}

export function canaryNames(app: string): CanaryNames {
  const id = nginxIdent(app);
  return {
    upstream: app,
    stableUpstream: `${app}--stable`,
    canaryUpstream: `${app}--canary`,
    poolVariable: `$godeploy_${id}_pool`,
    stickyCookieVariable: `$godeploy_${id}_sticky_cookie`,
    cookie: `godeploy_${id}`,
    logFormat: `godeploy_${id}_json`,
  };
}

export interface CanaryIncludeInput {
  app: string;
  /** The live release and the loopback port its instance listens on. */
  stable: { port: number; release: string };
  /** The release being rolled out; absent when no rollout runs (the steady form). */
  canary?: { port: number; release: string };
  /** The canary's share in percent, 0..100 (ignored without a canary). */
  weight: number;
  sticky: 'cookie' | 'none';
}

const addr = (port: number): string => `127.0.0.1:${port}`;
/** A double-quoted nginx string (a map key or value). */
const q = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/**
 * The include's text. Between 0 and 100% (exclusive) both instances take a share; at 0, 100
 * or with no canary every upstream holds the one instance that takes everything (nginx
 * refuses weight=0), and the maps hold only their default: no cookie is set and an old one
 * names no pool. The cookie's value is a release id, so a cookie from an earlier rollout never
 * pins a client to a later canary.
 */
export function renderCanaryInclude(input: CanaryIncludeInput): string {
  const n = canaryNames(input.app);
  const { stable, canary } = input;
  const weight = canary ? Math.min(100, Math.max(0, Math.round(input.weight))) : 0;
  // split: both instances take a share; otherwise `live` takes everything.
  const split = canary !== undefined && weight > 0 && weight < 100 ? canary : undefined;
  const live = canary && weight >= 100 ? canary : stable;
  const lines = ['# Written by Go Deploy (strategy canary) at each step of a rollout; do not edit.'];
  const liveText = `live ${addr(stable.port)} (release ${stable.release})`;
  if (!canary) lines.push(`# ${liveText}; no canary`);
  else {
    const at = `# ${liveText}; canary ${addr(canary.port)} (release ${canary.release}) at ${weight}%`;
    lines.push(split ? at : `${at}: every request goes to the ${weight >= 100 ? 'canary' : 'live release'}`);
  }
  lines.push(
    `log_format ${n.logFormat} escape=json '{"msec":$msec,"upstream":"$upstream_addr","status":$status,"request_time":$request_time}';`,
    `upstream ${n.upstream} {`,
  );
  if (split) lines.push(`    server ${addr(stable.port)} weight=${100 - weight};`, `    server ${addr(split.port)} weight=${weight};`);
  else lines.push(`    server ${addr(live.port)};`);
  lines.push(
    '    keepalive 32;',
    '}',
    `upstream ${n.stableUpstream} { server ${addr(split ? stable.port : live.port)}; keepalive 8; }`,
    `upstream ${n.canaryUpstream} { server ${addr((split ?? live).port)}; keepalive 8; }`,
  );
  const sticky = input.sticky === 'cookie' ? split : undefined;
  lines.push(`map $cookie_${n.cookie} ${n.poolVariable} {`, `    default ${n.upstream};`);
  if (sticky) lines.push(`    ${q(stable.release)} ${n.stableUpstream};`, `    ${q(sticky.release)} ${n.canaryUpstream};`);
  lines.push('}', `map $upstream_addr ${n.stickyCookieVariable} {`, '    default "";');
  if (sticky) {
    const cookie = (release: string): string => q(`${n.cookie}=${release}; Path=/; HttpOnly; SameSite=Lax`);
    lines.push(`    ${q(addr(stable.port))} ${cookie(stable.release)};`, `    ${q(addr(sticky.port))} ${cookie(sticky.release)};`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
