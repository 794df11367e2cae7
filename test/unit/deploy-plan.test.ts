// A deploy as data: release ids, the per-host plan (step order, argv-only commands whose
// values are positional arguments of fixed scripts) and the --dry-run description, which
// never shows a secret value.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { deltaAssembleCommand, describeHostPlan, fillCommand, planHost, type HostPlan, type HostPlanInput } from '../../src/core/targets/hosts/deployPlan';
import * as scripts from '../../src/core/targets/hosts/releaseScripts';
import { RELEASE_ID, releaseId } from '../../src/core/release/releaseId';
import { processManager, supervisorManager, systemdManager, type ServiceManager } from '../../src/core/targets/hosts/serviceManager';
import type { GenerateModel } from '../../src/core/generate/model';
import { modelFor } from '../support/models';

const SECRET = 'Sup3r-S3cret-Canary-7f3a';
const SECRET_FROM_ENV = 'ci-token-canary-91bd';
const HOOK_PRE = `printf '%s\\n' "$GREETING" > "pre deploy.txt" && echo 'it''s done'`;
const HOOK_POST = 'curl -fsS "http://127.0.0.1:$PORT/warm-up?x=1&y=2" >/dev/null';
const BASE = `/srv/my app's "base" $HOME`;
const ID = '20261121T101500.000Z-v1.2.3';
const SHA = 'a'.repeat(64);

describe('deploy plan (release ids, plan as data, dry-run description)', () => {
  let model: GenerateModel;

  before(async () => {
    model = await modelFor(
      'deployapp',
      [
        'app:',
        '  name: deployapp',
        '  port: 8181',
        '  env:',
        '    GREETING: hello',
        '    API_TOKEN: ${secret:API_TOKEN}',
        'environments:',
        '  prod:',
        '    type: local',
        '    path: /srv/deployapp',
        '    env:',
        '      CI_TOKEN: ${env:CI_TOKEN}',
        '      LEVEL: debug',
        '',
      ].join('\n'),
      { environment: 'prod' },
    );
    // As if a resolved secret had reached the model (it must not reach the plan even then).
    model.env.LEAKED = SECRET;
    model.env.LEAKED_TOO = SECRET_FROM_ENV;
  });

  const input = (manager: ServiceManager, over: Partial<HostPlanInput> = {}): HostPlanInput => ({
    model,
    base: BASE,
    releaseId: ID,
    manager,
    keepReleases: 4,
    hooks: { preDeploy: [], postDeploy: [] },
    artifact: { sha256: SHA, size: 4_616_192 },
    ...over,
  });
  const systemd = (): ServiceManager => systemdManager(model, `[Unit]\nDescription=deployapp\n# ${'x'.repeat(10)}\n`);
  const ids = (p: HostPlan): string[] => p.steps.map((s) => s.id);

  describe('release ids', () => {
    it('UTC timestamp to the millisecond, then the version', () => {
      assert.equal(releaseId(new Date(Date.UTC(2026, 10, 21, 10, 15, 0, 123)), 'v1.2.3'), '20261121T101500.123Z-v1.2.3');
      assert.equal(releaseId(new Date(Date.UTC(2026, 0, 2, 3, 4, 5)), 'dev'), '20260102T030405.000Z-dev');
      assert.equal(releaseId(new Date('2026-11-21T23:59:59.999+01:00'), 'v1'), '20261121T225959.999Z-v1');
    });

    it('sanitises odd versions into one safe path segment, and every id matches RELEASE_ID', () => {
      const t = new Date(Date.UTC(2026, 10, 21, 10, 15, 0));
      const cases: [string, string][] = [
        ['v1.2.3-4-gabcdef0-dirty', 'v1.2.3-4-gabcdef0-dirty'],
        ['v2.0.0+build.5', 'v2.0.0+build.5'],
        ['feature/new thing', 'feature_new_thing'],
        ['../../etc/passwd', '.._.._etc_passwd'],
        ['$(rm -rf /)', '__rm_-rf___'],
        ['ünïcödé', '_n_c_d_'],
        ['tab\there\nnewline', 'tab_here_newline'],
        ['', 'dev'],
        ['v'.repeat(100), 'v'.repeat(64)],
      ];
      for (const [version, want] of cases) {
        const id = releaseId(t, version);
        assert.equal(id, `20261121T101500.000Z-${want}`, JSON.stringify(version));
        assert.match(id, RELEASE_ID, id);
        assert.ok(!id.includes('/'), id);
      }
      for (const bad of [
        '',
        'v1',
        '20261121T101500Z',
        '20261121T101500Z-',
        '20261121T101500Z-a/b',
        '20261121T101500Z-a b',
        '2026-11-21T10:15:00Z-v1',
        '20261121T101500-v1',
        `x20261121T101500Z-v1`,
        '20261121T101500Z-v1\n',
      ]) {
        assert.doesNotMatch(bad, RELEASE_ID, JSON.stringify(bad));
      }
    });

    it('sort by time whatever the version', () => {
      const times = [
        Date.UTC(2025, 11, 31, 23, 59, 59),
        Date.UTC(2026, 0, 1, 0, 0, 0),
        Date.UTC(2026, 0, 1, 0, 0, 1),
        Date.UTC(2026, 0, 1, 0, 1, 0),
        Date.UTC(2026, 0, 1, 1, 0, 0),
        Date.UTC(2026, 0, 10, 0, 0, 0),
        Date.UTC(2026, 9, 1, 0, 0, 0),
        Date.UTC(2026, 10, 21, 10, 15, 0),
        Date.UTC(2027, 0, 1, 0, 0, 0),
      ];
      const versions = ['zzz', 'v9.9.9', 'aaa', '0', 'v1.0.0', '~weird~', 'Z', '', 'v10'];
      const chronological = times.map((t, i) => releaseId(new Date(t), versions[i]));
      const shuffled = [...chronological].reverse();
      [shuffled[2], shuffled[5]] = [shuffled[5], shuffled[2]];
      assert.deepEqual(shuffled.sort(), chronological);
    });
  });

  describe('planHost', () => {
    it('step order: service only with a definition, hooks only when configured', () => {
      assert.deepEqual(ids(planHost(input(processManager(model)))), [
        'preflight',
        'lock',
        'prepare',
        'binary',
        'env-file',
        'switch',
        'restart',
        'health',
        'finish',
      ]);
      assert.deepEqual(ids(planHost(input(systemd()))), [
        'preflight',
        'lock',
        'prepare',
        'binary',
        'env-file',
        'service',
        'switch',
        'restart',
        'health',
        'finish',
      ]);
      assert.deepEqual(ids(planHost(input(supervisorManager(model, '[program:deployapp]\n'), { hooks: { preDeploy: [HOOK_PRE], postDeploy: [] } }))), [
        'preflight',
        'lock',
        'prepare',
        'binary',
        'env-file',
        'service',
        'pre-deploy',
        'switch',
        'restart',
        'health',
        'finish',
      ]);
      const full = planHost(input(systemd(), { hooks: { preDeploy: [HOOK_PRE, 'true'], postDeploy: [HOOK_POST] } }));
      assert.deepEqual(ids(full), [
        'preflight',
        'lock',
        'prepare',
        'binary',
        'env-file',
        'service',
        'pre-deploy',
        'switch',
        'restart',
        'health',
        'post-deploy',
        'finish',
      ]);
      assert.equal(full.steps.find((s) => s.id === 'pre-deploy')!.commands.length, 2, 'one command per hook');
      assert.equal(full.steps.find((s) => s.id === 'post-deploy')!.commands.length, 1);
      assert.equal(full.envFileName, 'deployapp.env');
      assert.equal(full.releaseEnvFile, `${BASE}/releases/${ID}/deployapp.env`);
      assert.equal(full.name, 'deployapp');
    });

    it('delta upload (ssh, deltaUpload): a second binary command assembles the pieces, the literal bytes are written 0600', () => {
      const p = planHost(input(systemd(), { delta: true }));
      const binary = p.steps.find((s) => s.id === 'binary')!;
      assert.equal(binary.commands.length, 2);
      const unit = '/etc/systemd/system/deployapp.service';
      assert.deepEqual(binary.commands[0], ['sh', '-c', scripts.placeThenComplete(scripts.VERIFY_UPLOAD), 'sh', BASE, ID, 'deployapp', SHA, unit]);
      assert.deepEqual(binary.commands[1], [
        'sh',
        '-c',
        scripts.placeThenComplete(scripts.ASSEMBLE_UPLOAD),
        'sh',
        BASE,
        ID,
        'deployapp',
        SHA,
        unit,
        '<live release>',
        '<b|l offset length per piece>',
      ]);
      assert.deepEqual(
        binary.files!.map((f) => [f.path, f.mode]),
        [
          [`${BASE}/releases/.${ID}.partial/.deployapp.literal`, 0o600],
          [`${BASE}/releases/.${ID}.partial/.deployapp.upload`, 0o755],
        ],
      );
      assert.deepEqual(deltaAssembleCommand(p, '20261120T090000.000Z-v1', ['b', '0', '4096', 'l', '0', '10']), [
        'sh',
        '-c',
        scripts.placeThenComplete(scripts.ASSEMBLE_UPLOAD),
        'sh',
        BASE,
        ID,
        'deployapp',
        SHA,
        unit,
        '20261120T090000.000Z-v1',
        'b',
        '0',
        '4096',
        'l',
        '0',
        '10',
      ]);
      assert.equal(planHost(input(systemd())).steps.find((s) => s.id === 'binary')!.commands.length, 1, 'no delta command without delta');
    });

    it('runs the fixed scripts with the values as positional arguments', () => {
      const p = planHost(input(processManager(model), { hooks: { preDeploy: [HOOK_PRE], postDeploy: [HOOK_POST] } }));
      const cmd = (id: string, i = 0) => p.steps.find((s) => s.id === id)!.commands[i];
      assert.deepEqual(cmd('prepare'), ['sh', '-c', scripts.OPEN_RELEASE, 'sh', BASE, ID, 'deployapp', SHA]);
      assert.deepEqual(cmd('binary', 0), ['sh', '-c', scripts.placeThenComplete(scripts.VERIFY_UPLOAD), 'sh', BASE, ID, 'deployapp', SHA, '']);
      assert.deepEqual(cmd('env-file'), ['sh', '-c', scripts.COMPLETE_RELEASE, 'sh', BASE, ID, '']);
      assert.deepEqual(cmd('pre-deploy'), ['sh', '-c', scripts.HOOK, 'sh', BASE, ID, `${BASE}/releases/${ID}/deployapp.env`, HOOK_PRE]);
      assert.deepEqual(cmd('switch', 0), ['sh', '-c', 'readlink "$1/current" 2>/dev/null || true', 'sh', BASE]);
      assert.deepEqual(cmd('switch', 1), ['sh', '-c', scripts.SWITCH, 'sh', BASE, ID, 'deployapp.env', '']);
      assert.deepEqual(cmd('restart'), processManager(model).restart);
      assert.deepEqual(cmd('post-deploy'), ['sh', '-c', scripts.HOOK, 'sh', BASE, ID, `${BASE}/releases/${ID}/deployapp.env`, HOOK_POST]);
      assert.deepEqual(cmd('finish'), ['sh', '-c', scripts.FINISH_DEPLOY, 'sh', BASE, ID, '<json line>', '4', '<owner.json>', ID, '<previous>']);
      // What runs only on a failure: removing the release, df, switching back or removing current, restart or stop, the history line.
      const onFailure = (id: string) => p.steps.find((s) => s.id === id)!.onFailure;
      assert.deepEqual(onFailure('prepare'), [['sh', '-c', scripts.DISCARD_RELEASE, 'sh', BASE, ID]]);
      assert.match(onFailure('binary')![0][2], /df -Pk/);
      assert.deepEqual(onFailure('switch'), [
        ['sh', '-c', scripts.SWITCH, 'sh', BASE, '<previous>', 'deployapp.env', ''],
        ['sh', '-c', scripts.UNSWITCH, 'sh', BASE],
      ]);
      assert.deepEqual(onFailure('restart'), [processManager(model).restart, processManager(model).stop]);
      assert.deepEqual(onFailure('finish'), [['sh', '-c', scripts.RECORD, 'sh', BASE, '<json line>']]);
      assert.deepEqual(
        fillCommand(cmd('finish'), { '<json line>': '{}', '<owner.json>': '', '<previous>': [] }),
        ['sh', '-c', scripts.FINISH_DEPLOY, 'sh', BASE, ID, '{}', '4', '', ID],
        'no previous release: nothing more to keep',
      );
      assert.throws(() => fillCommand(cmd('finish'), { '<json line>': '{}' }), /no value for <owner.json>/);
      const files = p.steps.flatMap((s) => s.files ?? []);
      assert.deepEqual(
        files.map((f) => [f.path, f.mode]),
        [
          [`${BASE}/releases/.${ID}.partial/.deployapp.upload`, 0o755],
          [`${BASE}/releases/.${ID}.partial/deployapp.env`, 0o600],
        ],
      );
      // A supervisor program owns its env file.
      assert.deepEqual(
        planHost(input(supervisorManager(model, 'x')))
          .steps.find((s) => s.id === 'switch')!
          .commands[1].slice(4),
        [BASE, ID, 'deployapp.env', model.supervisor.user],
      );
    });

    it('every command is an argv; no script text contains the base path, release id, name, sha or hook text', () => {
      for (const manager of [processManager(model), systemd(), supervisorManager(model, '[program:deployapp]\ncommand=x\n')]) {
        const p = planHost(input(manager, { hooks: { preDeploy: [HOOK_PRE], postDeploy: [HOOK_POST] } }));
        const commands = p.steps.flatMap((s) => s.commands);
        assert.ok(commands.length >= 8, `${manager.kind}: ${commands.length} commands`);
        for (const argv of commands) {
          assert.ok(Array.isArray(argv) && argv.length > 0 && argv.every((a) => typeof a === 'string'), JSON.stringify(argv));
          if (argv[0] !== 'sh') {
            assert.ok(!argv.some((a) => /\s/.test(a)), `${manager.kind}: an argument with whitespace outside a script: ${JSON.stringify(argv)}`);
            continue;
          }
          assert.equal(argv[1], '-c');
          assert.equal(argv[3], 'sh', `$0 of ${JSON.stringify(argv.slice(0, 2))}`);
          const script = argv[2];
          for (const value of [BASE, '/srv/my app', ID, 'v1.2.3', SHA, HOOK_PRE, HOOK_POST, 'GREETING', 'deployapp', '/srv/deployapp']) {
            assert.ok(!script.includes(value), `${manager.kind}: script contains ${JSON.stringify(value)}:\n${script}`);
          }
        }
      }
    });

    it("no secret value appears in the steps or the description, even when the model's env holds one", () => {
      for (const manager of [processManager(model), systemd(), supervisorManager(model, '[program:deployapp]\n')]) {
        for (const artifact of [null, { sha256: SHA, size: 1 }]) {
          const p = planHost(input(manager, { artifact, hooks: { preDeploy: ['echo "$API_TOKEN" | wc -c'], postDeploy: ['test -n "$CI_TOKEN"'] } }));
          const steps = JSON.stringify(p.steps);
          const text = describeHostPlan('web1', p);
          for (const s of [SECRET, SECRET_FROM_ENV]) {
            assert.ok(!steps.includes(s), `${manager.kind}: ${s} in the steps`);
            assert.ok(!text.includes(s), `${manager.kind}: ${s} in the description`);
          }
          const envFile = p.steps.find((s) => s.id === 'env-file')!.files![0];
          // GREETING, LEVEL, LEAKED, LEAKED_TOO plain; API_TOKEN, CI_TOKEN from references; PORT.
          assert.equal(envFile.what, 'KEY="value" lines: API_TOKEN, CI_TOKEN, GREETING, LEAKED, LEAKED_TOO, LEVEL, PORT (values not shown)');
        }
      }
    });
  });

  describe('describeHostPlan (what --dry-run prints)', () => {
    it('numbers every step with its commands, files and notes; scripts shown by their first line', () => {
      const p = planHost(input(processManager(model), { base: '/srv/deployapp', hooks: { preDeploy: [HOOK_PRE], postDeploy: [HOOK_POST] } }));
      const text = describeHostPlan('local', p);
      const lines = text.split('\n');
      assert.equal(lines[0], `local: release ${ID} into /srv/deployapp (process)`);
      const numbered = lines.filter((l) => /^ {2}[ \d]\d\. /.test(l));
      assert.deepEqual(
        numbered.map((l) => l.trim()),
        p.steps.map((s, i) => `${i + 1}. ${s.title}`),
      );
      assert.equal(numbered.length, 11);
      assert.ok(
        lines.includes(
          `      $ sh -c '# create the partial release folder, then link an earlier identical executable into it …(script, ${scripts.OPEN_RELEASE.split('\n').length} lines)' sh /srv/deployapp ${ID} deployapp ${SHA}`,
        ),
        text,
      );
      assert.ok(
        lines.includes(
          `      write /srv/deployapp/releases/.${ID}.partial/deployapp.env (mode 0600): KEY="value" lines: API_TOKEN, CI_TOKEN, GREETING, LEAKED, LEAKED_TOO, LEVEL, PORT (values not shown)`,
        ),
        text,
      );
      assert.ok(
        lines.includes(
          `      write /srv/deployapp/releases/.${ID}.partial/.deployapp.upload (mode 0755): the whole executable (by SFTP), only when no earlier release has the same sha256`,
        ),
        text,
      );
      assert.ok(
        lines.includes(
          "      (an earlier release with the same sha256 is linked instead of uploading; the check also completes the release (the env-file step's script), once the env file has landed; df when an upload ran out of space)",
        ),
        text,
      );
      assert.match(text, /\n {6}\$ sh -c 'cd "\$1\/releases\/\$2" && set -a && \. "\$3" && set \+a && eval "\$4"' sh \/srv\/deployapp /);
      // Every step's commands are listed under it.
      const shown: number[] = [];
      for (const l of lines.slice(1)) {
        if (/^ {2}[ \d]\d\. /.test(l)) shown.push(0);
        else if (l.startsWith('      $ ')) shown[shown.length - 1]++;
      }
      assert.deepEqual(
        shown,
        p.steps.map((s) => s.commands.length),
      );
    });

    it('single-line commands are shown shell-quoted: sh reads back exactly the argv (odd base path, hook text)', () => {
      const p = planHost(input(processManager(model), { hooks: { preDeploy: [HOOK_PRE], postDeploy: [HOOK_POST] } }));
      const text = describeHostPlan('web1', p);
      const shownOf = (id: string): string => {
        const lines = text.split('\n');
        const at = lines.findIndex((l) => l.trim().startsWith(`${p.steps.findIndex((s) => s.id === id) + 1}. `));
        return lines[at + 1].replace(/^ {6}\$ /, '');
      };
      for (const id of ['pre-deploy', 'post-deploy']) {
        const argv = p.steps.find((s) => s.id === id)!.commands[0];
        const back = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${shownOf(id)}`])
          .toString('utf8')
          .split('\0')
          .slice(0, -1);
        assert.deepEqual(back, argv, `${id}: ${shownOf(id)}`);
      }
    });
  });
});
