import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { formatDiagnostic, validateConfigText, type ConfigDiagnostic } from '../../src/core/index';
import { inspectModule } from '../../src/core/gomod/inspect';
import { fixtureModules } from '../support/paths';
import * as path from 'node:path';

function errorsOf(text: string): ConfigDiagnostic[] {
  return validateConfigText('godeploy.yaml', text).diagnostics.filter((d) => d.severity === 'error');
}
const at = (d: ConfigDiagnostic) => `${d.line}:${d.col}`;

describe('godeploy.yaml validation', () => {
  it('reports a syntax error, an unknown environment type, a wrong type and a missing key once each, located', () => {
    const text = [
      'app:',
      '  name: hello',
      '  port: "eighty"',
      '  healthCheck:',
      '    path: /healthz',
      '    timeout: 30s: 40s',
      'environments:',
      '  dev:',
      '    type: locall',
      '  staging:',
      '    type: ssh',
      '    path: /opt/hello',
      '',
    ].join('\n');
    const errors = errorsOf(text);
    assert.deepEqual(
      errors.map(formatDiagnostic).map((l) => l.split('\n')[0]),
      [
        'godeploy.yaml:3:9: error: app.port: expected an integer, got the string "eighty"',
        'godeploy.yaml:6:14: error: YAML syntax: Nested mappings are not allowed in compact mappings',
        'godeploy.yaml:9:11: error: environments.dev.type: unknown environment type "locall"; expected one of local, ssh, docker',
        'godeploy.yaml:10:3: error: environments.staging: missing required key "hosts"',
      ],
    );
    assert.match(errors[2].hint ?? '', /did you mean "local"/);
    assert.match(errors[0].hint ?? '', /whole number from 1 to 65535/);
  });

  it('accepts the documented example config', () => {
    const text = `app:
  name: shop
  main: ./cmd/shop-api
  port: 8080
  healthCheck:
    path: /healthz
    timeout: 30s
  env: { KEY: value }
build:
  targets: [linux/amd64]
  ldflags: "-s -w -X main.version={{.Version}}"
environments:
  dev:
    type: local
  staging:
    type: ssh
    hosts:
      - host: 127.0.0.1
        port: 2223
        user: root
        identityFile: ~/.ssh/id_ed25519
    knownHostsFile: ./known_hosts
    path: /opt/shop
    processManager: systemd
    keepReleases: 5
    env: { SHOP_BANNER: hello, DB_PASSWORD: "\${secret:DB_PASSWORD}" }
  containers:
    type: docker
    docker: { host: unix:///var/run/docker.sock }
`;
    const r = validateConfigText('godeploy.yaml', text);
    assert.deepEqual(r.diagnostics, []);
    const staging = r.config?.environments?.staging;
    assert.equal(staging?.type === 'ssh' ? staging.hosts[0].port : undefined, 2223);
  });

  it('names unknown keys with a suggestion, at the key', () => {
    const [e] = errorsOf('app:\n  name: x\n  prot: 80\n');
    assert.equal(at(e), '3:3');
    assert.equal(e.message, 'app: unknown key "prot"');
    assert.match(e.hint ?? '', /did you mean "port"/);
  });

  it('a key that is a list is an unknown key, with no Node warning printed past the report', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w.message);
    };
    process.on('warning', onWarning);
    try {
      const errors = errorsOf('app:\n  name: x\n  port: 8080\n? [a, b]\n: c\n');
      assert.deepEqual(
        errors.map((d) => d.message),
        ['the file: unknown key "[ a, b ]"'],
      );
      await new Promise((r) => setImmediate(r)); // process warnings are emitted on a later tick
    } finally {
      process.removeListener('warning', onWarning);
    }
    assert.deepEqual(warnings, []);
  });

  it('reports duplicate keys and tab indentation as syntax errors, without cascades', () => {
    assert.deepEqual(
      errorsOf('app:\n  name: x\n  name: y\n').map((d) => [at(d), d.message]),
      [['3:3', 'YAML syntax: Map keys must be unique']],
    );
    const tabs = errorsOf('app:\n\tname: x\n');
    assert.equal(tabs.length, 1);
    assert.equal(at(tabs[0]), '2:1');
  });

  it('points an unterminated quote at where it opens', () => {
    const [e] = errorsOf('app:\n  name: x\nbuild:\n  ldflags: "-s -w\n  targets: [linux/amd64]\n');
    assert.equal(at(e), '4:12');
    assert.match(e.message, /Missing closing "quote/);
  });

  it('allows secrets only in env maps, and rejects malformed references', () => {
    const errors = errorsOf(
      'app:\n  env:\n    OK: ${secret:TOKEN}\n    BAD: ${vault:x}\nenvironments:\n  p:\n    type: ssh\n    hosts: [{ host: a }]\n    path: "${secret:P}"\n',
    );
    assert.deepEqual(
      errors.map((d) => [at(d), d.message.split(':')[0]]),
      [
        ['4:10', 'unknown reference ${vault'],
        ['9:11', '${secret'],
      ],
    );
  });

  it('allows secrets in docker.registryUser/registryPassword (they go into the API auth header), not in docker.host; a literal password is refused without being echoed', () => {
    const ok = errorsOf(
      'app:\n  name: x\nenvironments:\n  d:\n    type: docker\n    docker:\n      registry: r.example.com/team\n      registryUser: ${secret:REG_USER}\n      registryPassword: ${secret:REG_PW}\n',
    );
    assert.deepEqual(ok, []);
    const bad = errorsOf(
      'app:\n  name: x\nenvironments:\n  d:\n    type: docker\n    docker:\n      host: "ssh://${secret:U}@h"\n      registry: r.example.com\n      registryUser: me\n      registryPassword: s3cret-Pa55\n',
    );
    assert.deepEqual(bad.map(at), ['7:13', '10:25']);
    assert.match(bad[1].message, /registryPassword: invalid value \(not shown: it may be a secret\)$/);
    assert.ok(!bad.some((d) => `${d.message} ${d.hint}`.includes('s3cret-Pa55')));
  });

  it('rejects out-of-range ports, bad durations, bad targets and shell characters in hosts', () => {
    const errors = errorsOf(
      'app:\n  port: 70000\n  healthCheck: { timeout: soon }\nbuild:\n  targets: [linux-amd64]\nenvironments:\n  p:\n    type: ssh\n    hosts: [{ host: "a;rm -rf /" }]\n',
    );
    assert.deepEqual(errors.map(at), ['2:9', '3:27', '5:13', '9:21']);
    assert.match(errors[0].message, /70000 is out of range; expected 1 to 65535/);
    assert.match(errors[1].hint ?? '', /duration/);
    assert.match(errors[2].hint ?? '', /GOOS\/GOARCH/);
  });

  it("base paths: spaces, $ and parentheses are accepted; what the process manager cannot run is an error on the path's line", () => {
    const env = (name: string, pm: string, p: string) =>
      `  ${name}:\n    type: ssh\n    hosts: [{ host: a }]\n${pm ? `    processManager: ${pm}\n` : ''}    path: ${JSON.stringify(p)}\n`;
    const text = (...envs: string[]) => `app: {}\nenvironments:\n${envs.join('')}`;
    assert.deepEqual(
      errorsOf(text(env('a', '', '/srv/my app/$(x) `y` (z)'), env('b', 'none', `/srv/it's "q" \\ b`), env('c', 'supervisor', `/srv/it's "q"`))),
      [],
    );
    const errors = errorsOf(
      text(env('quote', '', `/srv/it's`), env('slash', 'systemd', '/srv/a\\b'), env('comment', 'supervisor', '/srv/a #b'), env('line', 'none', '/srv/a\nb')),
    );
    assert.deepEqual(
      errors.map((d) => `${at(d)} ${d.message}`),
      [
        '6:11 environments.quote.path holds a quote, which systemd cannot take in a path',
        '11:11 environments.slash.path holds a backslash, which systemd cannot take in a path',
        '16:11 environments.comment.path holds a space followed by ";" or "#", which supervisor cannot take in a path',
        '21:11 environments.line.path holds a line break (\\n) at character 7',
      ],
    );
    assert.match(errors[0].hint ?? '', /spaces, \$ and parentheses are fine/);
    assert.match(errors[3].hint ?? '', /on one line/);
  });

  it('warns about keys that do not apply to the environment type', () => {
    const r = validateConfigText('godeploy.yaml', 'app: {}\nenvironments:\n  dev:\n    type: local\n    hosts: [{ host: a }]\n');
    assert.equal(r.diagnostics.length, 1);
    assert.equal(r.diagnostics[0].severity, 'warning');
    assert.equal(at(r.diagnostics[0]), '5:5');
    assert.ok(r.config, 'warnings do not make the config invalid');
  });

  it('reports an empty file and a file that is not a mapping', () => {
    assert.equal(errorsOf('')[0].message, 'the file is empty');
    assert.match(errorsOf('- a\n- b\n')[0].message, /expected a mapping, got a list/);
  });

  it('checks app.main against the module: several mains without app.main is an error listing them', async () => {
    const inspection = await inspectModule(path.join(fixtureModules, 'multi'));
    const none = validateConfigText('godeploy.yaml', 'app:\n  port: 8080\n', inspection).diagnostics;
    assert.equal(none.length, 1);
    assert.equal(at(none[0]), '1:1');
    assert.match(none[0].message, /2 main packages: \.\/cmd\/api, \.\/cmd\/worker/);
    const wrong = validateConfigText('godeploy.yaml', 'app:\n  main: ./cmd/nope\n', inspection).diagnostics;
    assert.equal(at(wrong[0]), '2:9');
    assert.match(wrong[0].hint ?? '', /\.\/cmd\/api, \.\/cmd\/worker/);
    assert.deepEqual(validateConfigText('godeploy.yaml', 'app:\n  main: ./cmd/worker/\n', inspection).diagnostics, []);
  });
});

describe('the sample config with every key', () => {
  it('is valid (the fuzz corpus starts from a valid file)', () => {
    const text = readFileSync(path.join(fixtureModules, '..', 'configs', 'full.yaml'), 'utf8') as string;
    assert.deepEqual(validateConfigText('full.yaml', text).diagnostics, []);
  });
});

describe('rules for the generator sections', () => {
  it('PORT in an env map is an error pointing at app.port', () => {
    const [e] = errorsOf('app:\n  port: 8080\n  env:\n    PORT: 9000\n');
    assert.equal(at(e), '4:5');
    assert.match(e.message, /gets PORT from app\.port/);
  });

  it('certbot without a server name, and autoscaling max below min, are errors', () => {
    const errors = errorsOf('app: {}\nnginx:\n  tls:\n    certbot: true\nkubernetes:\n  autoscaling: { minReplicas: 5, maxReplicas: 3 }\n');
    assert.deepEqual(errors.map(at), ['4:5', '6:47']);
    assert.match(errors[0].hint ?? '', /\/etc\/letsencrypt\/live/);
  });
});

describe('GOMEMLIMIT from memory limits', () => {
  it('reads systemd sizes as powers of 1024 and Kubernetes M as 10^6', async () => {
    const { ninetyPercent } = await import('../../src/core/generate/model');
    assert.equal(ninetyPercent('512M', 'binary'), '460MiB');
    assert.equal(ninetyPercent('512Mi', 'kubernetes'), '460MiB');
    assert.equal(ninetyPercent('512M', 'kubernetes'), '439MiB');
    assert.equal(ninetyPercent('1G', 'binary'), '921MiB');
  });
});

describe('generator model defaults', () => {
  it('a local environment keeps its releases in the user data folder; others under /opt', async () => {
    const { modelFor } = await import('../support/models');
    const yaml = 'app:\n  name: hello\nenvironments:\n  dev: { type: local }\n  prod: { type: ssh, hosts: [{ host: a }] }\n';
    assert.equal((await modelFor('single', yaml, { environment: 'dev' })).paths.base, '~/.local/share/godeploy/hello');
    assert.equal((await modelFor('single', yaml, { environment: 'prod' })).paths.base, '/opt/hello');
  });
});
