import * as vscode from 'vscode';
import { askSecretValue, deleteSecret, knownSecretNames, SECRET_NAME, storeSecret } from '../secrets';
import type { CommandDeps, CommandFactory } from './registry';

/** `{ name, value }` instead of the input boxes. */
export interface SecretArgs {
  name?: string;
  value?: string;
}

function secretArgs(arg: unknown): SecretArgs {
  return typeof arg === 'object' && arg !== null && !(arg instanceof vscode.Uri) ? (arg as SecretArgs) : {};
}

async function askName(title: string): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title,
    prompt: 'The NAME of ${secret:NAME} in godeploy.yaml',
    ignoreFocusOut: true,
    validateInput: (v) => (SECRET_NAME.test(v) ? undefined : 'letters, digits and "_", not starting with a digit'),
  });
}

/** Go Deploy: Set Secret…: stores the value of ${secret:NAME} in VS Code's SecretStorage. Returns `{ name }`. */
async function setSecret({ ctx }: CommandDeps, arg: unknown): Promise<{ name: string } | undefined> {
  const a = secretArgs(arg);
  const name = a.name ?? (await askName('Go Deploy: set which secret?'));
  if (!name) return undefined;
  const value = a.value ?? (await askSecretValue(name));
  if (value === undefined) return undefined;
  await storeSecret(ctx, name, value);
  ctx.log.info(`secret ${name} stored in the secret storage`);
  if (a.value === undefined) void vscode.window.showInformationMessage(`Go Deploy: secret ${name} stored.`);
  return { name };
}

/** Go Deploy: Delete Secret…: removes a stored secret (the next deploy that needs it asks again). */
async function removeSecret({ ctx }: CommandDeps, arg: unknown): Promise<{ name: string; deleted: boolean } | undefined> {
  let name = secretArgs(arg).name;
  if (!name) {
    const names = knownSecretNames(ctx);
    if (!names.length) {
      void vscode.window.showInformationMessage('Go Deploy: no secret is stored.');
      return undefined;
    }
    name = (await vscode.window.showQuickPick(names, { title: 'Go Deploy: delete which secret?' })) ?? undefined;
    if (!name) return undefined;
  }
  const deleted = await deleteSecret(ctx, name);
  ctx.log.info(`secret ${name} ${deleted ? 'deleted' : 'was not stored'}`);
  return { name, deleted };
}

export const setSecretCommand: CommandFactory = {
  id: 'godeploy.setSecret',
  title: 'Set Secret',
  runsCode: false,
  create: (deps) => (arg?: unknown) => setSecret(deps, arg),
};

export const deleteSecretCommand: CommandFactory = {
  id: 'godeploy.deleteSecret',
  title: 'Delete Secret',
  runsCode: false,
  create: (deps) => (arg?: unknown) => removeSecret(deps, arg),
};
