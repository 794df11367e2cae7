// hooks.preDeploy / hooks.postDeploy entries with `on: primary`. With strategy: blue-green a
// deploy starts the idle colour next to the live one, gates it, then moves nginx: the live
// colour is the instant way back until the very end. A preDeploy hook on: primary (a
// migration) would run before the new colour is up, changing what both colours share while
// only the old one serves, and a failed gate could not take it back: refused, at its `on`.
// Allowed with blue-green: postDeploy on: primary (it runs once the new colour serves), hooks
// with local: true (this machine), and on: all (today's behaviour, unchanged). strategy: canary
// likewise: the live release serves beside the canary (and is the way back) until promotion.
import type { ConfigDiagnostic } from './diagnostic';
import type { ConfigDocument } from './document';
import { isObject, type RawObject } from './raw';

export function hookDiagnostics(document: ConfigDocument, config: RawObject, out: ConfigDiagnostic[]): void {
  if (!isObject(config.environments)) return;
  for (const [name, env] of Object.entries(config.environments)) {
    const canary = isObject(env) && env.strategy === 'canary';
    if (!isObject(env) || (env.strategy !== 'blue-green' && !canary) || !isObject(env.hooks) || !Array.isArray(env.hooks.preDeploy)) continue;
    env.hooks.preDeploy.forEach((hook, i) => {
      if (!isObject(hook) || hook.on !== 'primary' || hook.local === true) return;
      out.push(
        canary
          ? document.diagnosticAt(
              ['environments', name, 'hooks', 'preDeploy', i, 'on'],
              'value',
              'error',
              `environments.${name}.hooks.preDeploy[${i}] runs on: primary before the canary starts, but strategy: canary keeps the live release serving beside it (and as the way back) until the rollout is promoted`,
              'make it backward compatible and run it before `godeploy deploy` (both releases serve during the rollout), or use strategy: restart',
            )
          : document.diagnosticAt(
              ['environments', name, 'hooks', 'preDeploy', i, 'on'],
              'value',
              'error',
              `environments.${name}.hooks.preDeploy[${i}] runs on: primary before the new colour is up, but strategy: blue-green keeps the live colour serving (and the way back) until the new one passed its gate`,
              'run it as a postDeploy hook (once the new colour serves), make it backward compatible and run it before `godeploy deploy`, or use strategy: restart',
            ),
      );
    });
  }
}
