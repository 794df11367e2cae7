// `godeploy exec` and `godeploy restart|stop|start` on the hosts of an ssh or local
// environment. exec runs the command in <base>/current with the env file the service reads
// (shared/<app>.env, written at the switch: its secrets are already resolved there, so no
// value travels in argv), stdin from /dev/null, output streamed per host. restart, stop and
// start use the service manager's own commands (systemd, supervisor, or the detached process
// of `type: local`) exactly as a deploy does, under the deploy lock, and restart and start
// end with the deploy's health gate; restart goes in the rollout's batches.
import { userInfo } from 'node:os';
import { rolloutOf } from '../../config/model';
import { processNamed } from '../../generate/processes';
import { deployEnvironmentOf, type DeployEnvironment, type LoadedEnvironment } from '../../environment/load';
import {
  UNREACHABLE_EXIT,
  worstExitCode,
  type ExecHostResult,
  type ExecRequest,
  type ExecResult,
  type InteractiveTerminal,
  type OperationPlan,
  type OperationStep,
  type PreparedOperation,
  type ServiceActionHostResult,
  type ServiceActionRequest,
  type ServiceActionResult,
  type ServiceSnapshot,
} from '../../environment/operations';
import type { LockOwner } from '../../environment/types';
import { GoDeployError } from '../../errors';
import { batchesOf, mapLimit } from '../../release/batches';
import { bestEffortRedactor } from '../../release/envFile';
import { lockOwnerFor } from '../../release/lockOwner';
import { describeGate, gatePassed, gateSpecOf } from '../../release/healthGate';
import {
  execProcess,
  exitCodeOf,
  forwardLines,
  hostList,
  hostResult,
  operationProcesses,
  selectOperationHosts,
  stepReporter,
} from '../../release/operationHosts';
import { lastOutputLine } from '../../remote/hostRunner';
import { openHosts, type DeployHost } from '../../remote/openHosts';
import { shArgv as sh, shellQuote } from '../../remote/quote';
import { activePortFile } from './blueGreen';
import { hasSeveralProcessForm, serviceManagersFor } from './processServices';
import { READ_CURRENT } from './deployPlan';
import { runHostGate } from './hostGate';
import { logOffsetsOf } from './hostDeploy';
import { acquireLockRecorded, releaseLock } from './lock';
import type { ServiceManager } from './serviceManager';

// $1 base, $2 the env file the service reads, then the command and its arguments. Exit 126
// (with the reason on stderr) when there is no live release or its env file cannot be read.
const EXEC_PREAMBLE = `b=$1 envf=$2
shift 2
[ -d "$b/current/" ] || { echo "no live release here: $b/current does not exist (deploy first)" >&2; exit 126; }
[ -r "$envf" ] || { echo "cannot read the service's env file $envf" >&2; exit 126; }
cd -P "$b/current" || exit 126
set -a
. "$envf" || exit 126
set +a`;
export const EXEC_SCRIPT = `${EXEC_PREAMBLE}
exec "$@" </dev/null`;
// The same for an interactive session (exec --tty): the command reads the terminal.
export const EXEC_TTY_SCRIPT = `${EXEC_PREAMBLE}
exec "$@"`;

/** The env file a service (default: the app's own) reads on a host (the live release's, installed at the switch). */
export const serviceEnvFile = (d: Pick<DeployEnvironment, 'base' | 'model'>, service = d.model.app.name): string => `${d.base}/shared/${service}.env`;

/** The argv of `exec` on a host: EXEC_SCRIPT with the base, the env file of `service` and the command as positional arguments. */
export function execArgv(d: Pick<DeployEnvironment, 'base' | 'model'>, command: string[], service?: string, tty = false): string[] {
  return sh(tty ? EXEC_TTY_SCRIPT : EXEC_SCRIPT, d.base, serviceEnvFile(d, service), ...command);
}

/** The service name of process `name` (<app>-<name>; the one-process form's is app.name). */
const serviceOf = (d: Pick<DeployEnvironment, 'model'>, name: string): string => processNamed(d.model, name)?.service ?? d.model.app.name;

/** The environment with only `hosts` (an ssh environment's; local has one). */
function onlyHosts(d: DeployEnvironment, hosts: string[]): DeployEnvironment {
  return d.env.type === 'ssh' ? { ...d, env: { ...d.env, hosts: (d.env.hosts ?? []).filter((h) => hosts.includes(h.host)) } } : d;
}

/** Opens the hosts, runs `fn` on each reachable one; an unreachable one gets `unreachable(alias, address, error)`. Closes them after. */
async function onHosts<T>(
  d: DeployEnvironment,
  req: Pick<ExecRequest, 'hosts' | 'token'>,
  fn: (hosts: DeployHost[]) => Promise<T[]>,
  unreachable: (alias: string, address: string, e: GoDeployError) => T,
): Promise<T[]> {
  const opened = await openHosts(d, { ...req.hosts, token: req.token });
  try {
    const up = opened.flatMap((o) => (o.ok ? [o.host] : []));
    const results = await fn(up);
    const byAlias = new Map(up.map((h, i) => [h.alias, results[i]]));
    return opened.map((o) => (o.ok ? byAlias.get(o.alias)! : unreachable(o.alias, o.address, o.error)));
  } finally {
    for (const o of opened) if (o.ok) o.close();
  }
}

export async function hostsExec(e: LoadedEnvironment, req: ExecRequest): Promise<PreparedOperation<ExecResult>> {
  const d = deployEnvironmentOf(e, 'exec');
  if (!req.command.length) throw new GoDeployError('exec: which command?', { hint: 'godeploy exec ENV -- CMD [ARGS…]', exitCode: 2 });
  const hosts = selectOperationHosts(d, req, 'exec');
  if (req.tty) requireOneHost(hosts, d.name);
  // Each host's process: --process, else --role, else the first it runs; its env file is the one read.
  const serviceAt = new Map(hosts.map((h) => [h, serviceOf(d, execProcess(d, h, req))]));
  const argvAt = (h: string): string[] => execArgv(d, req.command, serviceAt.get(h), req.tty !== undefined);
  const steps: OperationStep[] = hosts.map((host) => ({
    host,
    title: `run ${shellQuote(req.command)} in ${d.base}/current with ${serviceEnvFile(d, serviceAt.get(host))}`,
    commands: [argvAt(host)],
  }));
  const files = [...new Set(hosts.map((h) => serviceEnvFile(d, serviceAt.get(h))))];
  const plan: OperationPlan = {
    text: [
      `exec in ${d.model.app.name}'s live release in ${d.name}, on ${hostList(hosts)}: ${shellQuote(req.command)}`,
      `  in ${d.base}/current, with the service's environment (${files.join(', ')}, read by the host's shell: no value in argv), ${req.tty ? 'in a terminal (--tty)' : 'stdin from /dev/null'}`,
      ...hosts.map((h) => `  ${h}: sh -c EXEC ${shellQuote(argvAt(h).slice(3)).slice(0, 400)}`),
    ].join('\n'),
    steps,
  };
  return {
    plan,
    run: async () => {
      if (req.tty) return { environment: d.name, dryRun: false, plan, ...(await interactiveExec(d, hosts[0], argvAt(hosts[0]), req, req.tty)) };
      const redact = await bestEffortRedactor(d, req.sources);
      const results = await onHosts<ExecHostResult>(
        onlyHosts(d, hosts),
        req,
        (up) =>
          Promise.all(
            up.map(async (h): Promise<ExecHostResult> => {
              const t0 = Date.now();
              try {
                const proc = await h.runner.spawn(argvAt(h.alias));
                const sub = req.token?.onCancellationRequested(() => proc.kill());
                try {
                  const [, exit] = await Promise.all([forwardLines(h.alias, proc, (l) => req.onOutput?.(l), redact), proc.exit]);
                  return {
                    host: h.alias,
                    address: h.address,
                    exitCode: exitCodeOf(exit.code, exit.signal),
                    ...(exit.signal ? { signal: exit.signal } : {}),
                    durationMs: Date.now() - t0,
                  };
                } finally {
                  sub?.dispose();
                }
              } catch (err) {
                return { host: h.alias, address: h.address, exitCode: UNREACHABLE_EXIT, error: redact((err as Error).message), durationMs: Date.now() - t0 };
              }
            }),
          ),
        (alias, address, err) => ({ host: alias, address, exitCode: UNREACHABLE_EXIT, error: err.message, hint: err.hint, durationMs: 0 }),
      );
      return { environment: d.name, dryRun: false, plan, exitCode: worstExitCode(results.map((r) => r.exitCode)), hosts: results };
    },
  };
}

/** exec --tty: a session is a conversation with one host. */
function requireOneHost(hosts: string[], environment: string): void {
  if (hosts.length !== 1)
    throw new GoDeployError(`exec --tty opens a session on one host; ${environment} has ${hosts.length}: ${hosts.join(', ')}`, {
      hint: 'add --host H (or --primary) to pick one',
      exitCode: 2,
    });
}

/** exec --tty on one host: the command in a terminal, typed into and read by the user; its exit code. */
async function interactiveExec(
  d: DeployEnvironment,
  alias: string,
  argv: string[],
  req: ExecRequest,
  terminal: InteractiveTerminal,
): Promise<Pick<ExecResult, 'exitCode' | 'hosts'>> {
  const [r] = await onHosts<ExecHostResult>(
    onlyHosts(d, [alias]),
    req,
    (up) =>
      Promise.all(
        up.map(async (h): Promise<ExecHostResult> => {
          const t0 = Date.now();
          const exit = await h.runner.interactive(argv, terminal);
          const exitCode = exit.code === null && !exit.signal ? UNREACHABLE_EXIT : exitCodeOf(exit.code, exit.signal);
          return { host: h.alias, address: h.address, exitCode, ...(exit.signal ? { signal: exit.signal } : {}), durationMs: Date.now() - t0 };
        }),
      ),
    (host, address, err) => ({ host, address, exitCode: UNREACHABLE_EXIT, error: err.message, hint: err.hint, durationMs: 0 }),
  );
  return { exitCode: r.exitCode, hosts: [r] };
}

const snapshot = (m: ServiceManager, stdout: string): ServiceSnapshot => {
  const s = m.parseState(stdout);
  return { state: s.state, running: s.running, pid: s.pid };
};

/** A process's service manager, its model (port, health gate) and its name for results (none for the one-process form). */
interface ProcessManager {
  process: string | undefined;
  model: DeployEnvironment['model'];
  manager: ServiceManager;
}

/** The service managers of `names` (processes of the app), by name; `process` is set only when the app has several. */
async function processManagers(d: DeployEnvironment, names: string[], sources: ServiceActionRequest['sources']): Promise<Map<string, ProcessManager>> {
  const several = hasSeveralProcessForm(d.model);
  const list = await serviceManagersFor(d, names, sources);
  return new Map(list.map((s) => [s.process.name, { process: several ? s.process.name : undefined, model: s.model, manager: s.manager }]));
}

export async function hostsServiceAction(e: LoadedEnvironment, req: ServiceActionRequest): Promise<PreparedOperation<ServiceActionResult>> {
  const { action } = req;
  const d = deployEnvironmentOf(e, action);
  const hosts = selectOperationHosts(d, req, action);
  // Per host, the processes it runs (--process: that one), in the app's order: the restart order.
  const processesAt = new Map(hosts.map((h) => [h, operationProcesses(d, h, req)]));
  const managers = await processManagers(d, [...new Set([...processesAt.values()].flat())], req.sources);
  const managersAt = (h: string): ProcessManager[] => (processesAt.get(h) ?? []).map((p) => managers.get(p)!);
  const blueGreen = Boolean(d.model.blueGreen);
  const portOf = (m: ProcessManager): number | string => (blueGreen ? `<the live port in ${activePortFile(d.base)}>` : m.model.app.port);
  const rollout = rolloutOf(d.env);
  const batched = action === 'restart' && rollout.batch !== undefined && rollout.batch < hosts.length;
  const processSteps = (host: string, { manager, model }: ProcessManager, first: boolean): OperationStep[] => {
    const spec = gateSpecOf(model);
    return [
      {
        host,
        title: first ? `read the live release and ${manager.name}'s state` : `read ${manager.name}'s state`,
        commands: first ? [sh(READ_CURRENT, d.base), manager.state] : [manager.state],
      },
      {
        host,
        title:
          action === 'stop'
            ? `stop ${manager.name}`
            : action === 'start'
              ? `start ${manager.name} on the live release (nothing when it is running)`
              : `restart ${manager.name} on the live release`,
        commands: [action === 'stop' ? manager.stop : manager.restart],
      },
      action === 'stop'
        ? { host, title: `read ${manager.name}'s state`, commands: [manager.state] }
        : {
            host,
            title: `health gate: ${describeGate(spec, portOf({ process: undefined, model, manager }), manager.name)}`,
            commands: spec.type === 'process' ? [manager.observe] : [],
          },
    ];
  };
  const stepsOf = (host: string): OperationStep[] => [
    { host, title: `take the deploy lock (${d.base}/.godeploy/lock)`, commands: [] },
    ...managersAt(host).flatMap((m, i) => processSteps(host, m, i === 0)),
    { host, title: 'release the deploy lock', commands: [] },
  ];
  const steps = hosts.flatMap(stepsOf);
  const what = req.process !== undefined && d.model.processes.length > 1 ? `${d.model.app.name}'s process ${req.process}` : d.model.app.name;
  const plan: OperationPlan = {
    text: [
      `${action} ${what} in ${d.name} on ${hostList(hosts)}${batched ? `, in rolling batches of ${rollout.batch}` : ''}`,
      ...hosts.flatMap((h) => [`${h}:`, ...stepsOf(h).map((s, i) => `  ${i + 1}. ${s.title}`)]),
    ].join('\n'),
    steps,
  };
  return {
    plan,
    run: async () => {
      const t0 = Date.now();
      const redact = await bestEffortRedactor(d, req.sources);
      const user = req.user ?? userInfo().username;
      let cancelled = false;
      /** One process on a locked host: its action, then its state (stop) or its health gate. */
      const onProcess = async (
        h: DeployHost,
        { process: proc, model, manager }: ProcessManager,
        r: ServiceActionHostResult,
        event: ReturnType<typeof stepReporter>['event'],
      ): Promise<void> => {
        const spec = gateSpecOf(model);
        const [current, state] = await Promise.all([h.runner.exec(sh(READ_CURRENT, d.base)), h.runner.exec(manager.state)]);
        r.release = current.stdout.trim().replace(/^releases\//, '') || null;
        r.before = snapshot(manager, state.stdout);
        if (action !== 'stop' && !r.release)
          throw new GoDeployError(`${h.alias}: no live release to ${action} (${d.base}/current does not exist)`, {
            hint: `deploy first: godeploy deploy ${d.name}`,
          });
        if (action === 'stop') {
          const a0 = Date.now();
          if (r.before.running) {
            event('stop', 'start', `stopping ${manager.name}`);
            const x = await h.runner.exec(manager.stop);
            if (x.code !== 0) throw new GoDeployError(`${h.alias}: stopping ${manager.name} failed (exit ${x.code ?? 'signal'}): ${redact(lastOutputLine(x))}`);
          } else r.unchanged = true;
          r.after = snapshot(manager, (await h.runner.exec(manager.state)).stdout);
          r.ok = !r.after.running;
          event(
            'stop',
            r.ok ? 'done' : 'fail',
            r.unchanged ? `${manager.name} was not running (${r.after.state})` : `${manager.name}: ${r.after.state}`,
            Date.now() - a0,
          );
          if (!r.ok) r.error = `${h.alias}: ${manager.name} is still running (${r.after.state})`;
          return;
        }
        // restart, or start of a service that is not running.
        const step = action === 'start' ? 'start' : 'restart';
        const a0 = Date.now();
        let startedAt = a0;
        let offsets: number[] | undefined;
        if (action === 'start' && r.before.running) {
          r.unchanged = true;
          event('start', 'done', `${manager.name} is already running (pid ${r.before.pid ?? '?'})`);
        } else {
          event(step, 'start', `${step} ${manager.name} on ${r.release}`);
          const x = await h.runner.exec(manager.restart);
          offsets = logOffsetsOf(x.stdout);
          // A failed start is still watched by a process gate, which says how the process ended.
          if (x.code !== 0 && spec.type !== 'process')
            throw new GoDeployError(`${h.alias}: ${step} of ${manager.name} failed (exit ${x.code ?? 'signal'}): ${redact(lastOutputLine(x))}`);
          if (x.code === 0) startedAt = Date.now();
          event(step, 'done', `${manager.name} ${action === 'start' ? 'started' : 'restarted'} on ${r.release}`, Date.now() - a0);
        }
        const gatePort = blueGreen ? Number((await h.runner.exec(['cat', activePortFile(d.base)])).stdout.trim()) || model.app.port : model.app.port;
        const g0 = Date.now();
        event('health', 'start', describeGate(spec, gatePort, manager.name));
        const health = await runHostGate({
          runner: h.runner,
          spec,
          port: gatePort,
          what: manager.name,
          observe: manager.observe,
          parseObservation: manager.parseObservation,
          token: req.token,
          startedAt,
        });
        r.health = { healthy: health.healthy, answer: health.last };
        r.after = snapshot(manager, (await h.runner.exec(manager.state)).stdout);
        r.ok = health.healthy;
        if (health.healthy) {
          event('health', 'done', gatePassed(spec, gatePort, health), Date.now() - g0);
          return;
        }
        r.error = redact(`${h.alias}: ${health.failure ?? `not healthy (${health.last})`}`);
        event('health', 'fail', health.failure ?? health.last, Date.now() - g0);
        const logs = await h.runner.exec(manager.logs(30, undefined, offsets)).catch(() => undefined);
        const text = logs ? redact(`${logs.stdout}${logs.code === 0 ? '' : logs.stderr}`.trim()) : '';
        if (text) {
          r.logs = text;
          event('logs', 'info', `last log lines of ${manager.name}:\n${text}`);
        }
        r.hint = `the service runs ${r.release} but does not pass its health gate: see \`godeploy logs ${d.name}${proc ? ` --process ${proc}` : ''}\`, or roll back with \`godeploy rollback ${d.name}\``;
      };
      /** A host: its lock, then each of its processes in order (after a failure, the rest are left as they were), then the unlock. */
      const onHost = async (h: DeployHost): Promise<ServiceActionHostResult[]> => {
        const h0 = Date.now();
        const list = managersAt(h.alias);
        const results = list.map((m) => hostResult(h.alias, h.address, m.process !== undefined ? { process: m.process } : {}));
        const owners = new Map<string, LockOwner>();
        const { event, stage } = stepReporter(h.alias, req.emit, redact, 'lock');
        let at = 0;
        try {
          if (req.token?.isCancellationRequested) {
            cancelled = true;
            throw new GoDeployError(`${action} cancelled before ${h.alias}`);
          }
          await acquireLockRecorded(owners, h.alias, h.runner, d.base, lockOwnerFor(user, '-', action), {
            environment: d.name,
            onTakeOver: (what) => event('lock', 'info', what),
          });
          event('lock', 'done', 'lock taken');
          for (; at < list.length; at++) {
            await onProcess(h, list[at], results[at], event);
            if (!results[at].ok && action !== 'stop') break;
          }
          for (const r of results.slice(at + 1))
            Object.assign(r, {
              error: `${h.alias}: ${r.process ?? d.model.app.name} not ${action === 'start' ? 'started' : 'restarted'}: ${results[at].process ?? d.model.app.name} failed before it`,
              hint: 'processes go in the order of app.processes; the rest were left as they were',
            });
          return results;
        } catch (err) {
          const r = results[Math.min(at, results.length - 1)] ?? hostResult(h.alias, h.address);
          r.ok = false;
          r.error = redact((err as Error).message);
          r.hint ??= err instanceof GoDeployError ? err.hint : undefined;
          event(stage() === 'lock' && owners.size ? action : stage(), 'fail', r.error);
          for (const rest of results.slice(at + 1)) rest.error ??= r.error;
          return results.length ? results : [r];
        } finally {
          const owner = owners.get(h.alias);
          if (owner)
            await releaseLock(h.runner, d.base, owner).then(
              () => event('unlock', 'done', 'lock released'),
              (x: Error) => event('unlock', 'fail', `could not release the deploy lock: ${x.message}`),
            );
          for (const r of results) r.durationMs = Date.now() - h0;
        }
      };
      const notDone = (h: DeployHost, extra: Partial<ServiceActionHostResult>): ServiceActionHostResult[] => {
        const list = managersAt(h.alias);
        return (list.length ? list : [undefined]).map((m) =>
          hostResult(h.alias, h.address, { ...(m?.process !== undefined ? { process: m.process } : {}), ...extra }),
        );
      };
      const results = await onHosts<ServiceActionHostResult[]>(
        onlyHosts(d, hosts),
        req,
        async (up) => {
          if (!batched) return mapLimit(up, rollout.parallel ?? up.length, onHost);
          const out = new Map<DeployHost, ServiceActionHostResult[]>();
          let failed: string | undefined;
          for (const batch of batchesOf(up, rollout.batch)) {
            if (failed) {
              for (const h of batch)
                out.set(
                  h,
                  notDone(h, {
                    error: `${h.alias}: not restarted: ${failed}`,
                    hint: 'an earlier batch failed its restart; the rest were left as they were',
                  }),
                );
              continue;
            }
            const done = await mapLimit(batch, rollout.parallel ?? batch.length, onHost);
            batch.forEach((h, i) => out.set(h, done[i]));
            const bad = done.flat().find((x) => !x.ok);
            if (bad) failed = `${bad.host} failed in an earlier batch`;
          }
          return up.map((h) => out.get(h)!);
        },
        (alias, address, err) => [hostResult(alias, address, { error: err.message, hint: err.hint })],
      );
      const flat = results.flat();
      return {
        environment: d.name,
        action,
        ok: flat.every((x) => x.ok),
        dryRun: false,
        cancelled: cancelled || req.token?.isCancellationRequested === true,
        plan,
        hosts: flat,
        durationMs: Date.now() - t0,
      };
    },
  };
}
