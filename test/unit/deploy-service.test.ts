// The service managers as data: what each prints for its state and how parseState reads it
// (systemctl show, supervisorctl status, the detached process's state script).
import { strict as assert } from 'node:assert';
import { processManager, supervisorManager, systemdManager, type ServiceManager } from '../../src/core/targets/hosts/serviceManager';
import type { GenerateModel } from '../../src/core/generate/model';
import { modelFor } from '../support/models';

describe('deploy service managers (parseState and commands)', () => {
  let model: GenerateModel;
  let systemd: ServiceManager;
  let supervisor: ServiceManager;
  let proc: ServiceManager;

  before(async () => {
    model = await modelFor(
      'deployapp',
      ['app:', '  name: deployapp', '  port: 8181', 'environments:', '  dev:', '    type: local', '    path: /srv/deployapp', ''].join('\n'),
      { environment: 'dev' },
    );
    systemd = systemdManager(model, '[Unit]\n');
    supervisor = supervisorManager(model, '[program:deployapp]\n');
    proc = processManager(model);
  });

  it('systemd: `systemctl show` properties', () => {
    assert.deepEqual(systemd.state, [
      'systemctl',
      'show',
      'deployapp.service',
      '--property=ActiveState,SubState,MainPID,ActiveEnterTimestampMonotonic',
      '--timestamp=unix',
    ]);
    assert.deepEqual(systemd.parseState('ActiveState=active\nSubState=running\nMainPID=4242\nActiveEnterTimestampMonotonic=123456789\n'), {
      state: 'active (running)',
      running: true,
      uptimeSeconds: null,
      pid: 4242,
    });
    // Order does not matter; CRLF-free values with "=" inside are kept whole.
    assert.deepEqual(systemd.parseState('MainPID=17\nSubState=start-post\nActiveState=activating\nX=a=b\n'), {
      state: 'activating (start-post)',
      running: false,
      uptimeSeconds: null,
      pid: 17,
    });
    assert.deepEqual(systemd.parseState('ActiveState=inactive\nSubState=dead\nMainPID=0\nActiveEnterTimestampMonotonic=0\n'), {
      state: 'inactive (dead)',
      running: false,
      uptimeSeconds: null,
      pid: null,
    });
    assert.deepEqual(systemd.parseState('ActiveState=failed\nSubState=failed\nMainPID=0\n'), {
      state: 'failed (failed)',
      running: false,
      uptimeSeconds: null,
      pid: null,
    });
    assert.deepEqual(systemd.parseState('ActiveState=active\nMainPID=9\n'), { state: 'active (?)', running: true, uptimeSeconds: null, pid: 9 });
    assert.deepEqual(systemd.parseState(''), { state: 'unknown', running: false, uptimeSeconds: null, pid: null });
    assert.deepEqual(systemd.parseState('Failed to connect to bus: No such file or directory\n'), {
      state: 'unknown',
      running: false,
      uptimeSeconds: null,
      pid: null,
    });
  });

  it('supervisor: `supervisorctl status` lines', () => {
    assert.deepEqual(supervisor.state, ['supervisorctl', '-c', model.supervisor.configFile, 'status', 'deployapp']);
    assert.deepEqual(supervisor.parseState('deployapp                        RUNNING   pid 123, uptime 0:01:02\n'), {
      state: 'running',
      running: true,
      uptimeSeconds: 62,
      pid: 123,
    });
    assert.deepEqual(supervisor.parseState('deployapp                        RUNNING   pid 98765, uptime 12:34:56\n'), {
      state: 'running',
      running: true,
      uptimeSeconds: 12 * 3600 + 34 * 60 + 56,
      pid: 98765,
    });
    assert.deepEqual(supervisor.parseState('deployapp                        RUNNING   pid 7, uptime 2 days, 3:04:05\n'), {
      state: 'running',
      running: true,
      uptimeSeconds: 2 * 86400 + 3 * 3600 + 4 * 60 + 5,
      pid: 7,
    });
    assert.deepEqual(supervisor.parseState('deployapp                        RUNNING   pid 7, uptime 1 day, 0:00:01\n'), {
      state: 'running',
      running: true,
      uptimeSeconds: 86401,
      pid: 7,
    });
    assert.deepEqual(supervisor.parseState('deployapp                        FATAL     Exited too quickly (process log may have details)\n'), {
      state: 'fatal',
      running: false,
      uptimeSeconds: null,
      pid: null,
    });
    assert.deepEqual(supervisor.parseState('deployapp                        STOPPED   Nov 21 10:15 AM\n'), {
      state: 'stopped',
      running: false,
      uptimeSeconds: null,
      pid: null,
    });
    assert.deepEqual(supervisor.parseState('deployapp                        STOPPED   Not started\n'), {
      state: 'stopped',
      running: false,
      uptimeSeconds: null,
      pid: null,
    });
    assert.deepEqual(supervisor.parseState('deployapp                        BACKOFF   Exited too quickly (process log may have details)\n'), {
      state: 'backoff',
      running: false,
      uptimeSeconds: null,
      pid: null,
    });
    assert.deepEqual(supervisor.parseState('deployapp                        STARTING  \n'), {
      state: 'starting',
      running: false,
      uptimeSeconds: null,
      pid: null,
    });
    assert.deepEqual(supervisor.parseState('deployapp: ERROR (no such process)\n'), { state: 'error', running: false, uptimeSeconds: null, pid: null });
    assert.deepEqual(supervisor.parseState(''), { state: 'unknown', running: false, uptimeSeconds: null, pid: null });
  });

  it('process: the state script\'s "running <pid> <uptime>" or "stopped"', () => {
    assert.deepEqual(proc.parseState('running 4242 17\n'), { state: 'running', running: true, pid: 4242, uptimeSeconds: 17 });
    assert.deepEqual(proc.parseState('running 4242 0\n'), { state: 'running', running: true, pid: 4242, uptimeSeconds: 0 });
    // ps could not say (the process exited between the two reads): no uptime.
    assert.deepEqual(proc.parseState('running 4242 \n'), { state: 'running', running: true, pid: 4242, uptimeSeconds: null });
    assert.deepEqual(proc.parseState('stopped\n'), { state: 'stopped', running: false, pid: null, uptimeSeconds: null });
    assert.deepEqual(proc.parseState(''), { state: 'stopped', running: false, pid: null, uptimeSeconds: null });
  });

  it('process: every operation is a fixed script with the paths as positional arguments', () => {
    const base = '/srv/deployapp';
    const args = [
      base,
      `${base}/shared/deployapp.env`,
      `${base}/current/deployapp`,
      `${base}/shared/logs/deployapp.log`,
      `${base}/shared/deployapp.pid`,
      String(model.systemd.stopTimeoutSeconds),
    ];
    assert.equal(proc.kind, 'process');
    assert.equal(proc.definition, null);
    assert.equal(proc.envFileOwner, null);
    for (const argv of [proc.restart, proc.stop]) {
      assert.deepEqual([argv[0], argv[1], argv[3]], ['sh', '-c', 'sh']);
      assert.deepEqual(argv.slice(4), args);
      assert.ok(!argv[2].includes(base), 'no path inside the script');
    }
    assert.deepEqual(proc.state.slice(3), ['sh', `${base}/shared/deployapp.pid`]);
    assert.deepEqual(proc.logs(50), ['tail', '-n', '50', `${base}/shared/logs/deployapp.log`]);
    assert.deepEqual(proc.logs(50, undefined, [1234]).slice(-3), ['50', '1234', `${base}/shared/logs/deployapp.log`], 'from the offset the restart printed');
    const journal = systemd.logs(50, 1_700_000_000);
    assert.deepEqual(journal.slice(-3), ['deployapp.service', '50', '1700000000']);
    assert.match(journal[2], /_SYSTEMD_INVOCATION_ID=\$id" \+ "INVOCATION_ID=\$id"/, "the current invocation's lines, and systemd's about it");
  });
});
