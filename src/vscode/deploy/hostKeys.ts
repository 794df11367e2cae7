import * as vscode from 'vscode';
import type { OpenHostOptions } from '../../core/index';
import type { GoDeployContext } from '../context';
import { askKeyPassphrase, forgetKeyPassphrase, storedKeyPassphrase, storeKeyPassphrase } from '../secrets';

const TRUST = 'Trust and Connect';
const KEEP = 'Keep in Secret Storage';
const NOT_NOW = 'Not Now';
/** The engine asks at most this often per key file and connection (PASSPHRASE_ATTEMPTS in core/remote/auth). */
const ATTEMPTS = 3;

/**
 * How the engine connects for the editor: a host key seen for the first time is shown with
 * its SHA256 fingerprint in a modal, and recorded in the environment's known_hosts only
 * when the user trusts it (or when the caller passed acceptNewHostKey, like the CLI flag).
 * A changed key is never offered: the engine refuses it outright. Encrypted identity files:
 * see passphrasePrompts.
 */
export function hostOptions(ctx: GoDeployContext, knownHostsFile: string, acceptNewHostKey = false): Omit<OpenHostOptions, 'token'> {
  const passphrases = passphrasePrompts(ctx);
  if (acceptNewHostKey) return { acceptNewHostKey: true, ...passphrases };
  return {
    ...passphrases,
    onUnknownHostKey: async (fingerprint, info) => {
      const host = info.port === 22 ? info.host : `${info.host}:${info.port}`;
      ctx.log.warn(`unknown host key of ${host}: ${info.keyType} ${fingerprint}; asking whether to trust it`);
      const choice = await vscode.window.showWarningMessage(
        `Go Deploy: the authenticity of host ${host} cannot be established.`,
        {
          modal: true,
          detail: `${info.keyType} key fingerprint:\n${fingerprint}\n\nCompare it with the one the host reports (on the host: ssh-keygen -lf on /etc/ssh/ssh_host_*_key.pub). Trusting records it in ${knownHostsFile}; after that a different key is refused.`,
        },
        TRUST,
      );
      const trusted = choice === TRUST;
      ctx.log.info(`host key of ${host} ${trusted ? 'trusted and recorded' : 'not trusted: not connecting'}`);
      return trusted;
    },
  };
}

/**
 * Passphrases of encrypted identity files for one command (all its hosts and reconnects):
 * one kept in SecretStorage is tried first (and forgotten when it no longer decrypts the
 * key), else a password box asks; once a typed passphrase decrypted the key, a notification
 * offers to keep it. Asked one at a time, so hosts sharing a key ask once. Every value is
 * redacted from the log.
 */
export function passphrasePrompts(ctx: GoDeployContext): Pick<OpenHostOptions, 'askPassphrase' | 'onPassphraseAccepted'> {
  const good = new Map<string, string>(); // decrypted the key during this command
  const typed = new Map<string, string>(); // the last answer typed, not yet known to be wrong
  const fromStorage = new Map<string, string>();
  const storedWrong = new Set<string>();
  const offered = new Set<string>();
  let queue: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(f: () => Promise<T>): Promise<T> => {
    const p = queue.then(f, f);
    queue = p.catch(() => undefined);
    return p;
  };
  return {
    askPassphrase: (keyFile, attempt) =>
      oneAtATime(async () => {
        const known = good.get(keyFile);
        if (known !== undefined) return known;
        if (attempt === 1) {
          // Another host of this command may be checking an answer right now: reuse it before asking again.
          const pending = typed.get(keyFile) ?? (storedWrong.has(keyFile) ? undefined : fromStorage.get(keyFile));
          if (pending !== undefined) return pending;
          if (!fromStorage.has(keyFile)) {
            const stored = await storedKeyPassphrase(ctx, keyFile);
            if (stored !== undefined) {
              fromStorage.set(keyFile, stored);
              ctx.log.info(`using the passphrase of ${keyFile} kept in the secret storage`);
              return stored;
            }
          }
        } else {
          typed.delete(keyFile);
          // The stored passphrase is handed out first: asked again means it did not decrypt the key.
          const stored = fromStorage.get(keyFile);
          if (stored !== undefined && !storedWrong.has(keyFile)) {
            storedWrong.add(keyFile);
            if ((await storedKeyPassphrase(ctx, keyFile)) === stored) await forgetKeyPassphrase(ctx, keyFile);
            ctx.log.warn(`the passphrase of ${keyFile} kept in the secret storage does not decrypt it: forgotten`);
          }
        }
        ctx.log.info(`the SSH key ${keyFile} is encrypted: asking for its passphrase${attempt > 1 ? ` (attempt ${attempt} of ${ATTEMPTS})` : ''}`);
        const answer = await askKeyPassphrase(keyFile, attempt, ATTEMPTS);
        if (answer === undefined) {
          ctx.log.info(`no passphrase entered for ${keyFile}: not using that key`);
          return undefined;
        }
        ctx.log.redact(answer);
        typed.set(keyFile, answer);
        return answer;
      }),
    onPassphraseAccepted: (keyFile, passphrase) => {
      good.set(keyFile, passphrase);
      typed.delete(keyFile);
      if (fromStorage.get(keyFile) === passphrase || offered.has(keyFile)) return;
      offered.add(keyFile);
      // Not awaited: the connection goes on while the offer waits for an answer.
      void vscode.window.showInformationMessage(`Go Deploy: keep the passphrase of ${keyFile} in VS Code's secret storage?`, KEEP, NOT_NOW).then(
        async (choice) => {
          if (choice !== KEEP) return;
          await storeKeyPassphrase(ctx, keyFile, passphrase);
          ctx.log.info(`passphrase of ${keyFile} kept in the secret storage`);
        },
        () => undefined,
      );
    },
  };
}
