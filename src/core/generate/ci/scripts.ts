// The shell the generated pipelines run, shared by GitHub Actions and GitLab CI: POSIX sh, no
// secret ever on a command line, in the script's text or in the job's log.
import type { CiDeploy, CiModel } from './model';

/** The secret holding the private key godeploy logs in with. */
export const SSH_KEY_SECRET = 'GODEPLOY_SSH_KEY';
/** The secret holding the hosts' known_hosts lines. */
export const KNOWN_HOSTS_SECRET = 'GODEPLOY_KNOWN_HOSTS';
/** The secret holding the key's passphrase, for an encrypted key (godeploy reads it from the environment). */
export const PASSPHRASE_SECRET = 'GODEPLOY_SSH_PASSPHRASE';
/** The variable that replaces the npm package the pipeline installs (a tarball's URL or path). */
export const PACKAGE_VARIABLE = 'GODEPLOY_PACKAGE';

/** `npm install --global` of the CLI: GODEPLOY_PACKAGE when set, else the version that wrote the pipeline. */
export function installCommand(ci: CiModel): string {
  return `npm install --global "\${${PACKAGE_VARIABLE}:-${ci.npmPackage}}"`;
}

/**
 * Writes the deploy key to every identity file godeploy reads for the environment's hosts and
 * adds the known_hosts lines it lacks to the known_hosts file godeploy reads, each mode 0600 from
 * the start (umask 077). A secret is either the value itself or, as GitLab's File variables are,
 * the path of a file holding it. Neither is printed; the known_hosts file may already hold the
 * lines (a knownHostsFile committed with the code), else the secret is required.
 */
export function sshSetupScript(d: CiDeploy): string {
  if (!d.ssh) return '';
  const kh = d.ssh.knownHostsFile.shell;
  const lines = [
    'umask 077',
    '# A secret: its value, or the file holding it (a GitLab variable of type File); a last line break added.',
    `secret() { if [ -f "$1" ]; then cat -- "$1"; [ -z "$(tail -c 1 -- "$1")" ] || echo; else printf '%s\\n' "$1"; fi; }`,
    `: "\${${SSH_KEY_SECRET}:?is not set: add the private key of the deploy user to the CI secret store}"`,
  ];
  for (const f of d.ssh.identityFiles) {
    lines.push(`mkdir -p "$(dirname -- ${f.shell})"`, `secret "$${SSH_KEY_SECRET}" | tr -d '\\r' > ${f.shell}`, `chmod 600 ${f.shell}`);
  }
  lines.push(
    `mkdir -p "$(dirname -- ${kh})"`,
    `touch ${kh}`,
    `chmod 600 ${kh}`,
    `if [ -n "\${${KNOWN_HOSTS_SECRET}:-}" ]; then`,
    `  secret "$${KNOWN_HOSTS_SECRET}" | tr -d '\\r' | while IFS= read -r line || [ -n "$line" ]; do`,
    `    [ -z "$line" ] || grep -qxF -e "$line" ${kh} || printf '%s\\n' "$line" >> ${kh}`,
    '  done',
    'fi',
    `if [ ! -s ${kh} ]; then`,
    `  echo "${KNOWN_HOSTS_SECRET} is not set and ${d.ssh.knownHostsFile.display.replace(/["$`\\]/g, '\\$&')} holds no host key: add the hosts' known_hosts lines to the CI secret store" >&2`,
    '  exit 1',
    'fi',
    '',
  );
  return lines.join('\n');
}

/** One entry of the secrets comment: the name, then its text aligned in a column (continuation lines too). */
function entry(name: string, ...text: string[]): string[] {
  const width = 26;
  return text.map((t, i) => (i === 0 ? `  ${name}`.padEnd(width - 1) + ` ${t}` : `${' '.repeat(width)}${t}`));
}

/** The comment lines (without `#`) that say what to put in the secret store for the deploys. */
export function secretsComment(ci: CiModel, store: { secrets: string; variables: string; keyNote?: string }): string[] {
  const out: string[] = [];
  for (const d of ci.deploys) {
    out.push(`Deploying to ${d.environment} (${d.type}: ${d.targets.join(', ')}) reads from ${store.secrets}:`);
    if (d.ssh) {
      out.push(
        ...entry(
          SSH_KEY_SECRET,
          "the private key godeploy logs in with, the whole file (its public key in the deploy user's",
          `~/.ssh/authorized_keys on each host). Written to ${d.ssh.identityFiles.map((f) => f.display).join(', ')}.`,
          ...(store.keyNote ? [store.keyNote] : []),
        ),
        ...entry(
          KNOWN_HOSTS_SECRET,
          "the hosts' known_hosts lines. Print them with",
          ...d.ssh.keyscan.map((k) => `  ${k}`),
          'and compare each fingerprint (ssh-keygen -lf FILE) with the one the host shows itself',
          '(ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub there) before trusting it. Added to',
          `${d.ssh.knownHostsFile.display}; a host key that differs stops the deploy.`,
        ),
        ...entry(PASSPHRASE_SECRET, 'only for a key with a passphrase.'),
      );
    }
    for (const s of d.secrets) out.push(...entry(s, `read by \${secret:${s}} in godeploy.yaml`));
    for (const v of d.variables) out.push(...entry(v, `read by \${env:${v}} in godeploy.yaml (${store.variables})`));
    if (!d.ssh && !d.secrets.length && !d.variables.length) out.push('  nothing: this environment needs no SSH key and no secret.');
  }
  return out;
}

/** The entry of GODEPLOY_PACKAGE in the header. */
export function packageComment(ci: CiModel, where: string): string[] {
  return entry(
    PACKAGE_VARIABLE,
    `optional (${where}): what npm installs instead of ${ci.npmPackage}, such as the URL of a`,
    'go-deploy-<version>.tgz (npm pack) while the package is not on the npm registry.',
  );
}
