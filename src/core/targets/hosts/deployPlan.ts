// A deploy as data: for each host, the steps with the exact commands and files they run,
// built before anything happens. `godeploy deploy --dry-run` prints it; the executor
// (hostDeploy.ts) runs the same commands, taking them from the plan (`argv`), the values
// only known while it runs filled in (fillCommand). Secrets never enter the plan: the env
// file is listed by name and size, its values are supplied at run time.
import type { GenerateModel } from '../../generate/model';
import * as scripts from './releaseScripts';
import { shArgv as sh } from '../../remote/quote';
import * as bg from './blueGreen';
import * as nginx from '../../release/nginxSwitch';
import type { BlueGreenPlan } from './blueGreen';
import { canaryPlanSteps } from './canaryPlan';
import type { ServiceManager } from './serviceManager';
import type { ProcessesPlan } from './processTypes';
import { describeGate, gateSpecOf, type GateSpec } from '../../release/healthGate';
import { StepId, type PlannedStep } from '../../environment/types';
import { releaseFilesStep, type PlannedReleaseFile } from './releaseFiles';

/** One step of a host's plan (plannedSteps() makes the deploy's steps of it). */
export interface HostStep {
  id: StepId;
  title: string;
  /** Commands run on the host, in order (some only when the step needs them; see `note`). */
  commands: string[][];
  /** Commands run only when this step or a later one fails: to measure, take it back, record it. */
  onFailure?: string[][];
  /** Files written on the host. */
  files?: { path: string; mode: number; what: string }[];
  note?: string;
}

export interface HostPlanInput {
  model: GenerateModel;
  /** <path> on the host, ~ expanded for local. */
  base: string;
  releaseId: string;
  manager: ServiceManager;
  keepReleases: number;
  hooks: { preDeploy: string[]; postDeploy: string[] };
  /** The executable to send: its file name on the host, its sha256 and size. */
  artifact: { sha256: string; size: number } | null;
  /** This machine (type local): files are copied, no ssh. */
  local?: boolean;
  /** A delta upload may replace the whole one (ssh, deltaUpload not false). */
  delta?: boolean;
  /** strategy blue-green: the instances, nginx's include and site. */
  blueGreen?: BlueGreenPlan;
  /** A rollback: strategy canary switches as blue-green does (no steps: the target was live before), nginx through the canary include. */
  rollback?: boolean;
  /** What gates the switch; default: the model's healthCheck (type, path, timeout, interval, for). */
  gate?: GateSpec;
  /** app.files as resolved on this machine, and the owner of app.shared's folders (the service user); see releaseFiles.ts. */
  releaseFiles?: { files: PlannedReleaseFile[]; owner: string | null };
}

/** Stand-ins for the values a command gets only while the deploy runs (fillCommand puts them in). */
export const PREVIOUS = '<previous>';
export const HISTORY_LINE = '<json line>';
export const OWNER = '<owner.json>';
export type Placeholder = typeof PREVIOUS | typeof HISTORY_LINE | typeof OWNER;

/** `readlink current`: what is live (empty when nothing is). */
export const READ_CURRENT = 'readlink "$1/current" 2>/dev/null || true';
/** The free space (kB) where releases go, after removing this deploy's partial upload files ($2…). */
export const FREE_SPACE = `d=$1; shift; rm -f -- "$@"; df -Pk -- "$d" | ${scripts.DF_AVAILABLE_AWK}`;

/** The commands the runner (hostDeploy.ts) executes, by what they do; the steps list the same arrays. */
export interface HostCommands {
  /** uname -s -m: the host's platform (ssh hosts; this machine's is known). */
  platform: string[];
  openRelease: string[];
  /** Free space after an upload that ran out of it (the partial files removed first). */
  freeSpace: string[];
  place: string[];
  complete: string[];
  /** Installs the uploaded service definition (its reload commands follow it in the service step). */
  install?: string[];
  preDeploy: string[][];
  readCurrent: string[];
  switch: string[];
  restart: string[];
  /** Back to <previous>: then `restart`; after a failed first deploy `stop` and `unswitch` instead. */
  switchBack: string[];
  stop: string[];
  unswitch: string[];
  /** Removes this deploy's release unless it is live. */
  discard: string[];
  postDeploy: string[][];
  /** Marks the release live, records <json line>, prunes keeping it and <previous>, releases the lock given <owner.json>. */
  finish: string[];
  /** Appends <json line> to history.jsonl (a rolled-back release, a rollback). */
  record: string[];
}

export interface HostPlan extends HostPlanInput {
  gate: GateSpec;
  name: string;
  /** releases/<id>/<name>.env: this release's copy of the env file. */
  releaseEnvFile: string;
  envFileName: string;
  steps: HostStep[];
  argv: HostCommands;
  /** Several processes (app.processes): their executables, env files, managers and commands (processPlan.ts). */
  processes?: ProcessesPlan;
}

/**
 * A planned command with its stand-ins replaced: a string value is one argument, a list
 * any number (none for an empty list). A stand-in without a value is a bug: it throws.
 */
export function fillCommand(argv: string[], values: Partial<Record<Placeholder, string | string[]>>): string[] {
  return argv.flatMap((a) => {
    if (!/^<.*>$/.test(a) || !(a in values)) {
      if (a === PREVIOUS || a === HISTORY_LINE || a === OWNER) throw new Error(`no value for ${a} in a planned command`);
      return [a];
    }
    const v = values[a as Placeholder]!;
    return typeof v === 'string' ? [v] : v;
  });
}

export function planHost(input: HostPlanInput): HostPlan {
  const { model, base, releaseId: id, manager } = input;
  const name = model.app.name;
  const gate = input.gate ?? gateSpecOf(model);
  const envFileName = `${name}.env`;
  const rel = `${base}/releases/${id}`;
  const partial = `${base}/releases/.${id}.partial`;
  const sha = input.artifact?.sha256 ?? '<sha256 of the build>';
  const switchArgv = sh(scripts.SWITCH, base, id, envFileName, manager.envFileOwner ?? '');
  const argv: HostCommands = {
    platform: ['uname', '-s', '-m'],
    openRelease: sh(scripts.OPEN_RELEASE, base, id, name, sha),
    freeSpace: sh(FREE_SPACE, `${base}/releases`, `${partial}/.${name}.upload`, `${partial}/.${name}.literal`),
    place: placeCommand(input, scripts.VERIFY_UPLOAD, []),
    complete: sh(scripts.COMPLETE_RELEASE, base, id, manager.definition?.path ?? ''),
    install: manager.definition ? sh(scripts.INSTALL_FILE, `${manager.definition.path}.godeploy-tmp`, manager.definition.path) : undefined,
    preDeploy: input.hooks.preDeploy.map((c) => sh(scripts.HOOK, base, id, `${rel}/${envFileName}`, c)),
    readCurrent: sh(READ_CURRENT, base),
    switch: switchArgv,
    restart: manager.restart,
    switchBack: sh(scripts.SWITCH, base, PREVIOUS, envFileName, manager.envFileOwner ?? ''),
    stop: manager.stop,
    unswitch: sh(scripts.UNSWITCH, base),
    discard: sh(scripts.DISCARD_RELEASE, base, id),
    postDeploy: input.hooks.postDeploy.map((c) => sh(scripts.HOOK, base, id, `${rel}/${envFileName}`, c)),
    finish: sh(scripts.FINISH_DEPLOY, base, id, HISTORY_LINE, String(input.keepReleases), OWNER, id, PREVIOUS),
    record: sh(scripts.RECORD, base, HISTORY_LINE),
  };
  const steps: HostStep[] = [
    {
      id: 'preflight',
      title: 'preflight checks (platform, disk, port, process manager, …)',
      commands: input.local ? [] : [argv.platform],
      note: 'the checks of `godeploy doctor`',
    },
    { id: 'lock', title: `take the deploy lock ${base}/.godeploy/lock`, commands: [], note: 'mkdir, atomic; owner.json says who, when, which version' },
    {
      id: 'prepare',
      title: `create ${partial}, and link ${name} there from an earlier release with the same sha256 if there is one`,
      commands: [argv.openRelease],
      onFailure: [argv.discard],
      note: 'when the state read with the lock shows no release with this sha256, the folder is created by SFTP instead (no process on the host); the release is removed again when the deploy fails anywhere (never a live one)',
    },
    {
      id: 'binary',
      title: `place ${name}${input.artifact ? ` (sha256 ${sha.slice(0, 12)}…, ${input.artifact.size} bytes)` : ''}`,
      commands: input.delta ? [argv.place, deltaAssembleCommand(input, '<live release>', ['<b|l offset length per piece>'])] : [argv.place],
      onFailure: [argv.freeSpace],
      files: [
        ...(input.delta
          ? [
              {
                path: `${partial}/.${name}.literal`,
                mode: 0o600,
                what: "delta upload (deltaUpload): only the chunks of the executable that the live release's executable lacks, when this machine built that one (by SFTP)",
              },
            ]
          : []),
        {
          path: `${partial}/.${name}.upload`,
          mode: 0o755,
          what: `the whole executable (${input.local ? 'copied' : 'by SFTP'})${input.delta ? ', when there is no delta or its result has the wrong sha256' : ''}, only when no earlier release has the same sha256`,
        },
      ],
      note: input.delta
        ? "an earlier release with the same sha256 is linked instead of uploading; a delta is assembled with dd by the second command and checked like a whole upload (the first command checks a whole upload); either also completes the release (the env-file step's script), once the env file has landed; df when an upload ran out of space"
        : "an earlier release with the same sha256 is linked instead of uploading; the check also completes the release (the env-file step's script), once the env file has landed; df when an upload ran out of space",
    },
    {
      id: 'env-file',
      title: `write the release's env file ${envFileName} (mode 0600), then complete the release`,
      commands: [argv.complete],
      note: 'run here only when the executable was linked from an earlier release; else with the check of the place step',
      files: [
        {
          path: `${partial}/${envFileName}`,
          mode: 0o600,
          what: `KEY="value" lines: ${[...new Set([...Object.keys(model.env), ...model.runtimeEnvNames, ...(model.app.portEnv === null || input.blueGreen ? [] : [model.app.portEnv])])].sort().join(', ')} (values not shown)`,
        },
      ],
    },
  ];
  const filesStep =
    input.releaseFiles && releaseFilesStep({ base, releaseId: id, shared: model.shared, owner: input.releaseFiles.owner }, input.releaseFiles.files);
  if (filesStep) steps.splice(steps.findIndex((s) => s.id === 'prepare') + 1, 0, filesStep);
  if (manager.definition) {
    steps.push({
      id: 'service',
      title: `install ${manager.definition.path} if it changed`,
      commands: [argv.install!, ...manager.definition.reload],
      files: [{ path: `${manager.definition.path}.godeploy-tmp`, mode: 0o644, what: `the ${manager.kind} definition` }],
      note: 'skipped when the installed file has the same sha256 (read when the release is completed)',
    });
  }
  if (input.hooks.preDeploy.length) {
    steps.push({
      id: 'pre-deploy',
      title: 'run hooks.preDeploy in the new release',
      commands: argv.preDeploy,
    });
  }
  const b = input.blueGreen;
  if (b && model.canary && !input.rollback) {
    // strategy canary: the new instance started and gated beside the live one, then the rollout's steps (canaryPlan.ts).
    steps.push(...canaryPlanSteps({ model, base, releaseId: id, gate, blueGreen: b, switchArgv, switchBack: argv.switchBack, unswitch: argv.unswitch }));
  } else if (b) {
    const [p1, p2] = b.ports;
    const idle = '<idle port>';
    steps.push(
      {
        id: 'switch',
        title: `point ${base}/current at releases/${id} (symlink renamed over current); the live instance keeps running its release`,
        commands: [sh(bg.READ_STATE, base, b.stateFile), switchArgv],
        onFailure: [argv.switchBack, argv.unswitch],
      },
      { id: 'restart', title: `start ${b.instances.name(idle)} (the one of ${p1}/${p2} not named in ${b.stateFile})`, commands: [b.instances.start(idle)] },
      {
        id: 'health',
        title: `wait for ${describeGate(gate, idle, b.instances.name(idle))}`,
        commands: gate.type === 'process' ? [b.instances.observe(idle)] : [],
        note: 'on failure: stop it and point current back; nginx and the live instance were never touched',
      },
      b.canary
        ? {
            id: 'nginx',
            title: `send every request to 127.0.0.1:${idle} (${b.include} in its one-server form, the site installed), nginx -t, reload`,
            commands: [],
            files: [{ path: b.site.path, mode: 0o644, what: 'the nginx site (upstreams, sticky cookie map and JSON log format from the canary include)' }],
          }
        : {
            id: 'nginx',
            title: `send nginx to 127.0.0.1:${idle} (${b.include}), nginx -t, reload`,
            commands: [nginx.flipNginxArgv(b, idle)],
            files: [{ path: `${b.site.path}.godeploy-tmp`, mode: 0o644, what: 'the nginx site (upstream from the include)' }],
          },
      {
        id: 'retire',
        title: 'let the old nginx workers finish, then stop the old instance',
        commands: [sh(nginx.DRAIN), b.instances.stop('<old port>'), sh(bg.WRITE_STATE, b.stateFile, idle)],
      },
    );
  } else {
    steps.push(
      {
        id: 'switch',
        title: `point ${base}/current at releases/${id} (symlink renamed over current)`,
        commands: [argv.readCurrent, argv.switch],
        onFailure: [argv.switchBack, argv.unswitch],
        note: 'what is live is read first unless completing the release said it; on failure: current back to the previous release, or removed after a failed first deploy',
      },
      {
        id: 'restart',
        title: `restart ${manager.name}`,
        commands: [manager.restart],
        onFailure: [manager.restart, manager.stop],
        note: 'on failure: the previous release restarted, or the service stopped after a failed first deploy',
      },
      {
        id: 'health',
        title: `wait for ${describeGate(gate, model.app.port, manager.name)}`,
        commands: gate.type === 'process' ? [manager.observe] : [],
        onFailure: [manager.logs(50)],
        note: `${gate.type === 'process' ? `read from ${manager.kind === 'process' ? 'its pid file' : manager.kind === 'systemd' ? 'systemctl show' : 'supervisorctl status'}` : input.local ? 'on this machine' : gate.type === 'tcp' ? 'connected from the host (an ssh direct-tcpip channel)' : 'as seen from the host, through an ssh port forward'}; on failure: switch back, restart, show the last 50 log lines`,
      },
    );
  }
  if (input.hooks.postDeploy.length) {
    steps.push({
      id: 'post-deploy',
      title: 'run hooks.postDeploy in the new release',
      commands: argv.postDeploy,
    });
  }
  steps.push({
    id: 'finish',
    title: `mark the release live, append to ${base}/.godeploy/history.jsonl, keep the newest ${input.keepReleases} releases (never the live or previous one), release the deploy lock`,
    commands: [argv.finish],
    onFailure: [argv.record],
    note: 'one script, one round trip; when the deploy failed, the release taken back is recorded in history.jsonl instead',
  });
  return { ...input, gate, name, envFileName, releaseEnvFile: `${rel}/${envFileName}`, steps, argv };
}

/**
 * The steps a deploy reports for host `host` (DeployEvent.step, in order): the plan's, then
 * the lock's release (with the finish script, else on the way out). Commands run only on a
 * failure are listed with the others.
 */
export function plannedSteps(host: string, plan: HostPlan): PlannedStep[] {
  return [
    ...plan.steps.map((s): PlannedStep => ({ host, id: s.id, title: s.title, commands: [...s.commands, ...(s.onFailure ?? [])] })),
    { host, id: 'unlock', title: `release the deploy lock ${plan.base}/.godeploy/lock`, commands: [] },
  ];
}

function displayArg(a: string): string {
  if (/^[A-Za-z0-9_@%+=:,./<>-]+$/.test(a)) return a;
  if (a.includes('\n')) return `'${a.split('\n')[0]} …(script, ${a.split('\n').length} lines)'`;
  return `'${a.replace(/'/g, `'\\''`)}'`;
}

/** The plan as `--dry-run` prints it: per host, numbered steps with their commands and files. */
export function describeHostPlan(hostLabel: string, plan: HostPlan): string {
  const out = [`${hostLabel}: release ${plan.releaseId} into ${plan.base} (${plan.manager.kind})`];
  plan.steps.forEach((s, i) => {
    out.push(`  ${String(i + 1).padStart(2)}. ${s.title}`);
    for (const c of s.commands) out.push(`      $ ${c.map(displayArg).join(' ')}`);
    for (const c of s.onFailure ?? []) out.push(`      on failure $ ${c.map(displayArg).join(' ')}`);
    for (const f of s.files ?? []) out.push(`      write ${f.path} (mode ${f.mode.toString(8).padStart(4, '0')}): ${f.what}`);
    if (s.note) out.push(`      (${s.note})`);
  });
  return out.join('\n');
}

/** `place` (VERIFY_UPLOAD, ASSEMBLE_UPLOAD) with its extra arguments, then COMPLETE_RELEASE: one round trip. */
function placeCommand(input: Pick<HostPlanInput, 'base' | 'releaseId' | 'model' | 'artifact' | 'manager'>, place: string, extra: string[]): string[] {
  return sh(
    scripts.placeThenComplete(place),
    input.base,
    input.releaseId,
    input.model.app.name,
    input.artifact?.sha256 ?? '<sha256 of the build>',
    input.manager.definition?.path ?? '',
    ...extra,
  );
}

/** ASSEMBLE_UPLOAD (then COMPLETE_RELEASE) for a delta against the executable of release `baseRelease`. */
export function deltaAssembleCommand(
  input: Pick<HostPlanInput, 'base' | 'releaseId' | 'model' | 'artifact' | 'manager'>,
  baseRelease: string,
  pieceArgs: string[],
): string[] {
  return placeCommand(input, scripts.ASSEMBLE_UPLOAD, [baseRelease, ...pieceArgs]);
}
