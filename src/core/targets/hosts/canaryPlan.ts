// strategy canary: a host's steps from the switch on, as `deploy --dry-run` lists them
// (deployPlan.ts puts them where blue-green's go). The commands are canarySwitch.ts's and
// the rollout's (release/canary/hostSite.ts, driver.ts).
import { describeCanarySteps } from '../../release/canary/describe';
import type { StepId } from '../../environment/types';
import type { GenerateModel } from '../../generate/model';
import type { GateSpec } from '../../release/healthGate';
import { describeGate } from '../../release/healthGate';
import { shArgv as sh } from '../../remote/quote';
import * as bg from './blueGreen';
import { durationText } from '../../release/canary/states';

/** The path of a host's rollout state: <base>/.godeploy/rollout.json. */
export const rolloutStateFile = (base: string): string => `${base}/.godeploy/rollout.json`;

export function canaryPlanSteps(i: {
  model: GenerateModel;
  base: string;
  releaseId: string;
  gate: GateSpec;
  blueGreen: bg.BlueGreenPlan;
  switchArgv: string[];
  switchBack: string[];
  unswitch: string[];
}): { id: StepId; title: string; commands: string[][]; onFailure?: string[][]; files?: { path: string; mode: number; what: string }[]; note?: string }[] {
  const { model, base, blueGreen: b } = i;
  const idle = '<idle port>';
  const p = model.canary!;
  const a = p.analysis;
  return [
    {
      id: 'switch',
      title: `point ${base}/current at releases/${i.releaseId} (symlink renamed over current); the live instance keeps running its release`,
      commands: [sh(bg.READ_STATE, base, b.stateFile), i.switchArgv],
      onFailure: [i.switchBack, i.unswitch],
    },
    {
      id: 'restart',
      title: `start ${b.instances.name(idle)} (the one of ${b.ports.join('/')} not named in ${b.stateFile})`,
      commands: [b.instances.start(idle)],
    },
    {
      id: 'health',
      title: `wait for ${describeGate(i.gate, idle, b.instances.name(idle))}`,
      commands: i.gate.type === 'process' ? [b.instances.observe(idle)] : [],
      onFailure: [b.instances.stop(idle)],
      note: 'every host starts and gates its canary before any nginx changes (rollout.batch and rollout.parallel apply); a failure anywhere stops every canary and points current back: nginx and the live instances were never touched',
    },
    {
      id: 'nginx',
      title: `install the nginx site with ${model.nginx.canaryInclude} (every request still to the live instance), nginx -t, reload; with nothing live, the new instance takes every request and no steps follow`,
      commands: [],
      files: [{ path: `${b.site.path}`, mode: 0o644, what: 'the nginx site (upstreams, sticky cookie map and JSON log format from the canary include)' }],
    },
    {
      id: 'retire',
      title: `canary steps ${describeCanarySteps(p)}: each rewrites ${model.nginx.canaryInclude} (nginx -t, reload) on every host; each ${durationText(a.windowMs)} window of ${model.nginx.accessLog} is judged (5xx rate at most ${Math.round(a.maxErrorRate * 10_000) / 100}%${a.maxP95LatencyRatio ? `, p95 at most ${a.maxP95LatencyRatio}× the live one's` : ''}, at least ${a.minRequests} canary requests; too few after ${durationText(p.insufficientTrafficWaitMs)}: ${p.onInsufficientTraffic === 'fail' ? 'abort' : 'promote'})`,
      commands: [],
      note: `state in ${rolloutStateFile(base)} (godeploy rollout status|promote|abort ENV); at 100%: the old nginx workers finish and the old instance stops; a breach or an abort: every request back to the live instance, the canary stops, current points back`,
    },
  ];
}
