// The webhooks of an environment (notify:), their URLs resolved on this machine before the
// operation starts (the editor asks for a missing secret then, with the others), and the
// sending: every webhook at once, each with its own timeout; a webhook that fails or hangs
// is reported and changes nothing else. A URL is a credential (Slack's and Teams' carry their
// token in the path): it is never printed, logged or put in a result; its host at most.
import type { EnvironmentConfig, GoDeployConfig } from '../config/model';
import type { WebhookConfig } from '../config/configTypes';
import { Redactor, resolveReferences, scanReferences, type ReferenceSources } from '../config/references';
import { parseDuration } from '../config/semantic';
import { godeployVersion } from '../generate/ci/model';
import { notificationPayload } from './payload';
import type { NotificationOutcome, NotificationReport, NotifyFormat, NotifyOn } from './types';

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
const ALL_EVENTS: NotifyOn[] = ['deploy', 'rollback', 'failure'];

/** A webhook of the environment, ready to send (or with the reason it cannot be). */
export interface Webhook {
  /** Its place in the environment's notify list, from 1. */
  index: number;
  format: NotifyFormat;
  on: NotifyOn[];
  timeoutMs: number;
  /** What plans and messages may show: the references the URL is made of, else its host. */
  shown: string;
  url?: URL;
  /** Why it will not be sent (a missing secret, not an http(s) URL). */
  problem?: string;
}

/** The environment's notify list (it replaces the top-level one), with the config path of each entry. */
export function webhooksOf(config: GoDeployConfig, envName: string, env: EnvironmentConfig): { hook: WebhookConfig; where: string }[] {
  const own = env.notify !== undefined;
  return (own ? env.notify! : (config.notify ?? [])).map((hook, i) => ({ hook, where: own ? `environments.${envName}.notify[${i}]` : `notify[${i}]` }));
}

function shownUrl(raw: string): string {
  const refs = scanReferences(raw).references;
  if (refs.length) return refs.map((r) => r.raw).join(' ');
  try {
    return new URL(raw).host;
  } catch {
    return 'an invalid URL';
  }
}

function baseWebhook(hook: WebhookConfig, index: number): Webhook {
  const timeout = hook.timeout === undefined ? undefined : parseDuration(hook.timeout);
  return {
    index,
    format: hook.format ?? 'generic',
    on: hook.on ?? ALL_EVENTS,
    timeoutMs: timeout ?? DEFAULT_WEBHOOK_TIMEOUT_MS,
    shown: shownUrl(hook.url),
  };
}

/** The webhooks as written, nothing resolved: for plans. */
export function plannedWebhooks(config: GoDeployConfig, envName: string, env: EnvironmentConfig): Webhook[] {
  return webhooksOf(config, envName, env).map(({ hook }, i) => baseWebhook(hook, i + 1));
}

/**
 * The webhooks with their URLs resolved from `sources`; the values resolved are added to
 * `redactor`. A webhook whose URL cannot be resolved keeps the reason, to be reported after
 * the operation (a notification never stops a deploy).
 */
export async function resolveWebhooks(
  config: GoDeployConfig,
  envName: string,
  env: EnvironmentConfig,
  sources: ReferenceSources | undefined,
  redactor: Redactor,
): Promise<Webhook[]> {
  return Promise.all(
    webhooksOf(config, envName, env).map(async ({ hook, where }, i): Promise<Webhook> => {
      const w = baseWebhook(hook, i + 1);
      let value: string;
      try {
        if (!sources && scanReferences(hook.url).references.length)
          throw new Error(`${where}.url: no \${env:…} or \${secret:…} values were given to resolve it`);
        const r = await resolveReferences(hook.url, sources ?? { env: () => undefined, secret: () => undefined }, `${where}.url`);
        value = r.value;
      } catch (e) {
        return { ...w, problem: (e as Error).message };
      }
      redactor.add(value);
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        return { ...w, problem: `${where}.url is not a URL once resolved` };
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ...w, problem: `${where}.url is not an http:// or https:// URL once resolved` };
      for (const part of [url.href, url.pathname + url.search, url.username, url.password]) if (part.length > 3 && part !== '/') redactor.add(part);
      return { ...w, url, shown: url.host };
    }),
  );
}

/** "slack webhook #1", as every line about a webhook names it. */
export const webhookName = (w: Pick<Webhook, 'format' | 'index'>): string => `${w.format} webhook #${w.index}`;

/** The plan's lines for the webhooks of an operation (no URL: the references, or the host). */
export function describeWebhookPlan(hooks: Webhook[], operation: 'deploy' | 'rollback'): string[] {
  if (!hooks.length) return [];
  const when = (w: Webhook): string => {
    const ok = w.on.includes(operation);
    const failed = w.on.includes('failure');
    if (ok && failed) return 'when it succeeds or fails';
    if (ok) return 'when it succeeds';
    if (failed) return 'when it fails';
    return `not for a ${operation} (on: ${w.on.join(', ')})`;
  };
  return [`notify (after the ${operation}):`, ...hooks.map((w) => `  ${webhookName(w)} (${w.shown}): ${when(w)}`)];
}

export interface SendOptions {
  /** Hides the URLs (and any secret) in what a webhook answers. */
  redactor?: Redactor;
  fetch?: typeof fetch;
}

/** Sends `report` to every webhook whose `on` has `kind`, all at once; never rejects. */
export async function sendNotifications(hooks: Webhook[], kind: NotifyOn, report: NotificationReport, o: SendOptions = {}): Promise<NotificationOutcome[]> {
  const chosen = hooks.filter((w) => w.on.includes(kind));
  return Promise.all(chosen.map((w) => sendOne(w, report, o)));
}

async function sendOne(w: Webhook, report: NotificationReport, o: SendOptions): Promise<NotificationOutcome> {
  const t0 = Date.now();
  const redact = (s: string): string => o.redactor?.redact(s) ?? s;
  const outcome = (x: Partial<NotificationOutcome>): NotificationOutcome => ({
    index: w.index,
    format: w.format,
    host: w.url?.host ?? null,
    ok: false,
    ...x,
    ...(x.error !== undefined ? { error: redact(x.error) } : {}),
    ms: Date.now() - t0,
  });
  if (!w.url) return outcome({ error: w.problem ?? 'no URL' });
  try {
    const res = await (o.fetch ?? fetch)(w.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': `go-deploy/${godeployVersion()}` },
      body: JSON.stringify(notificationPayload(w.format, report)),
      // Redirects are not followed: a webhook that moved should be given its new URL.
      redirect: 'manual',
      signal: AbortSignal.timeout(w.timeoutMs),
    });
    const body = await res.text().catch(() => '');
    if (res.status >= 200 && res.status < 300) return outcome({ ok: true, status: res.status });
    const said = body.trim().split('\n')[0].slice(0, 200);
    return outcome({ status: res.status, error: `HTTP ${res.status}${said ? `: ${said}` : ''}` });
  } catch (e) {
    return outcome({ error: fetchFailure(e, w.timeoutMs) });
  }
}

/** Why fetch failed, from its cause (node's fetch says only "fetch failed"). */
function fetchFailure(e: unknown, timeoutMs: number): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return `no answer within ${timeoutMs / 1000} s`;
  const cause = err?.cause;
  if (cause?.message) return cause.message;
  return err?.message ?? String(e);
}

/** "notified slack webhook #1 (hooks.slack.com): 200" or "notification #2 (generic webhook, 127.0.0.1:8080) failed: HTTP 500". */
export function describeNotification(n: NotificationOutcome): string {
  const where = n.host ? ` (${n.host})` : '';
  if (n.ok) return `notified ${webhookName(n)}${where}: ${n.status}`;
  return `notification #${n.index} (${n.format} webhook${n.host ? `, ${n.host}` : ''}) failed: ${n.error}`;
}
