// Hostile values through every string field that reaches an nginx site, a systemd unit or a
// supervisor program, read by the real consumer: `nginx -t`, `systemd-analyze verify`, and
// supervisord's own config parser. Per field and value: validate refuses it at its line, or
// the consumer reads it back as one value, exactly.
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GoDeployError } from '../../src/core/errors';
import { renderNginxSite } from '../../src/core/generate/nginx';
import { renderSupervisorProgram } from '../../src/core/generate/supervisor';
import { renderSystemdUnit } from '../../src/core/generate/systemd';
import { assertRefusedAt, hostileValues, verdict, withValue, type Verdict } from '../support/hostile';
import { nginxTest } from './fixtures/nginx';
import { verifyUnit } from './fixtures/systemdAnalyze';
import { requireTool, run, runOk, tempDir } from './fixtures/util';
import type { GenerateModel } from '../../src/core/generate/model';

const work = tempDir('generate-hostile');
after(() => work.remove());

/** Runs `check` on each hostile value of `key` that validate accepts; returns the kinds validate refused (each located). */
async function outcomes(
  config: object,
  key: string,
  base: string,
  injection: string,
  check: (model: GenerateModel, value: string, kind: string) => Promise<void>,
  environment?: string,
): Promise<string[]> {
  const refused: string[] = [];
  for (const [kind, tail] of Object.entries(hostileValues(injection))) {
    const value = base + tail;
    const v: Verdict = await verdict('single', withValue(config, key, value), environment);
    if (!v.model) {
      assertRefusedAt(v, key);
      refused.push(kind);
    } else {
      await check(v.model, value, kind);
    }
  }
  return refused;
}

describe('hostile values: nginx site (nginx -t)', () => {
  let crt: string;
  let key: string;
  before(async () => {
    crt = join(work.path, 'site.crt');
    key = join(work.path, 'site.key');
    await runOk('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-keyout',
      key,
      '-out',
      crt,
    ]);
  });
  /** The file at `path` (folders created) holds a copy of `from`: nginx -t only passes if it reads exactly that path. */
  const place = (from: string, path: string): void => {
    mkdirSync(dirname(path), { recursive: true });
    copyFileSync(from, path);
  };

  for (const field of ['nginx.tls.certificate', 'nginx.tls.certificateKey', 'environments.prod.nginx.tls.certificate']) {
    it(`${field}: refused at its line ("$", control characters), or one quoted path nginx loads`, async () => {
      const isKey = field.endsWith('Key');
      const config = {
        app: { name: 'hello' },
        nginx: { serverName: 'localhost', tls: { certificate: crt, certificateKey: key } },
        environments: { prod: { type: 'ssh', hosts: [{ host: 'a.example' }], nginx: { tls: { certificate: crt, certificateKey: key } } } },
      };
      const refused = await outcomes(
        config,
        field,
        join(work.path, `${field}-file`),
        'bogus_directive on;',
        async (model, value, kind) => {
          place(isKey ? key : crt, value);
          const site = renderNginxSite(model);
          const r = await nginxTest(site);
          assert.ok(r.ok, `${kind}: nginx -t rejected the site:\n${r.output}\n---\n${site}`);
          assert.doesNotMatch(r.output, /\[warn\]/);
          assert.doesNotMatch(site, /^\s*(add_header X-Injected|autoindex|location \/leak)/m, kind);
        },
        field.startsWith('environments') ? 'prod' : undefined,
      );
      assert.deepEqual(refused, ['newline', 'crlf', 'dollar', 'shell']);
    });
  }

  it('without the validation, a plain ";" path would have been two directives: nginx -t reads the quoted one as one file name', async () => {
    const config = { app: { name: 'hello' }, nginx: { serverName: 'localhost', tls: { certificate: `${crt}; autoindex on`, certificateKey: key } } };
    const v = await verdict('single', config);
    assert.ok(v.model);
    const r = await nginxTest(renderNginxSite(v.model));
    assert.equal(r.ok, false);
    assert.ok(r.output.includes(`cannot load certificate "${crt}; autoindex on"`), r.output);
  });
});

/** The same for a hostile argument between two plain ones (app.args: [serve, VALUE, ""]; `$` written `$$` in the config). */
async function argOutcomes(
  config: { app: object },
  injection: string,
  check: (model: GenerateModel, value: string, kind: string) => Promise<void>,
  environment?: string,
): Promise<string[]> {
  const refused: string[] = [];
  for (const [kind, tail] of Object.entries(hostileValues(injection))) {
    const value = `x${tail}`;
    const v: Verdict = await verdict('single', { ...config, app: { ...config.app, args: ['serve', value.replace(/\$/g, '$$$$'), ''] } }, environment);
    if (!v.model) {
      const shown = v.refused.map((d) => `${d.line}:${d.col} ${d.path} ${d.message}`).join('\n');
      assert.deepEqual(
        v.refused.map((d) => d.path),
        ['app.args[1]'],
        shown,
      );
      refused.push(kind);
    } else {
      await check(v.model, value, kind);
    }
  }
  return refused;
}

describe('hostile values: systemd unit (systemd-analyze verify)', () => {
  const config = {
    app: { name: 'hello', env: { NOTE: 'x' } },
    environments: { prod: { type: 'ssh', processManager: 'systemd', hosts: [{ host: 'a.example' }] } },
  };
  /** verify's only remark is the missing executable, at the exact path: no directive was added or broken. */
  const verifyOnly = async (model: GenerateModel, binary: string, kind: string): Promise<void> => {
    const unit = renderSystemdUnit(model);
    const r = await verifyUnit('app.service', unit);
    assert.deepEqual(r.lines, [`app.service: Command ${binary} is not executable: No such file or directory`], `${kind}:\n${unit}`);
  };

  it('environments.prod.path: refused at its line (control characters, quotes, backslash: systemd takes none in an executable path), or ExecStart runs exactly that path', async () => {
    const refused = await outcomes(
      config,
      'environments.prod.path',
      '/srv/app',
      'Bogus=pwned',
      (model, value, kind) => verifyOnly(model, `${value}/current/hello`, kind),
      'prod',
    );
    assert.deepEqual(refused, ['newline', 'crlf', 'quotes', 'shell', 'backslash']);
  });

  it("app.args: refused at the item's line (line breaks), or quoted into ExecStart without adding or breaking a directive", async () => {
    const refused = await argOutcomes(config, 'Bogus=pwned', (model, _value, kind) => verifyOnly(model, '/opt/hello/current/hello', kind));
    assert.deepEqual(refused, ['newline', 'crlf']);
  });

  it('app.env values: never refused, each one escaped Environment= line', async () => {
    const refused = await outcomes(config, 'app.env.NOTE', 'x', 'Bogus=pwned', (model, _value, kind) => verifyOnly(model, '/opt/hello/current/hello', kind));
    assert.deepEqual(refused, []);
  });
});

describe("hostile values: supervisor program (supervisord's own config parser)", () => {
  const PYTHON = '/usr/bin/python3';
  /** supervisord reads the program as it would from conf.d: its ServerOptions, then the shlex split it execs. */
  const parse = async (
    model: GenerateModel,
  ): Promise<{ name: string; argv: string[]; directory: string; environment: Record<string, string>; stdout: string; stderr: string }[]> => {
    const program = renderSupervisorProgram(model);
    mkdirSync(model.supervisor.logDir, { recursive: true }); // supervisord checks that the log folder exists
    const dir = tempDir('supervisor-parse');
    try {
      writeFileSync(join(dir.path, 'hello.conf'), program);
      writeFileSync(
        join(dir.path, 'supervisord.conf'),
        `[supervisord]\nlogfile=${join(dir.path, 'd.log')}\n\n[include]\nfiles = ${join(dir.path, 'hello.conf')}\n`,
      );
      const script = [
        'import json, shlex, sys',
        'from supervisor.options import ServerOptions',
        'o = ServerOptions()',
        `o.configfile = ${JSON.stringify(join(dir.path, 'supervisord.conf'))}`,
        'o.process_config(do_usage=False)',
        'out = []',
        'for g in o.process_group_configs:',
        '    for p in g.process_configs:',
        '        out.append(dict(name=p.name, argv=shlex.split(p.command), directory=p.directory, environment=p.environment or {}, stdout=p.stdout_logfile, stderr=p.stderr_logfile))',
        'print(json.dumps(out))',
      ].join('\n');
      const r = await run(PYTHON, ['-c', script], { env: { ...process.env, HOME: '/home/deploy' } });
      assert.equal(r.code, 0, `supervisor's parser refused the program:\n${r.stderr}\n---\n${program}`);
      return JSON.parse(r.stdout);
    } finally {
      dir.remove();
    }
  };
  before(async () => {
    await requireTool(PYTHON, 'python3 with supervisor');
  });
  // supervisord checks that the user exists: root does everywhere.
  const config = {
    app: { name: 'hello', env: { NOTE: 'x' } },
    supervisor: { user: 'root' },
    environments: { prod: { type: 'ssh', processManager: 'supervisor', path: join(work.path, 'app'), hosts: [{ host: 'a.example' }] } },
  };

  it("environments.prod.path: refused at its line, or the command's words and the directory are exactly that path", async () => {
    const refused = await outcomes(
      config,
      'environments.prod.path',
      join(work.path, 'srv-app'),
      'command=/bin/touch /tmp/pwned',
      async (model, value) => {
        const [p] = await parse(model);
        assert.deepEqual(p.argv, ['/bin/sh', '-c', 'set -a && . "$1" && shift && exec "$@"', 'hello', `${value}/shared/hello.env`, `${value}/current/hello`]);
        assert.equal(p.directory, `${value}/current`);
        assert.equal(p.stdout, `${value}/shared/logs/hello.out.log`);
      },
      'prod',
    );
    assert.deepEqual(refused, ['newline', 'crlf']);
  });

  it("app.args: refused at the item's line (line breaks), or exactly one word of the argv supervisord execs", async () => {
    const refused = await argOutcomes(
      config,
      'command=/bin/touch /tmp/pwned',
      async (model, value, kind) => {
        const [p] = await parse(model);
        assert.deepEqual(p.argv.slice(6), ['serve', value, ''], kind);
      },
      'prod',
    );
    assert.deepEqual(refused, ['newline', 'crlf']);
  });

  it('supervisor.logDir: refused at its line, or the log files are exactly under it', async () => {
    const refused = await outcomes(
      config,
      'supervisor.logDir',
      join(work.path, 'log-app'),
      'command=/bin/touch /tmp/pwned',
      async (model, value) => {
        const [p] = await parse(model);
        assert.equal(p.stdout, `${value}/hello.out.log`);
        assert.equal(p.stderr, `${value}/hello.err.log`);
      },
      'prod',
    );
    assert.deepEqual(refused, ['newline', 'crlf']);
  });

  it('env values of a supervisor environment: one environment entry exactly, or refused by the generator naming the key', async () => {
    // validate accepts them all: a deploy carries any value in the release's env file. Only
    // the program file's environment= (godeploy generate supervisor) cannot hold some.
    const byGenerator: string[] = [];
    const refused = await outcomes(
      config,
      'app.env.NOTE',
      'x',
      'command=/bin/touch /tmp/pwned',
      async (model, value, kind) => {
        let program;
        try {
          [program] = await parse(model);
        } catch (e) {
          assert.ok(e instanceof GoDeployError, String(e));
          assert.match(e.message, /^the value of NOTE holds .+, which supervisor's environment= cannot carry$/);
          byGenerator.push(kind);
          return;
        }
        assert.deepEqual(program.environment, { PORT: '8081', NOTE: value });
      },
      'prod',
    );
    assert.deepEqual(refused, []);
    assert.deepEqual(byGenerator, ['newline', 'crlf', 'quotes']);
  });
});
