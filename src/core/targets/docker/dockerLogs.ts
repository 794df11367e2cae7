// A docker environment's logs through the Engine API: every running release container of
// the app (two during a blue-green switch), or the swarm service's tasks, with timestamps.
// Deploys replace containers, so while following the list is read again every 2 s: a new
// container is followed from its first line, a stopped one's stream ends. A lost engine
// (an ssh:// tunnel that dropped) is opened again with backoff, and each container resumes
// after the last timestamp seen, with a notice marking the gap.
import { dockerOf } from '../../config/model';
import { PassThrough, Readable } from 'node:stream';
import type { CancellationTokenLike } from '../../cancellation';
import type { LoadedEnvironment } from '../../environment/load';
import { LABEL } from './containerSpec';
import type { Engine } from './engine';
import { serviceName } from './swarmService';
import { sleep } from '../../logs/follow';
import type { LineQueue } from '../../logs/lineQueue';
import { LineSplitter, type LogLine } from '../../logs/logLine';

export interface DockerLogOptions {
  lines: number;
  since?: number;
  follow: boolean;
  token: CancellationTokenLike;
  retryMs?: [number, number];
  /** How often the container list is read again while following. */
  pollMs?: number;
  /** Only the containers of this process (label godeploy.process), when the app has several. */
  process?: string;
}

interface Target {
  id: string;
  name: string;
  kind: 'container' | 'service';
}

/** "2026-11-21T21:56:36.123456789Z rest" → the timestamp as sortable nanoseconds, and the rest. */
export function splitTimestamp(line: string): { ns: bigint; time: string; text: string } | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z (.*)$/s.exec(line);
  if (!m) return undefined;
  const ns = BigInt(Date.parse(`${m[1]}Z`)) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
  return { ns, time: `${m[1]}.${(m[2] ?? '').padEnd(3, '0').slice(0, 3)}Z`, text: m[3] };
}

async function targets(engine: Engine, e: LoadedEnvironment, process?: string): Promise<Target[]> {
  if (dockerOf(e.env)?.mode === 'swarm') {
    // Several processes: a service each (<app>-<process>-<environment>); --process keeps its own.
    const names =
      e.model.processes.length < 2
        ? [serviceName(e.model.app.name, e.name)]
        : e.model.processes.filter((p) => process === undefined || p.name === process).map((p) => serviceName(p.service, e.name));
    const found = (await engine.docker.listServices({ filters: { name: names } })) as { ID: string; Spec?: { Name?: string } }[];
    return names.flatMap((name) => found.filter((s) => s.Spec?.Name === name).map((s): Target => ({ id: s.ID, name, kind: 'service' })));
  }
  const running = (await engine.docker.listContainers({
    filters: { label: [`${LABEL.app}=${e.model.app.name}`, `${LABEL.environment}=${e.name}`], status: ['running'] },
  })) as { Id: string; Names?: string[]; Labels?: Record<string, string> }[];
  return (
    running
      // A container's name (<app>-<process>-<release>) says its process; --process keeps its label's.
      .filter((c) => c.Labels?.[LABEL.release] && (process === undefined || e.model.processes.length < 2 || c.Labels[LABEL.process] === process))
      .map((c) => ({ id: c.Id, name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''), kind: 'container' }))
  );
}

export async function followDockerLogs(
  e: LoadedEnvironment,
  open: () => Promise<Engine>,
  queue: LineQueue,
  o: DockerLogOptions,
): Promise<{ ok: boolean; error?: string }> {
  const [first, longest] = o.retryMs ?? [1000, 30_000];
  const host = 'engine';
  const last = new Map<string, bigint>();
  const streams = new Map<string, Promise<void>>();
  const known = new Set<string>();
  let engine: Engine | undefined;
  let wait = first;
  let lostAt: string | undefined;
  let firstList = true;
  const notice = (text: string, who = host): void => queue.push([{ host: who, text, notice: true }]);

  const follow = (engine: Engine, t: Target, fromStart: boolean): Promise<void> =>
    (async () => {
      const after = last.get(t.id);
      const since = after !== undefined ? Number(after / 1_000_000_000n) : o.since;
      const opts = {
        follow: o.follow,
        stdout: true,
        stderr: true,
        timestamps: true,
        ...(since !== undefined ? { since } : {}),
        ...(after === undefined ? { tail: fromStart ? 'all' : String(o.lines) } : {}),
      };
      const api = t.kind === 'service' ? engine.docker.getService(t.id) : engine.docker.getContainer(t.id);
      const got = (await (api.logs as (o: unknown) => Promise<unknown>)(opts)) as Readable | Buffer;
      const raw: Readable = Buffer.isBuffer(got) ? Readable.from([got], { objectMode: false }) : got;
      const out = new PassThrough();
      const split = new LineSplitter();
      const take = (lines: string[]): LogLine[] =>
        lines.flatMap((l) => {
          const ts = splitTimestamp(l);
          if (!ts) return l ? [{ host: t.name, text: l }] : [];
          const seen = last.get(t.id);
          if (seen !== undefined && ts.ns <= seen) return [];
          last.set(t.id, ts.ns);
          return [{ host: t.name, time: ts.time, text: ts.text }];
        });
      out.on('data', (d: Buffer) => queue.push(take(split.push(d))));
      engine.docker.modem.demuxStream(raw, out, out);
      const release = queue.control({ pause: () => raw.pause(), resume: () => raw.resume() });
      const sub = o.token.onCancellationRequested(() => raw.destroy());
      await new Promise<void>((resolve) => {
        raw.on('end', resolve);
        raw.on('close', resolve);
        raw.on('error', () => resolve());
      });
      sub.dispose();
      release();
      queue.push(take(split.end()));
    })()
      .catch((err: Error) => {
        if (!o.token.isCancellationRequested) notice(`${t.name}: ${err.message}`, t.name);
      })
      .finally(() => {
        streams.delete(t.id);
      });

  while (!o.token.isCancellationRequested) {
    let list: Target[];
    try {
      engine ??= await open();
      list = await targets(engine, e, o.process);
    } catch (err) {
      engine?.close();
      engine = undefined;
      if (!o.follow) return { ok: false, error: (err as Error).message };
      if (!lostAt) {
        lostAt = new Date().toISOString();
        notice(`cannot reach the engine: ${(err as Error).message}; retrying in ${Math.round(wait / 1000)} s`);
      }
      if (await sleep(wait, o.token)) break;
      wait = Math.min(wait * 2, longest);
      continue;
    }
    if (lostAt) {
      notice(`reconnected to the engine (lost since ${lostAt}); each container resumes after its last line shown`);
      lostAt = undefined;
    }
    wait = first;
    if (firstList && !list.length)
      notice(
        `no running ${e.model.app.name} ${dockerOf(e.env)?.mode === 'swarm' ? 'service' : 'container'} in ${e.name}${o.follow ? ': waiting for one' : ''}`,
      );
    for (const t of list) {
      if (streams.has(t.id)) continue;
      // A container that appears while following is shown from its first line.
      streams.set(t.id, follow(engine, t, !firstList && !known.has(t.id)));
      known.add(t.id);
    }
    firstList = false;
    if (!o.follow) {
      await Promise.all(streams.values());
      break;
    }
    if (await sleep(o.pollMs ?? 2000, o.token)) break;
  }
  await Promise.all(streams.values());
  engine?.close();
  return { ok: true };
}
