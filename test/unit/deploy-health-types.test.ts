// healthCheck.type tcp and process as the gate sees them: a TCP connect against real sockets
// on loopback (through the local runner), the process watch against a scripted sequence of
// observations, what each service manager prints read as an observation, the failure
// sentences, and what the docker specs get from the type, the arguments and the port reach.
import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { waitTcp } from '../../src/core/release/health';
import { describeGate, gateFailure, watchProcess, type GateSpec, type ProcessObservation } from '../../src/core/release/healthGate';
import { localRunner } from '../../src/core/remote/hostRunner';
import { parseProcessObservation, parseSupervisorObservation, parseSystemdObservation } from '../../src/core/targets/hosts/processWatch';
import { argumentsOnPort } from '../../src/core/targets/docker/blueGreenContainers';
import { containerSpec, type ContainerInput } from '../../src/core/targets/docker/containerSpec';
import { serviceSpec, taskWatchMs, type ServiceInput } from '../../src/core/targets/docker/swarmService';

const spec = (over: Partial<GateSpec> = {}): GateSpec => ({ type: 'tcp', path: '/healthz', timeoutMs: 1500, intervalMs: 100, forMs: 600, ...over });

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('health gate type tcp (real sockets on loopback)', () => {
  let server: Server | undefined;
  afterEach(
    () =>
      new Promise<void>((r) => {
        const s = server;
        server = undefined;
        if (s) s.close(() => r());
        else r();
      }),
  );

  it('passes once a server that never speaks HTTP accepts the connection', async () => {
    const port = await freePort();
    // Listening only after 300 ms: the first checks are refused, a later one is accepted.
    setTimeout(() => {
      server = createServer((c) => {
        c.on('error', () => undefined);
        c.end('not http\n');
      });
      server.listen(port, '127.0.0.1');
    }, 300);
    const seen: string[] = [];
    const r = await waitTcp(localRunner(), { port, timeoutMs: 3000, intervalMs: 200, onAttempt: (_, last) => seen.push(last) });
    assert.equal(r.healthy, true, r.last);
    assert.ok(r.attempts > 1 && seen.every((s) => s === 'connection refused'), seen.join(', '));
  });

  it('fails with "connection refused" when nothing listens, and the sentence names the port and the timeout', async () => {
    const port = await freePort();
    const r = await waitTcp(localRunner(), { port, timeoutMs: 400, intervalMs: 100 });
    assert.deepEqual([r.healthy, r.last], [false, 'connection refused']);
    assert.equal(gateFailure(spec({ timeoutMs: 5000 }), port, r), `port ${port} did not accept a connection within 5 s: connection refused`);
  });
});

describe('health gate type process (the watch)', () => {
  const run = (obs: Partial<ProcessObservation>[], forMs = 300, timeoutMs = 2000): ReturnType<typeof watchProcess> => {
    let i = 0;
    return watchProcess(async () => ({ phase: 'running', pid: 10, restarts: 0, state: 'active (running)', ...obs[Math.min(i++, obs.length - 1)] }), {
      forMs,
      timeoutMs,
      intervalMs: 50,
    });
  };

  it('passes when the same process keeps running for `for`, and looks again at the end', async () => {
    const t0 = Date.now();
    const r = await run([{}]);
    assert.equal(r.healthy, true, r.last);
    assert.ok(Date.now() - t0 >= 300, 'passed before healthCheck.for');
    assert.match(r.last, /^running \(pid 10\) for 0\.\d s, not restarted$/);
  });

  it('fails when the process exits within the window, with how it ended', async () => {
    const r = await run([{}, {}, { phase: 'down', pid: null, exit: 'exited with status 3', state: 'failed (failed)' }]);
    assert.equal(r.healthy, false);
    assert.match(r.last, /^exited with status 3 after 0\.\d s \(it must stay up for 0\.3 s\)$/);
    assert.match(gateFailure(spec({ type: 'process' }), 8080, r, 'worker.service'), /^worker\.service exited with status 3 after/);
  });

  it('fails when the manager restarted it: a new pid, or a restart counted', async () => {
    assert.match((await run([{}, { pid: 11 }])).last, /^was restarted after .*: pid 10 ended, pid 11 runs now$/);
    assert.match((await run([{}, { restarts: 1 }])).last, /^was restarted 1 time after /);
  });

  it('waits for a starting process up to the timeout, then says it never ran', async () => {
    const r = await run([{ phase: 'starting', pid: null, state: 'activating (start)' }], 100, 300);
    assert.deepEqual([r.healthy, r.last], [false, 'was not running within 0.3 s (state: activating (start))']);
    const late = await run([{ phase: 'starting', pid: null }, { phase: 'starting', pid: null }, {}], 100, 2000);
    assert.equal(late.healthy, true, late.last);
  });

  it('the plan says which check gates the switch', () => {
    assert.equal(
      describeGate(spec({ type: 'http', timeoutMs: 30_000, intervalMs: 1000 }), 8080),
      'GET http://127.0.0.1:8080/healthz to answer 2xx (every 1000 ms, up to 30 s)',
    );
    assert.match(describeGate(spec({ type: 'tcp' }), 9000), /^port 9000 to accept a TCP connection \(healthCheck\.type tcp/);
    assert.match(
      describeGate(spec({ type: 'process', forMs: 5000 }), 8080, 'worker.service'),
      /^worker\.service to stay up for 5 s \(healthCheck\.type process/,
    );
  });
});

describe("service managers' state read as a process observation", () => {
  it('systemd: active with its MainPID; auto-restart and failed are down with the exit status; activating (start) is starting', () => {
    assert.deepEqual(parseSystemdObservation('ActiveState=active\nSubState=running\nMainPID=42\nNRestarts=0\nExecMainStatus=0\nExecMainCode=0\n'), {
      phase: 'running',
      pid: 42,
      restarts: 0,
      exit: undefined,
      state: 'active (running)',
    });
    const restarting = parseSystemdObservation('ActiveState=activating\nSubState=auto-restart\nMainPID=0\nNRestarts=1\nExecMainStatus=3\nExecMainCode=1\n');
    assert.deepEqual([restarting.phase, restarting.exit, restarting.restarts], ['down', 'exited with status 3', 1]);
    assert.equal(
      parseSystemdObservation('ActiveState=failed\nSubState=failed\nMainPID=0\nNRestarts=0\nExecMainStatus=9\nExecMainCode=2\n').exit,
      'was killed by signal 9',
    );
    assert.equal(parseSystemdObservation('ActiveState=activating\nSubState=start\nMainPID=0\nNRestarts=0\n').phase, 'starting');
  });

  it('supervisor: RUNNING with its pid; BACKOFF is down, with the exit status supervisord logged', () => {
    const up = parseSupervisorObservation('worker                           RUNNING   pid 123, uptime 0:00:04\n');
    assert.deepEqual([up.phase, up.pid], ['running', 123]);
    const down = parseSupervisorObservation(
      'worker                           BACKOFF   Exited too quickly (process log may have details)\n2024-01-01 10:00:00,000 INFO exited: worker (exit status 3; not expected)\n',
    );
    assert.deepEqual([down.phase, down.exit], ['down', 'exited with status 3']);
    assert.equal(parseSupervisorObservation('worker  STARTING  \n').phase, 'starting');
    assert.equal(
      parseSupervisorObservation('worker EXITED Dec 05 06:40 PM\nINFO exited: worker (terminated by SIGKILL; not expected)\n').exit,
      'was killed by signal SIGKILL',
    );
  });

  it('a local process: running, or exited with the status its launcher recorded (128+N is signal N)', () => {
    assert.deepEqual(parseProcessObservation('running 77 12\n'), { phase: 'running', pid: 77, restarts: null, state: 'running' });
    assert.equal(parseProcessObservation('exited 77 3\n').exit, 'exited with status 3');
    assert.equal(parseProcessObservation('exited 77 137\n').exit, 'was killed by signal 9');
    assert.equal(parseProcessObservation('stopped\n').phase, 'down');
  });
});

describe('docker specs follow the arguments, the port reach and the health type', () => {
  const input = (over: Partial<ContainerInput> = {}): ContainerInput => ({
    app: 'api',
    environment: 'prod',
    releaseId: '20261121T101500Z-v1',
    version: 'v1',
    image: 'api:x',
    port: 9000,
    env: { A: '1' },
    docker: {},
    deployedBy: 'ann@laptop',
    ...over,
  });
  const ARGS = ['serve', 'it\'s "quoted"', 'a b', '$HOME', '100%'];

  it("a container gets app.args as Cmd (after the image's ENTRYPOINT); the port flag goes first; Env has the port variable by portEnv", () => {
    assert.equal(containerSpec(input()).Cmd, undefined, "no arguments: the image's CMD");
    const byEnv = containerSpec(input({ args: ARGS, portEnv: 'WHOAMI_PORT_NUMBER' }));
    assert.deepEqual(byEnv.Cmd, ARGS);
    assert.deepEqual(byEnv.Env, ['A=1', 'WHOAMI_PORT_NUMBER=9000']);
    const byFlag = containerSpec(input({ args: ARGS, portEnv: null, portFlag: '-port' }));
    assert.deepEqual(byFlag.Cmd, ['-port=9000', ...ARGS]);
    assert.deepEqual(byFlag.Env, ['A=1']);
    assert.deepEqual(containerSpec(input({ portEnv: null, portFlag: '--listen=:{port}' })).Cmd, ['--listen=:9000']);
  });

  it('a blue-green container re-created on the other port gets the flag with that port, its other arguments unchanged', () => {
    assert.deepEqual(argumentsOnPort(['-port=8081', 'serve'], { portEnv: null, portFlag: '-port' }, 8082), ['-port=8082', 'serve']);
    assert.deepEqual(argumentsOnPort(['serve'], { portEnv: 'PORT', portFlag: null }, 8082), ['serve']);
  });

  it("a swarm service gets Args; its health check follows the type (tcp: the probe connects; process: none, the image's switched off)", () => {
    const svc = (over: Partial<ServiceInput>): { TaskTemplate: { ContainerSpec: { Args?: string[]; Env: string[]; Healthcheck?: { Test: string[] } } } } =>
      serviceSpec({
        ...input(),
        healthPath: '/healthz',
        healthTimeoutSeconds: 10,
        healthIntervalMs: 1000,
        probe: true,
        ...over,
      }) as never;
    assert.deepEqual(svc({ args: ARGS, portEnv: null, portFlag: '-port' }).TaskTemplate.ContainerSpec.Args, ['-port=9000', ...ARGS]);
    assert.deepEqual(svc({}).TaskTemplate.ContainerSpec.Healthcheck?.Test, ['CMD', '/godeploy-probe', 'http://127.0.0.1:9000/healthz']);
    assert.deepEqual(svc({ healthType: 'tcp' }).TaskTemplate.ContainerSpec.Healthcheck?.Test, ['CMD', '/godeploy-probe', 'tcp://127.0.0.1:9000']);
    assert.deepEqual(svc({ healthType: 'process', probe: false }).TaskTemplate.ContainerSpec.Healthcheck, { Test: ['NONE'] });
    assert.equal(taskWatchMs({ healthTimeoutSeconds: 30, healthIntervalMs: 1000, healthType: 'process', healthForMs: 5000 }), 6000);
  });
});
