// A release of several processes (app.processes) on one host, as data: one release folder
// holding each distinct executable (each reused from an earlier release by its own sha256)
// and each process's env file <service>.env, one switch of `current` installing every env
// file, then each process restarted and health-gated in app.processes order. A failure
// switches back and restarts all of them (after a failed first deploy: stops all of them).
// The one-process form never comes here (deployPlan.ts plans it as before).
import { createHash } from 'node:crypto';
import type { GenerateModel } from '../../generate/model';
import type { ExecutableArtifact, ProcessCommands, ProcessesPlan, ProcessUnit } from './processTypes';
import { describeGate, gateSpecOf } from '../../release/healthGate';
import { shArgv as sh } from '../../remote/quote';
import { NO_LINK } from './baseLayout';
import { planHost, PREVIOUS, type HostPlan, type HostPlanInput, type HostStep } from './deployPlan';
import * as scripts from './releaseScripts';
import type { ServiceManager } from './serviceManager';

export type { ExecutableArtifact, ProcessCommands, ProcessesPlan, ProcessUnit } from './processTypes';

const SHA = `sha() { h=$(openssl dgst -sha256 -r "$1" 2>/dev/null) && [ -n "$h" ] || h=$(sha256sum "$1") || return 1; printf '%s\\n' "\${h%% *}"; }`;

// $1 base, $2 id, then (executable, sha256) pairs: PREPARE, then each executable linked (or
// copied) from an earlier release whose .EXE.sha256 matches; prints "free <kB>", then
// "reused EXE ID" or "missing EXE" for each.
export const OPEN_PROCESS_RELEASE = `# create the partial release folder, then link each earlier identical executable into it
(
${scripts.PREPARE}
) || exit $?
${SHA}
b=$1 p="$1/releases/.$2.partial"
shift 2
while [ $# -ge 2 ]; do
  n=$1 w=$2 found=
  shift 2
  for d in "$b"/releases/*/; do
    [ ! -L "\${d%/}" ] && [ -f "$d.$n.sha256" ] && [ -f "$d$n" ] || continue
    [ "$(cat "$d.$n.sha256")" = "$w" ] || continue
    rm -f "$p/.$n.copy"
    ln "$d$n" "$p/.$n.copy" 2>/dev/null || cp -p "$d$n" "$p/.$n.copy" || continue
    if [ "$(sha "$p/.$n.copy")" = "$w" ]; then
      mv -f "$p/.$n.copy" "$p/$n" && printf '%s\\n' "$w" > "$p/.$n.sha256" && d=\${d%/} && echo "reused $n \${d##*/}" && found=1 && break
    fi
    rm -f "$p/.$n.copy"
  done
  [ -n "$found" ] || echo "missing $n"
done`;

// $1 base, $2 id, $3 executable, $4 sha256: checks the uploaded .EXE.upload, renames it, records .EXE.sha256.
export const VERIFY_PROCESS_UPLOAD = `# check the sha256 of an uploaded executable, then rename it
${SHA}
p="$1/releases/.$2.partial" n=$3
got=$(sha "$p/.$n.upload") || exit 3
[ "$got" = "$4" ] || { echo "sha256 of the uploaded file is $got, expected $4" >&2; rm -f "$p/.$n.upload"; exit 4; }
mv -f "$p/.$n.upload" "$p/$n" && printf '%s\\n' "$4" > "$p/.$n.sha256"`;

// $1 base, $2 id, $3 the release's sha256, then the definitions' paths: records .sha256, the
// partial folder becomes the release; prints "definition N <sha256 or none>" per path and
// "current <what current points at>".
export const COMPLETE_PROCESS_RELEASE = `filesha() { ${scripts.FILE_SHA}; }
printf '%s\\n' "$3" > "$1/releases/.$2.partial/.sha256" || exit 3
${scripts.FINISH_RELEASE} || exit 3
b=$1
shift 3
i=0
for f; do echo "definition $i $(filesha "$f")"; i=$((i+1)); done
echo "current $(readlink "$b/current" 2>/dev/null)"`;

// $1 base, $2 id, $3 owner of the env files (or empty), then the env files' names: installs
// each release copy as shared/<name> (a fresh temporary file renamed over it), then points
// current at the release (as SWITCH does). Prints "previous <id>" and "since <epoch>".
export const SWITCH_PROCESSES = `set -e
b=$1 r="releases/$2" o=$3
shift 3
${NO_LINK}
nolink "$b/releases" "$b/shared" || exit 6
for e; do nolink "$b/shared/$e" "$b/shared/.$e.tmp" || exit 6; done
if [ -e "$b/current" ] && [ ! -L "$b/current" ]; then echo "$b/current is not the symlink Go Deploy keeps there: Go Deploy will not replace it; move it away" >&2; exit 6; fi
[ -d "$b/$r" ] || { echo "$b/$r does not exist" >&2; exit 3; }
prev=$(readlink "$b/current" 2>/dev/null || true)
mkdir -p "$b/shared"
for e; do
  rm -f "$b/shared/.$e.tmp"
  cp -p "$b/$r/$e" "$b/shared/.$e.tmp"
  [ -z "$o" ] || chown "$o" "$b/shared/.$e.tmp"
  mv -f -T "$b/shared/.$e.tmp" "$b/shared/$e"
done
if [ -e "$b/.current.tmp" ] || [ -L "$b/.current.tmp" ]; then rm -f "$b/.current.tmp"; fi
ln -s "$r" "$b/.current.tmp"
mv -T "$b/.current.tmp" "$b/current"
echo "previous \${prev#releases/}"
echo "since $(date +%s)"`;

/** The release's sha256 over its executables (name and sha256 each): equal exactly when every executable is. */
export function releaseSha256(artifacts: ExecutableArtifact[]): string {
  const h = createHash('sha256');
  for (const a of [...artifacts].sort((x, y) => (x.executable < y.executable ? -1 : 1))) h.update(`${a.executable} ${a.sha256}\n`);
  return h.digest('hex');
}

/** The units of a host from its processes' models and managers (serviceManagersFor). */
export function processUnits(
  services: { model: GenerateModel; manager: ServiceManager; process: { name: string; service: string; executable: string } }[],
): ProcessUnit[] {
  return services.map((s) => ({
    process: s.process.name,
    service: s.process.service,
    executable: s.process.executable,
    model: s.model,
    manager: s.manager,
    gate: gateSpecOf(s.model),
    envFileName: `${s.process.service}.env`,
  }));
}

export interface ProcessPlanInput {
  base: string;
  releaseId: string;
  units: ProcessUnit[];
  artifacts: ExecutableArtifact[] | null;
  local?: boolean;
}

/** The commands and the steps from `prepare` through `health` of a several-process release. */
export function planProcesses(input: ProcessPlanInput): { plan: ProcessesPlan; steps: HostStep[] } {
  const { base, releaseId: id, units } = input;
  const executables = [...new Set(units.map((u) => u.executable))];
  const shaOf = (exe: string): string => input.artifacts?.find((a) => a.executable === exe)?.sha256 ?? `<sha256 of ${exe}>`;
  const releaseSha = input.artifacts ? releaseSha256(input.artifacts.filter((a) => executables.includes(a.executable))) : '<sha256 of the executables>';
  const owner = units[0].manager.envFileOwner ?? '';
  const envs = units.map((u) => u.envFileName);
  const partial = `${base}/releases/.${id}.partial`;
  const argv: ProcessCommands = {
    openRelease: sh(OPEN_PROCESS_RELEASE, base, id, ...executables.flatMap((e) => [e, shaOf(e)])),
    place: Object.fromEntries(executables.map((e) => [e, sh(VERIFY_PROCESS_UPLOAD, base, id, e, shaOf(e))])),
    complete: sh(COMPLETE_PROCESS_RELEASE, base, id, releaseSha, ...units.flatMap((u) => (u.manager.definition ? [u.manager.definition.path] : []))),
    install: units.map((u) => (u.manager.definition ? sh(scripts.INSTALL_FILE, `${u.manager.definition.path}.godeploy-tmp`, u.manager.definition.path) : null)),
    switch: sh(SWITCH_PROCESSES, base, id, owner, ...envs),
    switchBack: sh(SWITCH_PROCESSES, base, PREVIOUS, owner, ...envs),
  };
  const sizeOf = (exe: string): string => {
    const a = input.artifacts?.find((x) => x.executable === exe);
    return a ? ` (sha256 ${a.sha256.slice(0, 12)}…, ${a.size} bytes)` : '';
  };
  const steps: HostStep[] = [
    {
      id: 'prepare',
      title: `create ${partial}, and link each of ${executables.join(', ')} there from an earlier release with the same sha256 if there is one`,
      commands: [argv.openRelease],
      onFailure: [sh(scripts.DISCARD_RELEASE, base, id)],
      note: 'each executable is checked on its own: an unchanged one is never uploaded again; the release is removed again when the deploy fails anywhere (never a live one)',
    },
    {
      id: 'binary',
      title: `place ${executables.map((e) => `${e}${sizeOf(e)}`).join(', ')}`,
      commands: executables.map((e) => argv.place[e]),
      files: executables.map((e) => ({
        path: `${partial}/.${e}.upload`,
        mode: 0o755,
        what: `the executable ${e} (${input.local ? 'copied' : 'by SFTP'}), only when no earlier release has it with the same sha256`,
      })),
      note: 'delta uploads (deltaUpload) apply to the one-process form only; each executable is sent whole when it changed',
    },
    {
      id: 'env-file',
      title: `write each process's env file (${envs.join(', ')}; mode 0600), then complete the release`,
      commands: [argv.complete],
      files: units.map((u) => ({
        path: `${partial}/${u.envFileName}`,
        mode: 0o600,
        what: `KEY="value" lines: ${[...new Set([...Object.keys(u.model.env), ...u.model.runtimeEnvNames, ...(u.model.app.portEnv === null || !u.model.app.listens ? [] : [u.model.app.portEnv])])].sort().join(', ')} (values not shown)`,
      })),
    },
  ];
  units.forEach((u, i) => {
    const def = u.manager.definition;
    if (!def) return;
    steps.push({
      id: 'service',
      title: `install ${def.path} if it changed`,
      commands: [argv.install[i]!, ...def.reload],
      files: [{ path: `${def.path}.godeploy-tmp`, mode: 0o644, what: `the ${u.manager.kind} definition of process ${u.process}` }],
      note: 'skipped when the installed file has the same sha256 (read when the release is completed)',
    });
  });
  return { plan: { units, executables, artifacts: input.artifacts, releaseSha256: releaseSha, argv }, steps };
}

/** The switch, then each process's restart and health gate, in order. */
export function switchSteps(base: string, releaseId: string, p: ProcessesPlan, readCurrent: string[], unswitch: string[], local?: boolean): HostStep[] {
  const steps: HostStep[] = [
    {
      id: 'switch',
      title: `install ${p.units.map((u) => `shared/${u.envFileName}`).join(', ')}, point ${base}/current at releases/${releaseId} (symlink renamed over current)`,
      commands: [readCurrent, p.argv.switch],
      onFailure: [p.argv.switchBack, unswitch],
      note: 'one switch for every process; on failure: current back to the previous release and every process restarted on it in order, or every process stopped and current removed after a failed first deploy',
    },
  ];
  for (const u of p.units) {
    steps.push(
      {
        id: 'restart',
        title: `restart ${u.manager.name} (process ${u.process})`,
        commands: [u.manager.restart],
        onFailure: [u.manager.restart, u.manager.stop],
      },
      {
        id: 'health',
        title: `wait for ${describeGate(u.gate, u.model.app.port, u.manager.name)}`,
        commands: u.gate.type === 'process' ? [u.manager.observe] : [],
        onFailure: [u.manager.logs(50)],
        note: `${u.gate.type === 'process' ? 'read from the service manager' : local ? 'on this machine' : 'as seen from the host'}; on failure: switch back, restart every process, show this process's last 50 log lines`,
      },
    );
  }
  return steps;
}

/**
 * The plan of a several-process release on one host: the one-process plan's lock, hooks,
 * finish and record (planHost with the first process's model), its release, switch, restart
 * and gate steps replaced by every process's.
 */
export function planHostProcesses(
  input: Omit<HostPlanInput, 'model' | 'manager' | 'artifact' | 'delta' | 'blueGreen' | 'gate'>,
  units: ProcessUnit[],
  artifacts: ExecutableArtifact[] | null,
): HostPlan {
  const first = units[0];
  const single = planHost({ ...input, model: first.model, manager: first.manager, artifact: null, delta: false });
  const { plan, steps } = planProcesses({ base: input.base, releaseId: input.releaseId, units, artifacts, local: input.local });
  const byId = (id: string): HostStep[] => single.steps.filter((s) => s.id === id);
  const all: HostStep[] = [
    ...byId('preflight'),
    ...byId('lock'),
    steps[0],
    // app.files and app.shared (releaseFiles.ts), placed right after the release folder is made.
    ...byId('files'),
    ...steps.slice(1),
    ...byId('pre-deploy'),
    ...switchSteps(input.base, input.releaseId, plan, single.argv.readCurrent, single.argv.unswitch, input.local),
    ...byId('post-deploy'),
    ...byId('finish'),
  ];
  return { ...single, steps: all, processes: plan };
}
