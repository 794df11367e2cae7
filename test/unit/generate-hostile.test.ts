// Hostile values through every string field that reaches a Dockerfile or Kubernetes
// manifests: validate refuses the value at its line, or the output, read by a real parser
// (dockerfile-ast, the yaml package as kubectl's YAML 1.1), holds it as one value.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { parseAllDocuments } from 'yaml';
import { renderDockerfile } from '../../src/core/generate/dockerfile';
import { renderKubernetesManifests } from '../../src/core/generate/kubernetes';
import { renderNginxSite } from '../../src/core/generate/nginx';
import { renderSupervisorProgram } from '../../src/core/generate/supervisor';
import { renderSystemdUnit } from '../../src/core/generate/systemd';
import { isGoDeployError } from '../../src/core/errors';
import { assertRefusedAt, hostileValues, verdict, withValue } from '../support/hostile';
import { modelFor } from '../support/models';

type Outcome = 'refused' | 'escaped';
/** Per field: its harmless value and which hostile kinds validate refuses (the others must come out escaped). */
interface Field {
  base: string;
  refused: string[];
  environment?: string;
}

const ALL = Object.keys(hostileValues(''));
const CONTROL = ['newline', 'crlf'];

describe('hostile values: Dockerfile (parsed with dockerfile-ast)', () => {
  const config = {
    app: { name: 'hello', healthCheck: { path: '/healthz' } },
    docker: { runtime: 'alpine' },
    build: { ldflags: '-s -w' },
    environments: { prod: { type: 'docker' } },
  };
  const FIELDS: Record<string, Field> = {
    // URL path characters ($ ' ( ) ; = &) pass and are escaped; the rest is not a URL path.
    'app.healthCheck.path': { base: '/healthz', refused: ALL.filter((k) => k !== 'dollar' && k !== 'shell') },
    'environments.prod.healthCheck.path': { base: '/healthz', refused: ALL.filter((k) => k !== 'dollar' && k !== 'shell'), environment: 'prod' },
    'build.ldflags': { base: '-s -w -X main.version=1', refused: CONTROL },
    'docker.builderImage': { base: 'golang', refused: ALL },
    'docker.runtimeImage': { base: 'alpine:3.21', refused: ALL },
  };
  const parse = (text: string) => DockerfileParser.parse(text).getInstructions();
  let baseline: string[];
  before(async () => {
    baseline = parse(renderDockerfile(await modelFor('single', stringifyConfig(config)))).map((i) => i.getKeyword());
  });

  for (const [key, field] of Object.entries(FIELDS)) {
    it(`${key}: every hostile value is refused at its line or stays one argument`, async () => {
      const outcomes: Record<string, Outcome> = {};
      for (const [kind, tail] of Object.entries(hostileValues('RUN touch /tmp/pwned #'))) {
        const value = field.base + tail;
        const v = await verdict('single', withValue(config, key, value), field.environment);
        if (!v.model) {
          assertRefusedAt(v, key);
          outcomes[kind] = 'refused';
          continue;
        }
        outcomes[kind] = 'escaped';
        const text = renderDockerfile(v.model);
        const instructions = parse(text);
        assert.deepEqual(
          instructions.map((i) => i.getKeyword()),
          baseline,
          `${kind}: the instructions changed:\n${text}`,
        );
        if (key.endsWith('healthCheck.path')) {
          const check = instructions.find((i) => i.getKeyword() === 'HEALTHCHECK')!;
          const words = JSON.parse(check.getArgumentsContent()!.replace(/^CMD /, '')) as string[];
          assert.deepEqual(words.slice(-2), ['healthcheck', value], text);
          // What the check runs: the path arrives as $1 of the script, never parsed by the shell.
          const url = spawnSync('sh', ['-c', words[2].replace('wget -q -O /dev/null', 'printf %s'), ...words.slice(3)], {
            env: { PORT: '8081' },
            encoding: 'utf8',
          }).stdout;
          assert.equal(url, `http://127.0.0.1:8081${value}`);
        } else if (key === 'build.ldflags') {
          assert.equal(goBuildArgument(instructions, '-ldflags='), `-ldflags=${value}`, text);
        }
      }
      assert.deepEqual(
        Object.keys(outcomes).filter((k) => outcomes[k] === 'refused'),
        field.refused,
      );
    });
  }

  it('{{.Version}} in hostile ldflags still becomes the VERSION build argument', async () => {
    const v = await verdict('single', withValue(config, 'build.ldflags', '-X "main.v={{.Version}}" -X main.s=$x`y`\\'));
    assert.ok(v.model);
    assert.equal(goBuildArgument(parse(renderDockerfile(v.model)), '-ldflags='), '-ldflags=-X "main.v=v9.9" -X main.s=$x`y`\\');
  });
});

/** The word of the go build command starting with `prefix`, as sh splits it (go replaced by printf, VERSION=v9.9). */
function goBuildArgument(instructions: Instruction[], prefix: string): string | undefined {
  const run = instructions.find((i) => i.getKeyword() === 'RUN' && /go build/.test(i.getArgumentsContent() ?? ''))!;
  const script = `go() { printf '%s\\n' "$@"; }; ${run.getArgumentsContent()}`;
  const r = spawnSync('sh', ['-c', script], { env: { VERSION: 'v9.9', PATH: process.env.PATH }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').find((w) => w.startsWith(prefix));
}

function stringifyConfig(config: object): string {
  return JSON.stringify(config);
}

describe('hostile values: Kubernetes manifests (parsed as YAML 1.1 and 1.2)', () => {
  const config = {
    app: { name: 'hello', healthCheck: { path: '/healthz' }, env: { NOTE: 'x' } },
    kubernetes: { image: 'hello:1', ingress: { host: 'a.example', className: 'nginx' } },
  };
  const FIELDS: Record<string, Field & { read(objs: any[]): unknown }> = {
    'app.healthCheck.path': {
      base: '/healthz',
      refused: ALL.filter((k) => k !== 'dollar' && k !== 'shell'),
      read: (o) => deployment(o).containers[0].readinessProbe.httpGet.path,
    },
    'kubernetes.ingress.className': { base: 'nginx', refused: CONTROL, read: (o) => o.find((x) => x.kind === 'Ingress').spec.ingressClassName },
    'app.env.NOTE': { base: 'x', refused: [], read: (o) => deployment(o).containers[0].env.find((e: { name: string }) => e.name === 'NOTE').value },
    'kubernetes.image': { base: 'hello:1', refused: ALL, read: (o) => deployment(o).containers[0].image },
  };
  const deployment = (objs: any[]) => objs.find((x) => x.kind === 'Deployment').spec.template.spec;

  for (const [key, field] of Object.entries(FIELDS)) {
    it(`${key}: refused at its line, or one scalar holding the value exactly`, async () => {
      const refused: string[] = [];
      for (const [kind, tail] of Object.entries(hostileValues('  injected: true'))) {
        const value = field.base + tail;
        const v = await verdict('single', withValue(config, key, value));
        if (!v.model) {
          assertRefusedAt(v, key);
          refused.push(kind);
          continue;
        }
        const text = renderKubernetesManifests(v.model);
        for (const version of ['1.1', '1.2'] as const) {
          const docs = parseAllDocuments(text, { version });
          assert.deepEqual(
            docs.flatMap((d) => d.errors),
            [],
          );
          const objs = docs.map((d) => d.toJS());
          assert.deepEqual(
            objs.map((o) => o.kind),
            ['Deployment', 'Service', 'Ingress'],
          );
          assert.equal(field.read(objs), value, `${kind} (YAML ${version}):\n${text}`);
        }
      }
      assert.deepEqual(refused, field.refused);
    });
  }
});

describe('hostile values: generators refuse a line break in a model built without validation', () => {
  const renderers: Record<string, (m: any) => string> = {
    Dockerfile: (m) => renderDockerfile({ ...m, docker: { ...m.docker, runtime: 'alpine' } }),
    'nginx site': renderNginxSite,
    'systemd unit': renderSystemdUnit,
    'supervisor program': renderSupervisorProgram,
    'Kubernetes manifests': renderKubernetesManifests,
  };
  const edits: Record<string, (m: any, bad: string) => any> = {
    'app.healthPath': (m, bad) => ({ ...m, app: { ...m.app, healthPath: `/healthz${bad}` } }),
    'build.ldflags': (m, bad) => ({ ...m, build: { ...m.build, ldflags: `-s${bad}` } }),
    'paths.base': (m, bad) => ({
      ...m,
      paths: { ...m.paths, base: `/opt/x${bad}`, binary: `/opt/x${bad}/current/hello`, envFile: `/opt/x${bad}/shared/hello.env` },
    }),
    'nginx.tls.certificate': (m, bad) => ({
      ...m,
      nginx: { ...m.nginx, tls: { certificate: `/c.pem${bad}`, certificateKey: '/k.pem', certbot: false, listen: 443, hsts: true } },
    }),
    'supervisor.logDir': (m, bad) => ({ ...m, supervisor: { ...m.supervisor, logDir: `/var/log/x${bad}` } }),
  };

  it('every generator throws a GoDeployError naming the value, for a line break in any field, and writes nothing', async () => {
    const model = await modelFor('single', 'app: {name: hello}\n');
    for (const [file, render] of Object.entries(renderers)) {
      assert.doesNotThrow(() => render(model), file);
      for (const [field, edit] of Object.entries(edits)) {
        for (const bad of ['\nRUN touch /tmp/pwned', '\r', '\0']) {
          assert.throws(
            () => render(edit(model, bad)),
            (e: unknown) =>
              isGoDeployError(e) && e.exitCode === 2 && e.message.startsWith(`cannot write the ${file}: ${field} `) && /godeploy validate/.test(e.hint ?? ''),
            `${file} ${field} ${JSON.stringify(bad)}`,
          );
        }
      }
    }
  });

  it("env values are each target's own business: escaped in systemd and Kubernetes, refused by supervisor", async () => {
    const model = await modelFor('single', 'app: {name: hello, env: {PEM: "a\\nb"}}\n');
    assert.match(renderSystemdUnit(model), /^Environment="PEM=a\\nb"$/m);
    assert.match(renderKubernetesManifests(model), /value: "a\\nb"/);
    assert.throws(() => renderSupervisorProgram(model), /the value of PEM holds a line break/);
    assert.throws(() => renderSystemdUnit({ ...model, env: { 'A\nB': 'x' } }), /env "A\\nB" holds a line break/);
  });
});
