import * as vscode from 'vscode';
import type { OpenHostOptions } from '../../core/index';
import type { GoDeployContext } from '../context';

const TRUST = 'Trust and Connect';

/**
 * How the engine connects for the editor: a host key seen for the first time is shown with
 * its SHA256 fingerprint in a modal, and recorded in the environment's known_hosts only
 * when the user trusts it (or when the caller passed acceptNewHostKey, like the CLI flag).
 * A changed key is never offered: the engine refuses it outright.
 */
export function hostOptions(ctx: GoDeployContext, knownHostsFile: string, acceptNewHostKey = false): Omit<OpenHostOptions, 'token'> {
  if (acceptNewHostKey) return { acceptNewHostKey: true };
  return {
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
