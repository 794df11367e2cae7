// The service's command line in the model: app.args (or an environment's args) with
// ${env:…} read on the machine that writes the files or deploys, the same way app.env values
// are, and the launch rule (launch.ts) that puts the port flag first.
import { launchArgumentsOf } from '../config/launch';
import { resolveReferences, scanReferences, type Redactor, type ReferenceSources } from '../config/references';
import { GoDeployError } from '../errors';
import type { GenerateModel } from './model';

/**
 * The model with its arguments' ${env:NAME} references replaced from `sources` (`$$` is a
 * literal `$`). A variable that is not set is an error naming the argument. Values read from
 * the environment that are long enough to be a CI secret are added to `redactor`, as env values are.
 */
export async function resolveModelArgs(model: GenerateModel, sources: ReferenceSources, redactor?: Redactor): Promise<GenerateModel> {
  if (!model.app.argsPending && !model.processes.some((p) => p.argsPending)) return model;
  // Each process of app.processes with arguments of its own reads them the same way.
  const processes: GenerateModel['processes'] = [];
  for (const p of model.processes) {
    processes.push(p.argsPending ? { ...p, args: await resolveArgs(p.args, p.argsFrom, sources, redactor), argsPending: false } : p);
  }
  const args = model.app.argsPending ? await resolveArgs(model.app.args, model.app.argsFrom, sources, redactor) : model.app.args;
  // The one-process form's process is the app: its args are the app's.
  const own = model.processes.length === 1 && processes[0].service === model.app.name;
  return {
    ...model,
    app: { ...model.app, args, argsPending: false },
    processes: own ? [{ ...processes[0], args, argsPending: false }] : processes,
  };
}

async function resolveArgs(raws: string[], argsFrom: string, sources: ReferenceSources, redactor?: Redactor): Promise<string[]> {
  const args: string[] = [];
  for (const [i, raw] of raws.entries()) {
    const where = `${argsFrom}[${i}]`;
    if (scanReferences(raw).references.some((r) => r.kind === 'secret')) {
      throw new GoDeployError(`${where}: \${secret:…} cannot be an argument: argv is visible to every user of the host`, {
        hint: 'put the secret in app.env and read it in the program',
        exitCode: 2,
      });
    }
    try {
      const r = await resolveReferences(raw, sources, where);
      if (redactor && r.value.length >= 6 && scanReferences(raw).references.length) redactor.add(r.value);
      args.push(r.value);
    } catch (e) {
      throw new GoDeployError((e as Error).message, {
        hint: 'the CLI reads ${env:NAME} in arguments from its environment (export NAME=…), as it does for app.env; write $$ for a literal $',
      });
    }
  }
  return args;
}

/**
 * Everything after the executable for a service listening on `port` (a number, or a
 * placeholder such as systemd's `%i`): the port flag when the port goes by flag, then the
 * arguments. Refuses a model whose ${env:…} references were never read.
 */
export function serviceArguments(model: GenerateModel, port: string): string[] {
  if (model.app.argsPending) {
    throw new GoDeployError(`${model.app.argsFrom} refer to \${env:…} variables that were not read yet`, {
      hint: 'the model must go through resolveModelArgs before its files are written (a Go Deploy bug if you see this)',
    });
  }
  return launchArgumentsOf({ flag: model.app.portFlag }, model.app.args, port);
}
