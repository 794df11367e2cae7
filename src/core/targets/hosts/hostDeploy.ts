// One host's part of a deploy, in three phases the rollout (rollout.ts) sequences across
// hosts: prepare (everything before the switch: a failure there changes nothing live),
// switchAndGate (switch, restart, health gate; a failed gate switches this host back), and
// finish (post-deploy hooks, history, pruning). revert() takes a switched host back when
// another host failed.
import type { CancellationTokenLike } from '../../cancellation';
import { GoDeployError } from '../../errors';
import { formatBytes } from '../../format';
import type { HostPlan } from './deployPlan';
import type { StepId } from '../../environment/types';
import type { HealthResult } from '../../release/health';
import { gatePassed } from '../../release/healthGate';
import { runHostGate } from './hostGate';
import { lastOutputLine as firstLine, type HostRunner, type HostRunResult } from '../../remote/hostRunner';
import { pieceArgs, type DeltaPlan } from './delta';
import type { LiveState } from './unchanged';
import { deltaAssembleCommand, fillCommand, HISTORY_LINE, OWNER, PREVIOUS } from './deployPlan';
import { activateOnIdleInstance, stopAllInstances, type ActivateResult, type InstanceSwitchHost } from './blueGreenSwitch';
import { interpretOwnedRelease } from './lock';
import { serializeOwner } from '../../release/lockOwner';
import { type LockOwner } from '../../environment/types';
import { DeployEvent } from '../../environment/types';
import { DeployHost } from '../../remote/openHosts';
import type { ProcessesPlan, ProcessUnit } from './processPlan';
import { placeReleaseFiles } from './releaseFiles';
import type { ReleaseFile } from '../../release/releaseFiles';

export interface HostDeployContext {
  /** The executable built for this host: its path, or its bytes when several hosts share them. */
  artifact: string | (() => Promise<string | Buffer>);
  /** The env file's text (secret: never logged, uploaded with mode 0600). */
  envFileText: string;
  emit(e: DeployEvent): void;
  redact(text: string): string;
  token?: CancellationTokenLike;
  /** What the host held when its lock was taken (releases and their executables, free space), if it was read. */
  hostState?: Pick<LiveState, 'releases' | 'freeKb'>;
  /** What to send instead of the whole executable, when the live release's executable holds most of it. */
  delta?: () => Promise<HostDelta | null>;
  /** Several processes: each executable built for this host (path or bytes), by its name in the release. */
  executables?: Map<string, string | (() => Promise<string | Buffer>)>;
  /** Several processes: each env file's text (secret), by its name (<service>.env). */
  envFiles?: Record<string, string>;
  /** app.files resolved on this machine (templated ones with their text: never logged). */
  releaseFiles?: ReleaseFile[];
}

/** A delta upload: the pieces that make the new executable from release `baseRelease`'s and the literal bytes. */
export interface HostDelta {
  baseRelease: string;
  plan: DeltaPlan;
  literal: Buffer;
}

export interface GateOutcome {
  healthy: boolean;
  health?: HealthResult;
  error?: string;
  logs?: string;
  rolledBackTo?: string | null;
  rollbackHealthy?: boolean;
  /** Why switching back failed (a command's exit, or the gate after it). */
  rollbackError?: string;
}

export class HostDeployment {
  /** The release current pointed at before the switch ('' for a first deploy). */
  previous: string | null = null;
  switched = false;
  /** Host epoch second of the switch, for the new release's logs. */
  since: number | undefined;
  /** Where the new release's lines begin in its log files, when the restart printed it (`log-offset N…`). */
  private logOffsets: number[] | undefined;
  readonly timings: Partial<Record<StepId, number>> = {};
  readonly startedAt = new Date();
  binarySource: 'uploaded' | 'delta' | 'reused' | null = null;
  /** Several processes: how each executable got into the release (an unchanged one is linked, not sent). */
  readonly executableSources: Record<string, 'uploaded' | 'reused'> = {};
  /** Several processes: where each restarted process's lines begin in its log files, by service. */
  private readonly unitOffsets = new Map<string, number[] | undefined>();
  /** app.files sent and linked from an earlier release (the files step's result). */
  filesResult: { uploaded: string[]; reused: string[] } | undefined;
  /** Bytes of the executable sent (see binarySource). */
  binaryBytesSent = 0;
  /** What current pointed at when the release was completed (under the lock, so still true at the switch). */
  private currentBefore: string | undefined;

  constructor(
    readonly host: DeployHost,
    readonly plan: HostPlan,
    private readonly ctx: HostDeployContext,
  ) {}

  private get runner(): HostRunner {
    return this.host.runner;
  }

  private async step<T>(id: StepId, message: string, fn: () => Promise<T>, done?: (v: T) => string): Promise<T> {
    const t0 = Date.now();
    this.ctx.emit({ host: this.host.alias, step: id, state: 'start', message });
    try {
      const v = await fn();
      const ms = Date.now() - t0;
      this.timings[id] = ms;
      this.ctx.emit({ host: this.host.alias, step: id, state: 'done', message: done ? done(v) : message, ms });
      return v;
    } catch (e) {
      this.timings[id] = Date.now() - t0;
      this.ctx.emit({ host: this.host.alias, step: id, state: 'fail', message: this.ctx.redact((e as Error).message), ms: Date.now() - t0 });
      throw e;
    }
  }

  private async run(argv: string[], what: string): Promise<HostRunResult> {
    const r = await this.runner.exec(argv);
    if (r.code !== 0) throw new GoDeployError(`${this.host.alias}: ${what} failed (exit ${r.code ?? 'signal'}): ${this.ctx.redact(firstLine(r))}`);
    return r;
  }

  private checkCancel(): void {
    if (this.ctx.token?.isCancellationRequested) throw new GoDeployError('deploy cancelled before the switch; nothing changed on the hosts', { exitCode: 1 });
  }

  /** Everything before the switch; on failure or cancel the unfinished release is removed. */
  async prepare(): Promise<void> {
    if (this.plan.processes) return this.prepareProcesses(this.plan.processes);
    const { base, releaseId: id, name, artifact } = this.plan;
    let created = false;
    let envUpload: Promise<void> | undefined;
    try {
      this.checkCancel();
      const { freeKb, reusedFrom } = await this.step('prepare', `create release ${id}`, () => this.openRelease());
      created = true;
      this.checkCancel();
      // The env file travels while the executable is looked for and uploaded.
      envUpload = this.runner.upload(Buffer.from(this.ctx.envFileText), `${base}/releases/.${id}.partial/${this.plan.envFileName}`, {
        mode: 0o600,
        token: this.ctx.token,
        label: `the env file ${this.plan.envFileName}`,
      });
      envUpload.catch(() => undefined);
      await this.placeFiles();
      // The check of a sent executable also completes the release (one round trip): its output.
      let completedWithCheck: string | undefined;
      /** Runs a place-then-complete command once the env file has landed; null when placing failed (its result then). */
      const placeAndComplete = async (argv: string[]): Promise<HostRunResult | null> => {
        await envUpload;
        const r = await this.runner.exec(argv);
        if (r.code === 7) throw new GoDeployError(`${this.host.alias}: completing the release folder failed (exit 7): ${this.ctx.redact(firstLine(r))}`);
        if (r.code !== 0) return r;
        completedWithCheck = r.stdout;
        return null;
      };
      await this.step(
        'binary',
        `place ${name}`,
        async () => {
          if (reusedFrom) {
            this.binarySource = 'reused';
            return `linked from release ${reusedFrom} (same sha256, nothing uploaded)`;
          }
          const size = artifact?.size ?? 0;
          if (freeKb !== null && freeKb * 1024 < size + 1024 * 1024) {
            throw this.diskFull(freeKb * 1024, size);
          }
          const delta = await this.placeDelta(placeAndComplete);
          if (delta) return delta;
          const tmp = `${base}/releases/.${id}.partial/.${name}.upload`;
          try {
            const source = typeof this.ctx.artifact === 'string' ? this.ctx.artifact : await this.ctx.artifact();
            await this.runner.upload(source, tmp, { mode: 0o755, token: this.ctx.token, label: 'the executable' });
          } catch (e) {
            if (/no space|ENOSPC|failure/i.test((e as Error).message)) {
              // Measured once the partial upload is gone: it filled the disk (df would say 0).
              const free = await this.freeBytes();
              if (free !== null && free < size + 1024 * 1024) throw this.diskFull(free, size);
            }
            throw e;
          }
          const failed = await placeAndComplete(this.plan.argv.place);
          if (failed)
            throw new GoDeployError(
              `${this.host.alias}: checking the uploaded executable failed (exit ${failed.code ?? 'signal'}): ${this.ctx.redact(firstLine(failed))}`,
            );
          this.binarySource = 'uploaded';
          this.binaryBytesSent = size;
          return `uploaded ${formatBytes(size)}, sha256 checked on the host`;
        },
        (v) => v,
      );
      this.checkCancel();
      const completed = await this.step(
        'env-file',
        `write ${this.plan.envFileName}`,
        async () => {
          if (completedWithCheck !== undefined) return completedWithCheck;
          await envUpload;
          return (await this.run(this.plan.argv.complete, 'completing the release folder')).stdout;
        },
        () => `wrote ${this.plan.envFileName} (mode 0600); release ${id} complete`,
      );
      // Read with the release's completion: what current points at (the way back) and the
      // installed definition's sha256.
      this.currentBefore = /^current (.*)$/m.exec(completed)?.[1];
      if (this.plan.manager.definition) {
        const def = this.plan.manager.definition;
        await this.step(
          'service',
          `install ${def.path}`,
          async () => {
            const { createHash } = await import('node:crypto');
            const want = createHash('sha256').update(def.content).digest('hex');
            const have = /^definition (.+)$/m.exec(completed)?.[1] ?? 'none';
            if (have === want) return 'unchanged';
            await this.runner.upload(Buffer.from(def.content), `${def.path}.godeploy-tmp`, { mode: 0o644, token: this.ctx.token });
            await this.run(this.plan.argv.install!, `installing ${def.path}`);
            for (const argv of def.reload) await this.run(argv, argv.join(' '));
            return have === 'none' ? 'installed' : 'updated';
          },
          (v) => `${def.path} ${v}`,
        );
      }
      await this.preDeployHooks();
    } catch (e) {
      // An env upload still on its way must land (or fail) before its folder is removed.
      await envUpload?.catch(() => undefined);
      if (created) await this.discard();
      throw e;
    }
  }

  /** hooks.preDeploy in the new release; a failure throws (the live release was not touched). */
  private async preDeployHooks(): Promise<void> {
    if (this.plan.hooks.preDeploy.length) {
      this.checkCancel();
      await this.step('pre-deploy', 'hooks.preDeploy', async () => {
        for (const [i, c] of this.plan.hooks.preDeploy.entries()) {
          const r = await this.runner.exec(this.plan.argv.preDeploy[i]);
          const output = this.ctx.redact(`${r.stdout}${r.stderr}`.trim());
          if (output) this.ctx.emit({ host: this.host.alias, step: 'pre-deploy', state: 'info', message: output });
          if (r.code !== 0)
            throw new GoDeployError(
              `${this.host.alias}: hooks.preDeploy[${i}] (${c}) failed with exit ${r.code ?? 'signal'}; the live release was not touched`,
              { exitCode: 1 },
            );
        }
      });
    }
  }

  /** The files step (app.files, app.shared) into the partial release; nothing when there are neither. Several processes call it too. */
  private async placeFiles(): Promise<void> {
    const files = this.ctx.releaseFiles ?? [];
    if (!files.length && !this.plan.model.shared.length) return;
    const { base, releaseId } = this.plan;
    this.filesResult = await this.step(
      'files',
      'place app.files, link app.shared',
      () =>
        placeReleaseFiles(
          this.runner,
          this.host.alias,
          { base, releaseId, shared: this.plan.model.shared, owner: this.plan.releaseFiles?.owner ?? null },
          files,
          this.ctx.redact,
          this.ctx.token,
        ),
      (r) => r.message,
    );
  }

  /**
   * Several processes: the release folder with each executable (an unchanged one linked from
   * an earlier release by its own sha256, the others uploaded and checked) and each process's
   * env file, then each changed definition installed, then hooks.preDeploy.
   */
  private async prepareProcesses(p: ProcessesPlan): Promise<void> {
    const { base, releaseId: id } = this.plan;
    const partial = `${base}/releases/.${id}.partial`;
    let created = false;
    let envUploads: Promise<unknown> | undefined;
    try {
      this.checkCancel();
      const opened = await this.step('prepare', `create release ${id}`, async () => (await this.run(p.argv.openRelease, 'creating the release folder')).stdout);
      created = true;
      const free = Number(/^free (\d+)$/m.exec(opened)?.[1] ?? NaN);
      const reused = new Map([...opened.matchAll(/^reused (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
      this.checkCancel();
      envUploads = Promise.all(
        p.units.map((u) =>
          this.runner.upload(Buffer.from(this.ctx.envFiles?.[u.envFileName] ?? ''), `${partial}/${u.envFileName}`, {
            mode: 0o600,
            token: this.ctx.token,
            label: `the env file ${u.envFileName}`,
          }),
        ),
      );
      envUploads.catch(() => undefined);
      await this.placeFiles();
      await this.step(
        'binary',
        `place ${p.executables.join(', ')}`,
        async () => {
          const sizeOf = (e: string): number => p.artifacts?.find((a) => a.executable === e)?.size ?? 0;
          const missing = p.executables.filter((e) => !reused.has(e));
          const need = missing.reduce((n, e) => n + sizeOf(e), 0);
          if (missing.length && Number.isFinite(free) && free * 1024 < need + 1024 * 1024) throw this.diskFull(free * 1024, need);
          const said: string[] = [];
          for (const e of p.executables) {
            if (reused.has(e)) {
              this.executableSources[e] = 'reused';
              said.push(`${e} linked from release ${reused.get(e)} (same sha256, nothing uploaded)`);
              continue;
            }
            const a = this.ctx.executables?.get(e);
            if (!a) throw new GoDeployError(`${this.host.alias}: no build of the executable ${e}`);
            await this.runner.upload(typeof a === 'string' ? a : await a(), `${partial}/.${e}.upload`, {
              mode: 0o755,
              token: this.ctx.token,
              label: `the executable ${e}`,
            });
            await this.run(p.argv.place[e], `checking the uploaded executable ${e}`);
            this.executableSources[e] = 'uploaded';
            this.binaryBytesSent += sizeOf(e);
            said.push(`${e} uploaded ${formatBytes(sizeOf(e))}, sha256 checked on the host`);
          }
          this.binarySource = missing.length ? 'uploaded' : 'reused';
          return said.join('; ');
        },
        (v) => v,
      );
      this.checkCancel();
      const envs = p.units.map((u) => u.envFileName).join(', ');
      const completed = await this.step(
        'env-file',
        `write ${envs}`,
        async () => {
          await envUploads;
          return (await this.run(p.argv.complete, 'completing the release folder')).stdout;
        },
        () => `wrote ${envs} (mode 0600); release ${id} complete`,
      );
      this.currentBefore = /^current (.*)$/m.exec(completed)?.[1];
      let n = 0;
      for (const [i, u] of p.units.entries()) {
        const def = u.manager.definition;
        if (!def) continue;
        const have = new RegExp(`^definition ${n++} (.+)$`, 'm').exec(completed)?.[1] ?? 'none';
        await this.step(
          'service',
          `install ${def.path}`,
          async () => {
            const { createHash } = await import('node:crypto');
            if (have === createHash('sha256').update(def.content).digest('hex')) return 'unchanged';
            await this.runner.upload(Buffer.from(def.content), `${def.path}.godeploy-tmp`, { mode: 0o644, token: this.ctx.token });
            await this.run(p.argv.install[i]!, `installing ${def.path}`);
            for (const argv of def.reload) await this.run(argv, argv.join(' '));
            return have === 'none' ? 'installed' : 'updated';
          },
          (v) => `${def.path} ${v}`,
        );
      }
      await this.preDeployHooks();
    } catch (e) {
      await envUploads?.catch(() => undefined);
      if (created) await this.discard();
      throw e;
    }
  }

  /** Several processes: restart `u` and wait for its gate; the error when either failed. */
  private async restartAndGate(u: ProcessUnit, steps: boolean): Promise<{ health?: HealthResult; error?: string }> {
    const step = <T>(id: StepId, message: string, fn: () => Promise<T>, done?: (v: T) => string): Promise<T> =>
      steps ? this.step(id, message, fn, done) : fn();
    let restartedAt = Date.now();
    try {
      await step('restart', `restart ${u.manager.name}`, async () => {
        const r = await this.withReconnect((x) => x.exec(u.manager.restart));
        this.unitOffsets.set(u.service, logOffsetsOf(r.stdout));
        if (r.code !== 0)
          throw new GoDeployError(`${this.host.alias}: restarting ${u.manager.name} failed (exit ${r.code ?? 'signal'}): ${this.ctx.redact(firstLine(r))}`);
        restartedAt = Date.now();
      });
    } catch (e) {
      // A process gate still looks (see switchAndGate).
      if (u.gate.type !== 'process') return { error: (e as Error).message };
    }
    const title =
      u.gate.type === 'process'
        ? `health gate: ${u.manager.name} stays up for ${u.gate.forMs / 1000} s`
        : u.gate.type === 'tcp'
          ? `health gate: port ${u.model.app.port} accepts a connection`
          : `health gate ${u.gate.path} (${u.manager.name})`;
    try {
      const health = await step(
        'health',
        title,
        async () => {
          const h = await this.gateOf(u, restartedAt);
          if (!h.healthy) throw new GoDeployError(`${this.host.alias}: ${h.failure}`);
          return h;
        },
        (h) => `${u.manager.name}: ${gatePassed(u.gate, u.model.app.port, h)}`,
      );
      return { health };
    } catch (e) {
      return { error: (e as Error).message };
    }
  }

  private gateOf(u: ProcessUnit, startedAt?: number): Promise<HealthResult> {
    return runHostGate({
      runner: this.host.runner,
      spec: u.gate,
      port: u.model.app.port,
      what: u.manager.name,
      startedAt,
      observe: u.manager.observe,
      parseObservation: u.manager.parseObservation,
      exec: (argv) => this.withReconnect((r) => r.exec(argv)),
    });
  }

  /** Several processes: one switch, then each process restarted and gated in order; a failure takes every process back. */
  private async processesSwitchAndGate(p: ProcessesPlan): Promise<GateOutcome> {
    const before = this.currentBefore ?? (await this.run(this.plan.argv.readCurrent, 'reading current')).stdout;
    this.previous = before.trim().replace(/^releases\//, '');
    let error: string | undefined;
    let failed: ProcessUnit | undefined;
    let health: HealthResult | undefined;
    try {
      this.switched = true;
      const sw = await this.step('switch', `switch to ${this.plan.releaseId}`, () => this.run(p.argv.switch, 'switching current'));
      this.since = Number(/^since (\d+)$/m.exec(sw.stdout)?.[1]) || undefined;
    } catch (e) {
      error = (e as Error).message;
    }
    for (const u of error ? [] : p.units) {
      const r = await this.restartAndGate(u, true);
      if (r.error) {
        error = r.error;
        failed = u;
        break;
      }
      health ??= r.health;
    }
    if (!error) return { healthy: true, health };
    const logs = await this.failedLogs(failed);
    const back = await this.revert('failed health gate');
    return { healthy: false, error, logs, rolledBackTo: back.to, rollbackHealthy: back.healthy, rollbackError: back.error };
  }

  /**
   * Sends only what the live release's executable lacks and has the host assemble and check
   * it. Returns the step's message, or null to upload the whole file (no delta, or it failed:
   * then nothing of it is left on the host).
   */
  private async placeDelta(placeAndComplete: (argv: string[]) => Promise<HostRunResult | null>): Promise<string | null> {
    const delta = await this.ctx.delta?.().catch(() => null);
    if (!delta) return null;
    const { base, releaseId: id, name } = this.plan;
    const literal = `${base}/releases/.${id}.partial/.${name}.literal`;
    await this.runner.upload(delta.literal, literal, { mode: 0o600, token: this.ctx.token, label: "the executable's changed bytes" });
    const r = await placeAndComplete(deltaAssembleCommand(this.plan, delta.baseRelease, pieceArgs(delta.plan)));
    if (!r) {
      this.binarySource = 'delta';
      this.binaryBytesSent = delta.plan.literalBytes;
      return `uploaded ${formatBytes(delta.plan.literalBytes)} of ${formatBytes(delta.plan.size)} (the rest from release ${delta.baseRelease}'s executable), sha256 checked on the host`;
    }
    const why =
      r.code === 4 ? 'the assembled file had the wrong sha256' : `assembling it failed (${this.ctx.redact(firstLine(r)) || `exit ${r.code ?? 'signal'}`})`;
    this.ctx.emit({
      host: this.host.alias,
      step: 'binary',
      state: 'info',
      message: `delta against release ${delta.baseRelease}: ${why}; uploading the whole executable`,
    });
    return null;
  }

  /**
   * Creates the partial release folder: the free space where releases go (kB, null when
   * unknown), and the release whose identical executable was linked into it, if any. When
   * the state read with the lock shows no release with this executable, the folder is made
   * by SFTP (no process on the host); otherwise, or when that fails, by OPEN_RELEASE.
   */
  private async openRelease(): Promise<{ freeKb: number | null; reusedFrom: string | null }> {
    const { base, releaseId: id, artifact } = this.plan;
    const known = this.ctx.hostState;
    if (known && known.freeKb !== null && artifact && !known.releases.some((r) => r.sha256 === artifact.sha256 || r.id === id)) {
      try {
        await this.runner.mkdir(`${base}/releases/.${id}.partial`, 0o755);
        return { freeKb: known.freeKb, reusedFrom: null };
      } catch {
        // A first deploy (no releases/ yet) or a leftover folder: the script handles both.
      }
    }
    const out = (await this.run(this.plan.argv.openRelease, 'creating the release folder')).stdout;
    const free = Number(/^free (\d+)$/m.exec(out)?.[1] ?? NaN);
    return { freeKb: Number.isFinite(free) ? free : null, reusedFrom: /^reused (.+)$/m.exec(out)?.[1] ?? null };
  }

  private diskFull(freeBytes: number, size: number): GoDeployError {
    return new GoDeployError(
      `${this.host.alias} (${this.host.address}): not enough disk space for the release: ${formatBytes(freeBytes)} free in ${this.plan.base}/releases, the executable needs ${formatBytes(size)}`,
      {
        hint: `free space on the host (old releases: lower keepReleases), or set path to a larger filesystem; the live release keeps serving`,
        exitCode: 1,
      },
    );
  }

  /** Free space where releases go, as `df` reports it, after removing this deploy's partial upload files. */
  private async freeBytes(): Promise<number | null> {
    try {
      const r = await this.runner.exec(this.plan.argv.freeSpace);
      const kb = Number(r.stdout.trim());
      return r.code === 0 && Number.isFinite(kb) ? kb * 1024 : null;
    } catch {
      return null;
    }
  }

  /** Removes this deploy's release unless it is live (history.jsonl keeps the record). Never rejects. */
  async discard(): Promise<void> {
    await this.withReconnect((r) => r.exec(this.plan.argv.discard)).catch(() => undefined);
  }

  /** Runs `fn`; when the connection was lost, once more on a fresh one. */
  async withReconnect<T>(fn: (r: HostRunner) => Promise<T>): Promise<T> {
    try {
      return await fn(this.host.runner);
    } catch (e) {
      if (!this.host.reconnect) throw e;
      this.host.runner = await this.host.reconnect();
      return fn(this.host.runner);
    }
  }

  /** Points current back at `id` and restarts it, or (null) stops the service and removes current; any failure throws. */
  private async switchTo(id: string | null): Promise<void> {
    const { base, manager, argv } = this.plan;
    const p = this.plan.processes;
    if (p && id) {
      await this.runChecked(fillCommand(p.argv.switchBack, { [PREVIOUS]: id }), `switching back to ${id}`);
      for (const u of p.units) await this.runChecked(u.manager.restart, `restarting ${u.manager.name} on ${id}`);
    } else if (p) {
      const stopped: Error[] = [];
      for (const u of p.units) await this.runChecked(u.manager.stop, `stopping ${u.manager.name}`).catch((e: Error) => stopped.push(e));
      await this.runChecked(argv.unswitch, `removing ${base}/current`);
      if (stopped.length) throw stopped[0];
    } else if (id) {
      await this.runChecked(fillCommand(argv.switchBack, { [PREVIOUS]: id }), `switching back to ${id}`);
      await this.runChecked(argv.restart, `restarting ${manager.name} on ${id}`);
    } else {
      // current goes even when the stop failed: it must not name a release that never went live.
      const stopped = await this.runChecked(argv.stop, `stopping ${manager.name}`).then(
        () => undefined,
        (e: Error) => e,
      );
      await this.runChecked(argv.unswitch, `removing ${base}/current`);
      if (stopped) throw stopped;
    }
  }

  /** Runs `argv` (reconnecting once); a non-zero exit throws, naming `what`, the exit code and the output's last line (redacted). */
  private async runChecked(argv: string[], what: string): Promise<HostRunResult> {
    const r = await this.withReconnect((x) => x.exec(argv));
    if (r.code !== 0) throw new GoDeployError(`${this.host.alias}: ${what} failed (exit ${r.code ?? 'signal'}): ${this.ctx.redact(firstLine(r))}`);
    return r;
  }

  private async gate(startedAt?: number): Promise<HealthResult> {
    if (this.plan.processes) {
      // Every process in order: the first that fails is the answer.
      let last: HealthResult | undefined;
      for (const u of this.plan.processes.units) {
        last = await this.gateOf(u, startedAt);
        if (!last.healthy) return last;
      }
      return last!;
    }
    const { model, manager, gate } = this.plan;
    return runHostGate({
      runner: this.host.runner,
      spec: gate,
      port: model.app.port,
      what: manager.name,
      startedAt,
      observe: manager.observe,
      parseObservation: manager.parseObservation,
      exec: (argv) => this.withReconnect((r) => r.exec(argv)),
    });
  }

  /** Switch, restart, health gate. Not cancellable: a cancel now is handled after the gate. */
  async switchAndGate(): Promise<GateOutcome> {
    if (this.plan.blueGreen) return this.blueGreenSwitchAndGate();
    if (this.plan.processes) return this.processesSwitchAndGate(this.plan.processes);
    // What is live now, read first: if the connection drops during the switch, nobody knows
    // whether the rename happened, and the way back must still be known.
    const before = this.currentBefore ?? (await this.run(this.plan.argv.readCurrent, 'reading current')).stdout;
    this.previous = before.trim().replace(/^releases\//, '');
    let error: string | undefined;
    let restarting = false;
    let restartedAt: number | undefined;
    try {
      this.switched = true;
      const sw = await this.step('switch', `switch to ${this.plan.releaseId}`, () => this.run(this.plan.argv.switch, 'switching current'));
      this.since = Number(/^since (\d+)$/m.exec(sw.stdout)?.[1]) || undefined;
      restarting = true;
      restartedAt = Date.now();
      await this.step('restart', `restart ${this.plan.manager.name}`, async () => {
        const r = await this.runner.exec(this.plan.argv.restart);
        this.logOffsets = logOffsetsOf(r.stdout);
        if (r.code !== 0)
          throw new GoDeployError(
            `${this.host.alias}: restarting ${this.plan.manager.name} failed (exit ${r.code ?? 'signal'}): ${this.ctx.redact(firstLine(r))}`,
          );
        // Started: a process gate's window begins now (a failed start counts from the restart's beginning).
        restartedAt = Date.now();
        return r;
      });
    } catch (e) {
      // A process gate still looks: a start the manager calls failed (supervisor's "spawn
      // error": it exited within startsecs) is a process that did not stay up, and the gate
      // says how it ended.
      if (!(restarting && this.plan.gate.type === 'process')) error = (e as Error).message;
    }
    let health: HealthResult | undefined;
    if (!error) {
      const { gate } = this.plan;
      const title =
        gate.type === 'process'
          ? `health gate: ${this.plan.manager.name} stays up for ${gate.forMs / 1000} s`
          : gate.type === 'tcp'
            ? `health gate: port ${this.plan.model.app.port} accepts a connection`
            : `health gate ${gate.path}`;
      health = await this.step(
        'health',
        title,
        async () => {
          const h = await this.gate(restartedAt);
          if (!h.healthy) throw new GoDeployError(`${this.host.alias}: ${h.failure}`);
          return h;
        },
        (h) => gatePassed(gate, this.plan.model.app.port, h),
      ).catch((e: Error) => {
        error = e.message;
        return undefined;
      });
    }
    if (!error) return { healthy: true, health };
    const logs = await this.failedLogs();
    const back = await this.revert('failed health gate');
    return { healthy: false, error, logs, rolledBackTo: back.to, rollbackHealthy: back.healthy, rollbackError: back.error };
  }

  /** The last 50 log lines of the release that failed (since the switch where the manager can filter). */
  async failedLogs(unit?: ProcessUnit): Promise<string> {
    try {
      const argv = unit ? unit.manager.logs(50, this.since, this.unitOffsets.get(unit.service)) : this.plan.manager.logs(50, this.since, this.logOffsets);
      const r = await this.withReconnect((x) => x.exec(argv));
      return this.ctx.redact(`${r.stdout}${r.code === 0 ? '' : r.stderr}`.trim());
    } catch (e) {
      return `(could not read the logs: ${(e as Error).message})`;
    }
  }

  /** Back to the release before this deploy (or no release at all after a failed first deploy), gated again. */
  async revert(why: string): Promise<{ to: string | null; healthy: boolean; error?: string }> {
    const to = this.previous || null;
    const t0 = Date.now();
    if (this.plan.blueGreen) {
      this.ctx.emit({
        host: this.host.alias,
        step: 'rollback',
        state: 'start',
        message: `${why}: ${to ? `bringing ${to} back on the idle instance` : 'no earlier release'}`,
      });
      const r = to
        ? await this.blueGreenActivate(to, false)
        : await this.blueGreenStopAll().then(
            () => ({ ok: true, error: undefined }),
            (e: Error) => ({ ok: false, error: e.message }),
          );
      if (r.ok) this.switched = false;
      this.ctx.emit({
        host: this.host.alias,
        step: 'rollback',
        state: r.ok ? 'done' : 'fail',
        message: r.ok ? (to ? `${to} is live again and healthy` : 'stopped; no current release') : this.ctx.redact(r.error ?? 'failed'),
        ms: Date.now() - t0,
      });
      return { to, healthy: r.ok, error: r.ok ? undefined : this.ctx.redact(r.error ?? 'switching back failed') };
    }
    this.ctx.emit({
      host: this.host.alias,
      step: 'rollback',
      state: 'start',
      message: to ? `${why}: switching back to ${to}` : `${why}: no earlier release, stopping ${this.plan.manager.name}`,
    });
    try {
      await this.switchTo(to);
      this.switched = false;
      const healthy = to ? (await this.gate()).healthy : true;
      this.ctx.emit({
        host: this.host.alias,
        step: 'rollback',
        state: healthy ? 'done' : 'fail',
        message: to ? `${to} is live again${healthy ? ' and healthy' : ', but NOT healthy'}` : 'stopped; no current release',
        ms: Date.now() - t0,
      });
      return { to, healthy, error: healthy ? undefined : `${this.host.alias}: ${to} is live again, but NOT healthy` };
    } catch (e) {
      const error = this.ctx.redact((e as Error).message);
      this.ctx.emit({ host: this.host.alias, step: 'rollback', state: 'fail', message: error, ms: Date.now() - t0 });
      return { to, healthy: false, error };
    }
  }

  private async blueGreenSwitchAndGate(): Promise<GateOutcome> {
    const r = await this.blueGreenActivate(this.plan.releaseId, true);
    if (r.ok) return { healthy: true, health: r.health };
    // The live instance and nginx were not touched (or were put back): nothing to revert.
    this.switched = false;
    return { healthy: false, error: r.error, logs: r.logs, rolledBackTo: this.previous || null, rollbackHealthy: r.restored };
  }

  /** The view of this host the blue-green switch works through (reconnecting, with step events). */
  instances(steps: boolean): InstanceSwitchHost {
    return {
      alias: this.host.alias,
      runner: () => this.host.runner,
      exec: (argv) => this.withReconnect((r) => r.exec(argv)),
      upload: (data, path, mode) => this.withReconnect((r) => r.upload(data, path, { mode })),
      step: (id, message, fn, done) => (steps ? this.step(id, message, fn, done) : fn()),
      info: (step, message) => this.ctx.emit({ host: this.host.alias, step, state: 'info', message }),
      redact: (t) => this.ctx.redact(t),
    };
  }

  private async blueGreenActivate(target: string, steps: boolean): Promise<ActivateResult> {
    this.switched = true;
    const r = await activateOnIdleInstance(this.instances(steps), this.plan, target);
    if (steps && r.was !== undefined) this.previous = r.was;
    this.since = r.since ?? this.since;
    this.switched = r.ok || !r.restored;
    return r;
  }

  private async blueGreenStopAll(): Promise<void> {
    await stopAllInstances(this.instances(false), this.plan);
  }

  /**
   * After every host passed: post-deploy hooks (a failure is reported, not rolled back), then
   * one script marks the release live, records it, prunes and (given the lock's owner.json
   * text) releases the lock. Returns the problems, and unlocked: true when the lock needs no
   * further release (released here, or held by someone else, which is reported).
   */
  async finish(record: (result: string) => string, lockOwner?: LockOwner): Promise<{ problems: string[]; unlocked: boolean }> {
    const problems: string[] = [];
    if (this.plan.hooks.postDeploy.length) {
      await this.step('post-deploy', 'hooks.postDeploy', async () => {
        for (const [i, c] of this.plan.hooks.postDeploy.entries()) {
          const r = await this.runner.exec(this.plan.argv.postDeploy[i]);
          const output = this.ctx.redact(`${r.stdout}${r.stderr}`.trim());
          if (output) this.ctx.emit({ host: this.host.alias, step: 'post-deploy', state: 'info', message: output });
          if (r.code !== 0)
            throw new GoDeployError(`${this.host.alias}: hooks.postDeploy[${i}] (${c}) failed with exit ${r.code ?? 'signal'}; the new release stays live`);
        }
      }).catch((e: Error) => problems.push(e.message));
    }
    const { keepReleases } = this.plan;
    const finish = fillCommand(this.plan.argv.finish, {
      [HISTORY_LINE]: record('live'),
      [OWNER]: lockOwner ? serializeOwner(lockOwner) : '',
      [PREVIOUS]: this.previous ? [this.previous] : [],
    });
    const out = await this.step(
      'finish',
      `record the release, keep ${keepReleases} releases`,
      async () => {
        const r = await this.withReconnect((x) => x.exec(finish));
        if (r.code !== 0)
          throw new GoDeployError(`${this.host.alias}: finishing the release failed (exit ${r.code ?? 'signal'}): ${this.ctx.redact(firstLine(r))}`);
        return r.stdout.split('\n');
      },
      (lines) => {
        const pruned = lines.flatMap((l) => /^pruned (.+)$/.exec(l)?.[1] ?? []);
        return `${lines.includes('recorded') ? 'recorded in history.jsonl' : 'NOT recorded in history.jsonl'}; ${pruned.length ? `removed ${pruned.join(', ')}` : 'nothing to prune'}`;
      },
    ).catch((e: Error) => {
      problems.push(e.message);
      return undefined;
    });
    if (!out) return { problems, unlocked: false };
    const recorded = out.find((l) => /^(recorded|not recorded)/.test(l));
    if (recorded !== 'recorded')
      problems.push(`${this.host.alias}: could not append to the history log: ${recorded?.replace(/^not recorded: ?/, '') || 'no output'}`);
    const u = out.indexOf('unlock');
    if (!lockOwner || u < 0) return { problems, unlocked: false };
    try {
      interpretOwnedRelease(this.runner.describe, out.slice(u + 1), lockOwner);
      this.ctx.emit({ host: this.host.alias, step: 'unlock', state: 'done', message: 'lock released' });
    } catch (e) {
      this.ctx.emit({ host: this.host.alias, step: 'unlock', state: 'fail', message: `could not release the deploy lock: ${(e as Error).message}` });
    }
    return { problems, unlocked: true };
  }

  async writeHistory(line: string): Promise<void> {
    await this.withReconnect(async (r) => {
      const x = await r.exec(fillCommand(this.plan.argv.record, { [HISTORY_LINE]: line }));
      if (x.code !== 0) throw new GoDeployError(`${this.host.alias}: could not append to the history log: ${firstLine(x)}`);
    });
  }
}

/** The byte offsets a restart printed as `log-offset N…`: where the started release's lines begin in each log file. */
export function logOffsetsOf(stdout: string): number[] | undefined {
  const m = /^log-offset((?:[ \t]+\d+)+)[ \t]*$/m.exec(stdout);
  return m ? m[1].trim().split(/\s+/).map(Number) : undefined;
}
