// Writing a rollout's state and ends on every site (primary first: its revision check decides),
// and naming the site whose command failed. Used by the driver and by rollout promote|abort.
import { isOver } from './states';
import type { CanarySite, RolloutState } from './types';

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** A site's command failed or its connection died: the rollout is left paused and the site named. */
export class SiteFailure extends Error {
  constructor(
    readonly site: string,
    what: string,
    readonly error: unknown,
  ) {
    super(`${site}: ${what} failed: ${errText(error)}`);
    this.name = 'SiteFailure';
  }
}

/** Runs `fn` on `site`, a rejection becoming a SiteFailure that names it. */
export async function onSite<T>(site: CanarySite, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof SiteFailure) throw e;
    throw new SiteFailure(site.name, what, e);
  }
}

/** Each site's log size (a new window starts there). */
export const logSizes = (sites: CanarySite[]): Promise<number[]> => Promise.all(sites.map((s) => onSite(s, 'reading the access log size', () => s.logSize())));

/**
 * Writes `next` on every site: the primary with the revision check against `expect` (false:
 * another writer got there first, nothing was written), then the others (each site's own
 * log offset in its copy). A site that fails is a SiteFailure after every other site had its
 * write; one that refuses (a newer revision there) is left to the next read of the primary.
 */
export async function writeEverywhere(
  sites: CanarySite[],
  next: RolloutState,
  kind: 'apply' | 'writeState',
  expect: number,
  offsets?: number[],
  onPrimary?: () => void,
): Promise<boolean> {
  const copy = (i: number): RolloutState => (offsets ? { ...next, logOffset: offsets[i] } : next);
  const what = kind === 'apply' ? `setting the canary to ${next.weight}%` : 'writing the rollout state';
  const [primary, ...rest] = sites;
  if (!(await onSite(primary, what, () => primary[kind](copy(0), expect)))) return false;
  onPrimary?.();
  const settled = await Promise.allSettled(rest.map((s, i) => onSite(s, what, () => s[kind](copy(i + 1)))));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return true;
}

/**
 * Ends the rollout on every site. The primary first, with the revision check (false: another
 * writer got there first, nothing changed anywhere); as soon as its end is claimed and its
 * nginx reloaded (CanarySite.finish's onSwitched) the others' ends start, all at once, while
 * the primary drains and stops its old instance: traffic switches on every host together.
 * Resolves once every site is done. failures names each site that failed (a primary that
 * failed after its switch first, also as primaryFailure: the rollout ended there, what came
 * after failed); a primary that failed before its switch is thrown as a SiteFailure, nobody
 * else touched.
 */
export async function finishEverywhere(
  sites: CanarySite[],
  final: RolloutState,
  how: 'complete' | 'abort',
  expect: number | undefined,
  offsets?: number[],
): Promise<{ ok: boolean; failures: string[]; primaryFailure?: SiteFailure }> {
  const copy = (i: number): RolloutState => (offsets ? { ...final, logOffset: offsets[i] } : final);
  const what = how === 'complete' ? 'promoting the canary' : 'aborting the canary';
  const [primary, ...rest] = sites;
  let others: Promise<PromiseSettledResult<boolean>[]> | null = null;
  const startOthers = (): void => {
    others ??= Promise.allSettled(rest.map((s, i) => onSite(s, what, () => s.finish(copy(i + 1), how))));
  };
  let primaryFailure: SiteFailure | undefined;
  try {
    if (!(await onSite(primary, what, () => primary.finish(copy(0), how, expect, startOthers)))) {
      if (others) await others;
      return { ok: false, failures: [] };
    }
  } catch (e) {
    // Failed before its switch (or a site that does not report it): nothing else is touched.
    if (!others || !(e instanceof SiteFailure)) throw e;
    primaryFailure = e;
  }
  startOthers();
  const settled = await others!;
  // A refusal is no failure when the host already has this end: another finisher (a driver
  // adopting an abort typed elsewhere, which finishes the hosts it finds behind) got there first.
  const failures = await Promise.all(
    settled.map(async (r, i): Promise<string[]> => {
      if (r.status === 'rejected') return [errText(r.reason)];
      if (r.value) return [];
      const there = await rest[i].readState().catch(() => null);
      return there && there.release === final.release && there.status === final.status ? [] : [`${rest[i].name}: a newer rollout state was there`];
    }),
  );
  return { ok: true, failures: [...(primaryFailure ? [primaryFailure.message] : []), ...failures.flat()], ...(primaryFailure ? { primaryFailure } : {}) };
}

/**
 * The sites (after the primary) that missed the end of a rollout the primary has (their state
 * of the same release older, or not ended): ended the same way now. A site that cannot be
 * read or ended is in failures, named.
 */
export async function finishLagging(sites: CanarySite[], state: RolloutState): Promise<{ finished: string[]; failures: string[] }> {
  const how = state.status === 'promoted' ? 'complete' : 'abort';
  const what = how === 'complete' ? 'promoting the canary' : 'aborting the canary';
  const finished: string[] = [];
  const failures: string[] = [];
  await Promise.all(
    sites.slice(1).map(async (site) => {
      try {
        const st = await onSite(site, 'reading the rollout state', () => site.readState());
        if (!st || st.release !== state.release || (st.revision >= state.revision && isOver(st))) return;
        if (await onSite(site, what, () => site.finish(state, how))) finished.push(site.name);
      } catch (e) {
        failures.push(errText(e));
      }
    }),
  );
  return { finished, failures };
}
