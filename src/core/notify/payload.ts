// The JSON each webhook format is sent: pure functions of a NotificationReport.
// - generic: the report itself;
// - slack: an incoming-webhook message, {text, blocks} (text is the notification's and the
//   fallback's; blocks are sections of mrkdwn, where &, < and > must be escaped);
// - teams: a message holding an Adaptive Card (1.4), the shape Microsoft documents for the
//   Teams Workflows "when a Teams webhook request is received" flows and incoming webhooks.
import type { NotificationReport, NotifyFormat } from './types';

/** Hosts listed one by one in a chat message; the rest are counted. */
const LISTED_HOSTS = 20;
/** Slack refuses a section text over 3,000 characters. */
const SLACK_TEXT_MAX = 2900;

export function notificationPayload(format: NotifyFormat, r: NotificationReport): unknown {
  if (format === 'slack') return slackPayload(r);
  if (format === 'teams') return teamsPayload(r);
  return genericPayload(r);
}

export function genericPayload(r: NotificationReport): NotificationReport {
  return r;
}

/** One line saying what happened: "shop v1.2.3 is live on prod", "Rolling prod back to … failed". */
export function headline(r: NotificationReport): string {
  const what = r.version ? `${r.app} ${r.version}` : r.app;
  if (r.event === 'deploy') {
    switch (r.result) {
      case 'live':
        return `${what} is live on ${r.environment}`;
      case 'unchanged':
        return `${what}: ${r.environment} already runs this build, nothing changed`;
      case 'rolled-back':
        return `Deploying ${what} to ${r.environment} failed; the switched hosts were rolled back`;
      case 'cancelled':
        return `Deploying ${what} to ${r.environment} was cancelled`;
      default:
        return `Deploying ${what} to ${r.environment} failed`;
    }
  }
  const to = r.release ? ` to ${r.release}` : '';
  if (r.result === 'live') return `${r.environment} was rolled back${to} (${r.app})`;
  if (r.result === 'cancelled') return `Rolling ${r.environment} back${to} was cancelled`;
  return `Rolling ${r.environment} back${to} failed`;
}

function hostLines(r: NotificationReport): string[] {
  const lines = r.hosts
    .slice(0, LISTED_HOSTS)
    .map(
      (h) =>
        `${h.host}${h.address && h.address !== h.host ? ` (${h.address})` : ''}: ${h.result}${h.release ? ` on ${h.release}` : ''}${h.error ? ` (${firstLine(h.error)})` : ''}`,
    );
  if (r.hosts.length > LISTED_HOSTS) lines.push(`…and ${r.hosts.length - LISTED_HOSTS} more`);
  return lines;
}

const firstLine = (s: string): string => s.split('\n')[0];
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const clip = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/** Slack's mrkdwn: only &, < and > are special in text. */
export function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function slackIcon(r: NotificationReport): string {
  if (r.result === 'cancelled') return ':warning:';
  if (!r.ok) return ':x:';
  if (r.result === 'unchanged') return ':information_source:';
  return r.event === 'rollback' ? ':leftwards_arrow_with_hook:' : ':white_check_mark:';
}

export function slackPayload(r: NotificationReport): { text: string; blocks: unknown[] } {
  const icon = slackIcon(r);
  const mrkdwn = (text: string) => ({ type: 'mrkdwn', text: clip(text, SLACK_TEXT_MAX) });
  const blocks: unknown[] = [
    { type: 'section', text: mrkdwn(`${icon} *${slackEscape(headline(r))}*`) },
    {
      type: 'section',
      fields: [
        mrkdwn(`*Environment*\n${slackEscape(r.environment)}`),
        mrkdwn(`*Release*\n${r.release ? `\`${slackEscape(r.release)}\`` : '–'}`),
        mrkdwn(`*By*\n${slackEscape(r.who)}`),
        mrkdwn(`*Duration*\n${seconds(r.durationMs)}`),
      ],
    },
  ];
  const hosts = hostLines(r);
  if (hosts.length) blocks.push({ type: 'section', text: mrkdwn(hosts.map((l) => `• ${slackEscape(l)}`).join('\n')) });
  if (r.error) blocks.push({ type: 'section', text: mrkdwn(`\`\`\`${slackEscape(r.error)}\`\`\``) });
  for (const w of r.warnings) blocks.push({ type: 'section', text: mrkdwn(`:warning: ${slackEscape(w)}`) });
  blocks.push({ type: 'context', elements: [mrkdwn(`Go Deploy · ${r.event} · started ${r.startedAt}`)] });
  return { text: `${icon} ${headline(r)}`, blocks };
}

export function teamsPayload(r: NotificationReport): unknown {
  const color = r.ok ? 'Good' : r.result === 'cancelled' ? 'Warning' : 'Attention';
  const fact = (title: string, value: string) => ({ title, value });
  const body: unknown[] = [
    { type: 'TextBlock', text: headline(r), weight: 'Bolder', size: 'Medium', color, wrap: true },
    {
      type: 'FactSet',
      facts: [
        fact('Environment', r.environment),
        fact('App', r.app),
        fact('Release', r.release ?? '–'),
        fact('Version', r.version ?? '–'),
        fact('By', r.who),
        fact('Duration', seconds(r.durationMs)),
        fact('Started', r.startedAt),
      ],
    },
  ];
  const hosts = hostLines(r);
  if (hosts.length) body.push({ type: 'TextBlock', text: hosts.map((l) => `- ${l}`).join('\n'), wrap: true, spacing: 'Medium' });
  if (r.error) body.push({ type: 'TextBlock', text: r.error, color: 'Attention', wrap: true, fontType: 'Monospace' });
  for (const w of r.warnings) body.push({ type: 'TextBlock', text: `Warning: ${w}`, color: 'Warning', wrap: true });
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', body, msteams: { width: 'Full' } },
      },
    ],
  };
}
