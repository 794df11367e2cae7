import * as vscode from 'vscode';
import type { ReferenceSources } from '../core/index';
import type { GoDeployContext } from './context';

// ${secret:NAME} values live in VS Code's SecretStorage (the OS keychain on the desktop),
// one entry per name for the whole editor, like an exported variable for the CLI. The
// names are also kept in globalState, because SecretStorage cannot list its keys.
const KEY_PREFIX = 'godeploy.secret.';
const NAMES_KEY = 'godeploy.secretNames';
export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function knownSecretNames(ctx: GoDeployContext): string[] {
  const v = ctx.extension.globalState.get<unknown>(NAMES_KEY);
  return Array.isArray(v) ? v.filter((n): n is string => typeof n === 'string').sort() : [];
}

export async function storeSecret(ctx: GoDeployContext, name: string, value: string): Promise<void> {
  if (!SECRET_NAME.test(name)) throw new Error(`"${name}" is not a valid secret name (letters, digits and "_", not starting with a digit)`);
  await ctx.extension.secrets.store(KEY_PREFIX + name, value);
  ctx.log.redact(value);
  const names = new Set(knownSecretNames(ctx));
  names.add(name);
  await ctx.extension.globalState.update(NAMES_KEY, [...names].sort());
}

export async function deleteSecret(ctx: GoDeployContext, name: string): Promise<boolean> {
  const had = (await ctx.extension.secrets.get(KEY_PREFIX + name)) !== undefined;
  await ctx.extension.secrets.delete(KEY_PREFIX + name);
  await ctx.extension.globalState.update(
    NAMES_KEY,
    knownSecretNames(ctx).filter((n) => n !== name),
  );
  return had;
}

/** Asks for a secret's value with a password box; undefined when the user cancels. */
export async function askSecretValue(name: string, why?: string): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title: `Go Deploy: secret ${name}`,
    prompt: `${why ? `${why}. ` : ''}The value is kept in VS Code's secret storage, never in godeploy.yaml or the log.`,
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (v === '' ? 'enter a value (Escape cancels)' : undefined),
  });
}

/**
 * Where the engine reads references from in the editor: ${env:NAME} from the extension
 * host's environment, ${secret:NAME} from SecretStorage, asking (and storing the answer)
 * when a secret is missing (unless `ask` is false: then it is not known). Every secret
 * handed out is redacted from the log.
 */
export function editorReferenceSources(ctx: GoDeployContext, purpose: string, o: { ask?: boolean } = {}): ReferenceSources {
  const asked = new Map<string, string | undefined>();
  return {
    env: (name) => process.env[name],
    secret: async (name) => {
      let value = await ctx.extension.secrets.get(KEY_PREFIX + name);
      if (value === undefined) {
        if (o.ask === false) return undefined;
        if (asked.has(name)) return asked.get(name);
        ctx.log.info(`secret ${name} is not in the secret storage: asking for it`);
        value = await askSecretValue(name, `godeploy.yaml uses \${secret:${name}} (${purpose})`);
        asked.set(name, value);
        if (value === undefined) return undefined;
        await storeSecret(ctx, name, value);
        ctx.log.info(`secret ${name} stored`);
      }
      ctx.log.redact(value);
      return value;
    },
  };
}

// Passphrases of encrypted SSH identity files: one SecretStorage entry per key file (its
// absolute path in the key), kept only when the user says so after it decrypted the key.
const PASSPHRASE_PREFIX = 'godeploy.sshKeyPassphrase:';

export async function storedKeyPassphrase(ctx: GoDeployContext, keyFile: string): Promise<string | undefined> {
  const value = await ctx.extension.secrets.get(PASSPHRASE_PREFIX + keyFile);
  if (value !== undefined) ctx.log.redact(value);
  return value;
}

export async function storeKeyPassphrase(ctx: GoDeployContext, keyFile: string, passphrase: string): Promise<void> {
  ctx.log.redact(passphrase);
  await ctx.extension.secrets.store(PASSPHRASE_PREFIX + keyFile, passphrase);
}

export async function forgetKeyPassphrase(ctx: GoDeployContext, keyFile: string): Promise<void> {
  await ctx.extension.secrets.delete(PASSPHRASE_PREFIX + keyFile);
}

/** Asks for the passphrase of an encrypted SSH key with a password box; undefined when the user cancels. */
export async function askKeyPassphrase(keyFile: string, attempt: number, attempts: number): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title: `Go Deploy: passphrase for ${keyFile}`,
    prompt:
      attempt > 1
        ? `That passphrase does not decrypt ${keyFile}. Try again (${attempt} of ${attempts}); Escape skips this key.`
        : `The SSH key ${keyFile} is encrypted: enter its passphrase (Escape skips this key).`,
    password: true,
    ignoreFocusOut: true,
  });
}
