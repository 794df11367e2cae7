// Durations as godeploy.yaml writes them (`1m30s`, `500ms`). Its own file so the config rules
// and what reads the config (the canary policy, webhooks) share it without an import cycle.

/** Milliseconds in a duration like `1m30s`; undefined if malformed. */
export function parseDuration(text: string): number | undefined {
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = text;
  while (rest.length) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * unit[m[2]];
    rest = rest.slice(m[0].length);
  }
  return text.length ? total : undefined;
}
