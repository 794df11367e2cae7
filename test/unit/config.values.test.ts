import { strict as assert } from 'node:assert';
import { assertDeployBase, systemFolderProblem } from '../../src/core/config/basePath';
import { validateConfigText, type ConfigDiagnostic } from '../../src/core/index';
import { isGoDeployError } from '../../src/core/errors';

const errorsOf = (text: string | Uint8Array): ConfigDiagnostic[] => validateConfigText('godeploy.yaml', text).diagnostics.filter((d) => d.severity === 'error');

/** A YAML double-quoted scalar holding `value` exactly, control characters as \xNN escapes. */
const yamlQuoted = (value: string): string =>
  // eslint-disable-next-line no-control-regex -- escaping control characters is the point
  `"${value.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}"`;

/** Sets one dotted key (every parent a mapping) in a config that is valid without it; the value sits on the returned line. */
function configWith(key: string, value: string): { text: string; line: number } {
  const parts = key.split('.');
  const lines = ['app:', '  name: hello', 'environments:', '  prod:', '    type: ssh', '    hosts: [{ host: a.example }]'];
  const inEnv = parts[0] === 'environments';
  const nested = inEnv ? parts.slice(2) : parts;
  const indent = inEnv ? 4 : 0;
  if (!inEnv && parts[0] === 'app') {
    lines.splice(2, 0, ...nested.slice(1).map((p, i) => `${' '.repeat(2 * (i + 1))}${p}:${i === nested.length - 2 ? ` ${yamlQuoted(value)}` : ''}`));
    return { text: lines.join('\n') + '\n', line: 2 + nested.length - 1 };
  }
  const block = nested.map((p, i) => `${' '.repeat(indent + 2 * i)}${p}:${i === nested.length - 1 ? ` ${yamlQuoted(value)}` : ''}`);
  lines.push(...block);
  return { text: lines.join('\n') + '\n', line: lines.length };
}

/** Every string of godeploy.yaml that reaches a generated file or a URL (env values and hooks are free text). */
const FIELDS: Record<string, string> = {
  'app.healthCheck.path': '/healthz',
  'environments.prod.healthCheck.path': '/healthz',
  'build.ldflags': '-s -w',
  'docker.builderImage': 'golang',
  'docker.runtimeImage': 'alpine:3.21',
  'environments.prod.docker.builderImage': 'golang',
  'nginx.tls.certificate': '/etc/ssl/site.crt',
  'nginx.tls.certificateKey': '/etc/ssl/site.key',
  'environments.prod.nginx.tls.certificate': '/etc/ssl/site.crt',
  'supervisor.logDir': '/var/log/hello',
  'environments.prod.supervisor.logDir': '/var/log/hello',
  'kubernetes.image': 'hello:1',
  'kubernetes.namespace': 'shop',
  'environments.prod.path': '/opt/hello',
  'environments.prod.knownHostsFile': 'known_hosts',
  templates: 'templates',
};

const CONTROLS: [string, string][] = [
  ['\nRUN touch /tmp/x #', 'a line break (\\n)'],
  ['\r\nX-Injected: 1', 'a carriage return (\\r)'],
  ['\tx', 'a tab'],
  ['\0x', 'a NUL character'],
  ['\x1b[31m', 'the control character U+001B'],
  ['\x7fx', 'a DEL character (U+007F)'],
];

describe('godeploy.yaml: every value stays inside its directive', () => {
  it('the harmless value of every field validates', () => {
    for (const [key, ok] of Object.entries(FIELDS)) {
      const { text } = configWith(key, ok);
      assert.deepEqual(
        errorsOf(text).map((d) => d.message),
        [],
        `${key}: ${ok}\n${text}`,
      );
    }
  });

  it('a control character in any of them is an error on its line that names the key and the character', () => {
    for (const [key, ok] of Object.entries(FIELDS)) {
      for (const [tail, name] of CONTROLS) {
        const { text, line } = configWith(key, ok + tail);
        const errors = errorsOf(text);
        const shown = errors.map((d) => `${d.line}:${d.col} ${d.message}`).join('\n');
        assert.equal(errors.length, 1, `${key} + ${JSON.stringify(tail)}:\n${shown}\n---\n${text}`);
        assert.equal(errors[0].line, line, shown);
        assert.equal(errors[0].path, key);
        assert.ok(errors[0].message.startsWith(`${key} holds ${name} at character ${ok.length + 1}`), shown);
        assert.match(errors[0].hint ?? '', /one line/);
      }
    }
  });

  it('env values and hook commands may hold line breaks and tabs (each target escapes or refuses them itself)', () => {
    const text = `app:\n  env:\n    PEM: ${yamlQuoted('-----BEGIN-----\nabc\n-----END-----')}\nenvironments:\n  prod:\n    type: local\n    hooks:\n      preDeploy: [${yamlQuoted('set -e\n\t./migrate up')}]\n`;
    assert.deepEqual(errorsOf(text), []);
  });

  it('health check paths are URL paths: a leading /, no spaces, quotes or "#"; %XX escapes and query strings are fine', () => {
    for (const good of ['/healthz', '/h%20z', '/ready?full=1&x=y', "/~user/$x/(a)*,;=:@!'"]) {
      assert.deepEqual(errorsOf(configWith('app.healthCheck.path', good).text), [], good);
    }
    const cases: [string, RegExp][] = [
      ['/a b', /^environments\.prod\.healthCheck\.path: not a URL path: a space at character 3$/],
      ['/a"b', /a double quote at character 3/],
      ['/a#b', /a "#" at character 3/],
      ['/a`b', /a backtick at character 3/],
      ['/50%', /a "%" at character 4 that does not start a %XX escape/],
      ['/é', /a "é" at character 2/],
      ['healthz', /does not start with "\/"/],
    ];
    for (const [bad, message] of cases) {
      const { text, line } = configWith('environments.prod.healthCheck.path', bad);
      const errors = errorsOf(text);
      assert.equal(errors.length, 1, `${bad}: ${errors.map((d) => d.message).join('\n')}`);
      assert.equal(errors[0].line, line);
      assert.match(errors[0].message, message);
      assert.match(errors[0].hint ?? '', /percent-encode/);
    }
  });

  it('nginx certificate paths may hold ";", braces, quotes and spaces (the site quotes them) but not "$" (a variable)', () => {
    for (const key of ['nginx.tls.certificate', 'environments.prod.nginx.tls.certificateKey']) {
      assert.deepEqual(errorsOf(configWith(key, '/x/cert.pem; add_header X-Injected pwned always; autoindex on').text), []);
      assert.deepEqual(errorsOf(configWith(key, `/x/{a} "b" 'c' \\d.pem`).text), []);
      const { text, line } = configWith(key, '/x/$host.pem');
      const errors = errorsOf(text);
      assert.deepEqual(
        errors.map((d) => [d.line, d.message]),
        [[line, `${key}: nginx reads "$" in this path as a variable: a "$" at character 4`]],
      );
      assert.match(errors[0].hint ?? '', /no escape for "\$"/);
    }
  });

  it('supervisor.logDir with " ;" or " #" is refused where it is written; env values are not (a deploy carries them in the env file)', () => {
    for (const bad of ['/var/log/a ;b', '/var/log/a #b']) {
      const { text, line } = configWith('supervisor.logDir', bad);
      assert.deepEqual(
        errorsOf(text).map((d) => [d.line, d.message]),
        [[line, 'supervisor.logDir: supervisor cannot read this path: it holds a space followed by ";" or "#"']],
      );
    }
    // A deployed program reads its environment from the release's env file, which holds any
    // value; only `godeploy generate supervisor` (environment= in the program file) refuses them.
    const text = `app:\n  env:\n    OK: "a;b"\n    NOTE: "a ;b"\nenvironments:\n  prod:\n    type: ssh\n    processManager: supervisor\n    hosts: [{ host: a }]\n    env:\n      PEM: "x\\ny"\n      QUOTES: "it's \\"q\\""\n`;
    assert.deepEqual(errorsOf(text), []);
  });

  it('image references hold no spaces, quotes or shell characters', () => {
    assert.deepEqual(errorsOf(configWith('docker.runtimeImage', 'registry.example.com:5000/team/run@sha256:0123abcd').text), []);
    const { text, line } = configWith('kubernetes.image', 'hello";rm');
    assert.deepEqual(
      errorsOf(text).map((d) => [d.line, d.message]),
      [[line, 'kubernetes.image: not an image reference: a double quote at character 6']],
    );
  });
});

describe('godeploy.yaml: the deploy base folder is never a system folder', () => {
  const REFUSED = [
    '/',
    '/etc',
    '/etc/',
    '/usr',
    '/usr/../etc',
    '//etc//',
    '/bin',
    '/sbin',
    '/lib',
    '/lib32',
    '/lib64',
    '/libx32',
    '/proc',
    '/proc/self',
    '/sys',
    '/sys/kernel',
    '/dev',
    '/dev/shm',
    '/boot',
    '/var',
    '/var/',
    '/root',
    '/home',
    '/home/alice',
    '/home/alice/',
    '/tmp',
    '/tmp/.',
    '/run',
    '/opt/..',
    '~',
    '~/',
    '~/.',
    '~/..',
  ];
  const ACCEPTED = ['/opt/app', '/var/lib/app', '/srv/app', '~/apps/x', '/home/alice/apps/x', '/tmp/build-1', '/root/app', '/etc-app', '/usr/local/app'];

  it('systemFolderProblem refuses the system folders and what normalizes to them, and accepts folders of their own', () => {
    for (const p of REFUSED) assert.ok(systemFolderProblem(p), `${p} should be refused`);
    for (const p of ACCEPTED) assert.equal(systemFolderProblem(p), undefined, p);
    assert.equal(systemFolderProblem('/usr/../etc'), 'the system folder /etc');
    assert.equal(systemFolderProblem('/proc/self'), "inside the kernel's folder /proc");
    assert.equal(systemFolderProblem('/home/alice'), 'the home folder /home/alice itself');
  });

  it("validate reports it on the path's line, for ssh and local environments", () => {
    for (const p of ['/etc', '/usr/../etc', '/proc/self', '~/', '/home/deploy']) {
      for (const type of ['ssh', 'local']) {
        const text = `app: {}\nenvironments:\n  prod:\n    type: ${type}\n${type === 'ssh' ? '    hosts: [{ host: a }]\n' : ''}    path: ${JSON.stringify(p)}\n`;
        const errors = errorsOf(text);
        assert.equal(errors.length, 1, `${type} ${p}: ${errors.map((d) => d.message).join('\n')}`);
        assert.equal(errors[0].line, type === 'ssh' ? 6 : 5);
        assert.match(
          errors[0].message,
          new RegExp(`^environments\\.prod\\.path ${JSON.stringify(p).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is .*, not a folder to deploy into$`),
        );
        assert.match(errors[0].hint ?? '', /\/opt\/<app\.name>/);
      }
    }
    for (const p of ACCEPTED.filter((a) => !a.startsWith('/home/alice')))
      assert.deepEqual(errorsOf(`app: {}\nenvironments:\n  prod:\n    type: local\n    path: ${p}\n`), [], p);
  });

  it('the deploy engine refuses it too when validation was bypassed (exit 2)', () => {
    for (const p of REFUSED) {
      assert.throws(
        () => assertDeployBase(p, 'environments.prod.path'),
        (e: unknown) => isGoDeployError(e) && e.exitCode === 2 && /does not deploy into it/.test(e.message) && /\/opt/.test(e.hint ?? ''),
        p,
      );
    }
    for (const p of ACCEPTED) assertDeployBase(p, 'environments.prod.path');
  });
});

describe('godeploy.yaml: bytes that are not UTF-8', () => {
  const bytes = (...parts: (string | number[])[]): Uint8Array =>
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

  it('are reported at their line and column instead of becoming U+FFFD', () => {
    const errors = errorsOf(bytes('app:\n  name: hello\nenvironments:\n  prod:\n    type: local\n    path: /opt/h\u00e9', [0xff], 'llo\n'));
    assert.deepEqual(
      errors.map((d) => `${d.line}:${d.col} ${d.message}`),
      ['6:18 the file is not UTF-8: byte 0xFF is not valid UTF-8 here'],
    );
    assert.match(errors[0].hint ?? '', /save godeploy\.yaml as UTF-8/);
    // A Latin-1 "é" (0xE9 then ASCII) on the first line, after a BOM.
    assert.deepEqual(
      errorsOf(bytes([0xef, 0xbb, 0xbf], 'app: {name: h', [0xe9], 'llo}\n')).map((d) => `${d.line}:${d.col}`),
      ['1:14'],
    );
  });

  it('valid UTF-8 (a BOM, multi-byte characters) and text from the editor validate as before', () => {
    assert.deepEqual(errorsOf(bytes([0xef, 0xbb, 0xbf], 'app:\n  env: { GREETING: "h\u00e9llo \u{1f600}" }\n')), []);
    assert.deepEqual(errorsOf('app:\n  env: { GREETING: "h\u00e9llo" }\n'), []);
  });
});
