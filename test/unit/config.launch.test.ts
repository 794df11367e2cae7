import { strict as assert } from 'node:assert';
import { validateConfigText, type ConfigDiagnostic } from '../../src/core/index';

const diagnosticsOf = (text: string): ConfigDiagnostic[] => validateConfigText('godeploy.yaml', text).diagnostics;
const errorsOf = (text: string): ConfigDiagnostic[] => diagnosticsOf(text).filter((d) => d.severity === 'error');
const at = (d: ConfigDiagnostic): string => `${d.line}:${d.col}`;

describe('godeploy.yaml: how the service is started (args, portEnv, portFlag, healthCheck.type)', () => {
  it('accepts args, ${env:…} in them, $$, a port flag with {port} and a portEnv', () => {
    const text = [
      'app:',
      '  args: [serve, --config, "/etc/app/${env:APP_CONFIG}.yml", "price $$5"]',
      '  port: 9000',
      '  portEnv: WHOAMI_PORT_NUMBER',
      '  portFlag: "--web.listen-address=:{port}"',
      'environments:',
      '  prod:',
      '    type: ssh',
      '    hosts: [{ host: a.example.com }]',
      '    strategy: blue-green',
      '    args: [serve, --verbose]',
      '',
    ].join('\n');
    assert.deepEqual(diagnosticsOf(text), []);
  });

  it("${secret:…} in app.args or an environment's args is an error at that item, with the app.env hint, reported once", () => {
    const text = [
      'app:',
      '  args:',
      '    - serve',
      '    - --token=${secret:API_TOKEN}',
      'environments:',
      '  dev:',
      '    type: local',
      '    args: [serve, "${secret:DB_PASSWORD}"]',
      '',
    ].join('\n');
    const errors = errorsOf(text);
    assert.deepEqual(errors.map(at), ['4:7', '8:19']);
    assert.match(errors[0].message, /^app\.args\[1\]: \$\{secret:API_TOKEN\} cannot be an argument: argv is visible to every user of the host/);
    assert.match(errors[0].hint ?? '', /app\.env.*read it in the program/);
    assert.match(errors[1].message, /^environments\.dev\.args\[1\]: \$\{secret:DB_PASSWORD\}/);
  });

  it('a malformed reference in an argument is still reported', () => {
    const [e] = errorsOf('app:\n  args: ["${env:}"]\n');
    assert.match(e.message, /invalid name/);
    assert.equal(at(e), '2:10');
  });

  it('arguments are strings: a number or a map item is a typed error', () => {
    const errors = errorsOf('app:\n  args: [serve, 8080, {a: b}]\n');
    assert.equal(errors.length, 2, errors.map((d) => d.message).join('\n'));
    assert.ok(
      errors.every((d) => d.path.startsWith('app.args[')),
      errors.map((d) => d.path).join(', '),
    );
  });

  it('a line break in an argument is refused at its line', () => {
    const [e] = errorsOf('app:\n  args: ["a\\nb"]\n');
    assert.match(e.message, /^app\.args\[0\] holds a line break/);
  });

  it("the variable named by portEnv in app.env or an environment's env is an error, like PORT by default", () => {
    const text = [
      'app:',
      '  portEnv: LISTEN_PORT',
      '  env:',
      '    LISTEN_PORT: 1',
      '    PORT: 2',
      'environments:',
      '  dev:',
      '    type: local',
      '    env:',
      '      LISTEN_PORT: 3',
      '',
    ].join('\n');
    const errors = errorsOf(text);
    assert.deepEqual(errors.map(at), ['4:5', '10:7']);
    assert.match(errors[0].message, /app\.env\.LISTEN_PORT: the service gets LISTEN_PORT from app\.port \(app\.portEnv\)/);
    assert.match(errors[0].hint ?? '', /set app\.port instead, and remove LISTEN_PORT here/);
  });

  it("with only a port flag, PORT in app.env is the user's own variable", () => {
    assert.deepEqual(errorsOf('app:\n  portFlag: -port\n  env:\n    PORT: "80"\n'), []);
    assert.equal(errorsOf('app:\n  env:\n    PORT: "80"\n').length, 1);
  });

  it('portFlag and portEnv are checked for shape', () => {
    assert.equal(errorsOf('app:\n  portFlag: "port"\n').length, 1);
    assert.equal(errorsOf('app:\n  portFlag: "--listen=:8080"\n').length, 1, 'a value without {port}');
    assert.equal(errorsOf('app:\n  portEnv: "1PORT"\n').length, 1);
  });

  it("healthCheck keys its type never reads are warnings; an environment inherits app's type", () => {
    const text = [
      'app:',
      '  healthCheck:',
      '    type: tcp',
      '    path: /healthz',
      '    for: 5s',
      'environments:',
      '  dev:',
      '    type: local',
      '    healthCheck:',
      '      path: /ready',
      '  worker:',
      '    type: local',
      '    healthCheck:',
      '      type: process',
      '      for: 10s',
      '',
    ].join('\n');
    const d = diagnosticsOf(text);
    assert.deepEqual(
      d.map((x) => `${x.severity} ${x.path}`),
      ['warning app.healthCheck.path', 'warning app.healthCheck.for', 'warning environments.dev.healthCheck.path'],
    );
    assert.match(d[0].message, /ignored: the health check type is tcp/);
    assert.equal(errorsOf('app:\n  healthCheck:\n    type: grpc\n').length, 1);
  });
});
