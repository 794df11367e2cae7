// The service's env file: rendered KEY='value' lines must read back byte for byte through
// the real /bin/sh (the process manager, supervisor's wrapper and the hooks all `.` it),
// with no expansion or command substitution; ${env:}/${secret:} resolution names the
// config key that failed and everything resolved is redacted.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EnvironmentConfig, GoDeployConfig } from '../../src/core/config/model';
import type { ReferenceSources } from '../../src/core/config/references';
import { renderEnvFile, resolveServiceEnvironment } from '../../src/core/release/envFile';
import { GoDeployError } from '../../src/core/errors';

/** `sh -c 'set -a; . FILE; set +a; printf %s "$NAME"'`, as raw bytes. */
function readBack(file: string, name: string): Buffer {
  return execFileSync('/bin/sh', ['-c', `set -a; . "$1"; set +a; printf %s "$${name}"`, 'sh', file]);
}

/** Every exported variable after sourcing FILE in a clean environment (env -0: values may hold newlines). */
function exportedAfterSourcing(file: string): Map<string, Buffer> {
  const raw = execFileSync('/bin/sh', ['-c', 'set -a; . "$1"; set +a; exec env -0', 'sh', file], { env: {} });
  const out = new Map<string, Buffer>();
  let start = 0;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== 0) continue;
    const entry = raw.subarray(start, i);
    const eq = entry.indexOf(0x3d);
    out.set(entry.subarray(0, eq).toString('utf8'), entry.subarray(eq + 1));
    start = i + 1;
  }
  return out;
}

const sources = (vars: Record<string, string>, secrets: Record<string, string> = {}): ReferenceSources => ({
  env: (n) => vars[n],
  secret: (n) => secrets[n],
});

const config = (appEnv: Record<string, string | number | boolean> = {}): GoDeployConfig => ({ app: { name: 'deployapp', env: appEnv } });
const environment = (env: Record<string, string | number | boolean> = {}): EnvironmentConfig => ({ type: 'local', env });

describe('deploy env file (rendering through the real /bin/sh, resolution, redaction)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'godeploy-envfile-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips every awkward value byte for byte through sh, exported, with no expansion or command substitution', () => {
    const marker = join(dir, 'command-substitution-ran');
    const marker2 = join(dir, 'backticks-ran');
    const values: Record<string, string> = {
      SPACES: 'a b  c\td',
      SINGLE: "it's 'quoted'",
      DOUBLE: 'say "hi" ""',
      SUBST: '$(id)',
      TOUCH: `$(touch ${marker})`,
      BACKTICKS: `\`id\` and \`touch ${marker2}\``,
      DOLLAR_HOME: '$HOME ${HOME} $$ $1 $@ $*',
      BACKSLASH: "a\\b \\\\ \\n \\' \\",
      NEWLINE: 'line one\nline two\n',
      TRAILING: 'trailing space ',
      LEADING: '  leading',
      UNICODE: 'héllo ✓ 日本語 🚀',
      EMPTY: '',
      GLOB: '* ? [a-z] ~ ~root',
      OPERATORS: '; | & && || > < >> ( ) { } # !',
      EQUALS: 'a=b=c',
      ONLY_QUOTE: "'",
      QUOTE_RUN: "''''\\'",
      MIXED: `'"$(echo x)\`echo y\`\\ \n\t $PATH '\\''`,
    };
    const text = renderEnvFile(values, 'deployapp test: mode 0600');
    assert.ok(text.startsWith('# deployapp test: mode 0600\n'), text);
    assert.ok(text.endsWith('\n'));
    const file = join(dir, 'deployapp.env');
    writeFileSync(file, text, { mode: 0o600 });
    for (const [name, value] of Object.entries(values)) {
      assert.deepEqual(readBack(file, name), Buffer.from(value, 'utf8'), `${name}: ${JSON.stringify(value)} did not survive sh`);
    }
    const exported = exportedAfterSourcing(file);
    for (const [name, value] of Object.entries(values)) {
      assert.deepEqual(exported.get(name), Buffer.from(value, 'utf8'), `${name} is not exported unchanged`);
    }
    assert.equal(existsSync(marker), false, '$(touch …) in a value ran');
    assert.equal(existsSync(marker2), false, '`touch …` in a value ran');
  });

  it("renders a header, then one KEY=… line per key in the given order (a value's newlines stay inside its quotes)", () => {
    const text = renderEnvFile({ B: "it's", A: '', PORT: '8080', M: 'one\ntwo' }, 'h');
    const lines = text.split('\n');
    assert.equal(lines[0], '# h');
    assert.deepEqual(
      lines
        .slice(1)
        .filter((l) => /^[A-Z]+=/.test(l))
        .map((l) => l.slice(0, l.indexOf('='))),
      ['B', 'A', 'PORT', 'M'],
    );
    assert.equal(lines.length, 7, text);
    assert.equal(lines[6], '');
    assert.equal(renderEnvFile({}), '# written by Go Deploy at each deploy; mode 0600\n');
  });

  it('rejects invalid names and NUL bytes, naming the key', () => {
    for (const bad of ['BAD-NAME', '1ABC', 'A B', '', 'A=B', 'ÄPFEL', 'X;rm']) {
      assert.throws(
        () => renderEnvFile({ [bad]: 'x' }),
        (e: unknown) => e instanceof GoDeployError && e.message === `"${bad}" is not a valid environment variable name`,
        bad,
      );
    }
    assert.throws(
      () => renderEnvFile({ OK: 'fine', TOKEN: 'ab\0cd' }),
      (e: unknown) => e instanceof GoDeployError && /\bTOKEN\b/.test(e.message) && /NUL/.test(e.message),
    );
    assert.doesNotThrow(() => renderEnvFile({ _lower_ok: 'x', A1: 'y' }));
  });

  it('resolves ${env:…} and ${secret:…}, turns $$ into $, adds PORT, sorts by name', async () => {
    const r = await resolveServiceEnvironment(
      config({ FROM_APP: 'app', LITERAL: 'cost: $$5, $$HOME stays', ESCAPED_REF: '$${secret:NOT_A_REF}', NUM: 42, BOOL: true }),
      'prod',
      environment({
        DB_URL: 'postgres://app:${secret:DB_PASSWORD}@db/${env:DB_NAME}',
        TOKEN: '${secret:API_TOKEN}',
        REGION: '${env:REGION}',
        MIXED: '$$${env:REGION}$$',
      }),
      9090,
      sources({ DB_NAME: 'orders', REGION: 'eu-1' }, { DB_PASSWORD: 'pa$$ w0rd', API_TOKEN: 'tok-123' }),
    );
    assert.deepEqual(Object.keys(r.values), ['BOOL', 'DB_URL', 'ESCAPED_REF', 'FROM_APP', 'LITERAL', 'MIXED', 'NUM', 'PORT', 'REGION', 'TOKEN']);
    assert.deepEqual(r.values, {
      BOOL: 'true',
      DB_URL: 'postgres://app:pa$$ w0rd@db/orders',
      ESCAPED_REF: '${secret:NOT_A_REF}',
      FROM_APP: 'app',
      LITERAL: 'cost: $5, $HOME stays',
      MIXED: '$eu-1$',
      NUM: '42',
      PORT: '9090',
      REGION: 'eu-1',
      TOKEN: 'tok-123',
    });
  });

  it("the environment's env wins over app.env", async () => {
    const r = await resolveServiceEnvironment(config({ LEVEL: 'info', KEEP: 'k' }), 'prod', environment({ LEVEL: 'debug' }), 8080, sources({}));
    assert.deepEqual(r.values, { KEEP: 'k', LEVEL: 'debug', PORT: '8080' });
  });

  // The environment's entries replace app.env's before anything is resolved.
  it('an app.env reference that the environment overrides is not resolved (nor required)', async () => {
    const r = await resolveServiceEnvironment(
      config({ DB_PASSWORD: '${secret:PROD_DB_PASSWORD}' }),
      'dev',
      environment({ DB_PASSWORD: 'dev-password' }),
      8080,
      sources({}),
    );
    assert.deepEqual(r.values, { DB_PASSWORD: 'dev-password', PORT: '8080' });
  });

  it('a missing secret or variable names the config key, and the hint says where they come from', async () => {
    const missingSecret = await resolveServiceEnvironment(config(), 'prod', environment({ DB_PASSWORD: '${secret:DB_PASSWORD}' }), 8080, sources({})).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(missingSecret instanceof GoDeployError, String(missingSecret));
    assert.equal(missingSecret.message, 'environments.prod.env.DB_PASSWORD: secret DB_PASSWORD is not set');
    assert.match(missingSecret.hint ?? '', /\$\{secret:NAME\}/);
    assert.match(missingSecret.hint ?? '', /environment/);
    assert.match(missingSecret.hint ?? '', /SecretStorage/);

    const missingVar = await resolveServiceEnvironment(config({ REGION: 'x-${env:DEPLOY_REGION}' }), 'prod', environment(), 8080, sources({})).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(missingVar instanceof GoDeployError);
    assert.equal(missingVar.message, 'app.env.REGION: environment variable DEPLOY_REGION is not set');
    assert.match(missingVar.hint ?? '', /export NAME=/);
  });

  it('an invalid name in the config names its key path', async () => {
    const e = await resolveServiceEnvironment(config(), 'staging', environment({ 'BAD-KEY': 'x' }), 8080, sources({})).then(
      () => null,
      (x: unknown) => x,
    );
    assert.ok(e instanceof GoDeployError);
    assert.equal(e.message, 'environments.staging.env.BAD-KEY: "BAD-KEY" is not a valid environment variable name');
  });

  it('the redactor hides every resolved secret and ${env:} value, and nothing else', async () => {
    const r = await resolveServiceEnvironment(
      config({ PLAIN: 'visible-plain' }),
      'prod',
      environment({ A: 'user:${secret:PW}', B: '${secret:TOKEN}', C: '${env:CI_TOKEN}', EMPTY: '${secret:EMPTY}' }),
      8080,
      sources({ CI_TOKEN: 'ci-token-value' }, { PW: 'hunter2-long', TOKEN: 'tok-hunter2-long-er', EMPTY: '' }),
    );
    const text = `a=${r.values.A} b=${r.values.B} c=${r.values.C} plain=${r.values.PLAIN} port=${r.values.PORT}`;
    const red = r.redactor.redact(text);
    for (const s of ['hunter2-long', 'tok-hunter2-long-er', 'ci-token-value']) assert.ok(!red.includes(s), `${s} visible in ${red}`);
    assert.equal(red, 'a=user:*** b=*** c=*** plain=visible-plain port=8080');
    // The longer secret containing a shorter one is replaced whole.
    assert.equal(r.redactor.redact('x tok-hunter2-long-er y'), 'x *** y');
    // Rendering a resolved environment then redacting the file text hides every secret.
    const file = r.redactor.redact(renderEnvFile(r.values));
    assert.ok(!/hunter2|ci-token-value/.test(file), file);
  });
});
