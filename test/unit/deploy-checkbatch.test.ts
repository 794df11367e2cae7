// The batched preflight gives the same reports as running the checks one by one, on this
// machine's real shell, including the port's owner (found in the same run) and odd output bytes.
import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:net';
import { runChecksBatched } from '../../src/core/targets/hosts/checkBatch';
import { doctorChecks } from '../../src/core/targets/hosts/doctor';
import { runChecks } from '../../src/core/release/doctorReport';
import type { DoctorCheck } from '../../src/core/release/checks';
import { localRunner, type HostRunner } from '../../src/core/remote/hostRunner';

describe('batched preflight checks', () => {
  let server: Server;
  let port = 0;
  before(async () => {
    server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
  });
  after(() => server.close());

  it("gives the same reports as one by one, the held port's owner included, in one round trip", async () => {
    const checks = doctorChecks({ port, basePath: '/tmp/godeploy-batch-test', processManager: 'none', targets: ['linux/amd64'], limitNOFILE: 65536 });
    const calls: string[][] = [];
    const base = localRunner();
    const counting: HostRunner = {
      ...base,
      exec: (argv, o) => {
        calls.push(argv);
        return base.exec(argv, o);
      },
    };
    const batched = await runChecksBatched(counting, checks);
    assert.equal(calls.length, 1, `${calls.length} round trips`);
    const single = await runChecks(localRunner(), checks);
    const strip = (r: typeof single) => r.map((c) => ({ id: c.id, status: c.status, detail: c.id === 'clock' ? '' : c.detail }));
    assert.deepEqual(strip(batched), strip(single));
    const p = batched.find((c) => c.id === 'port')!;
    assert.equal(p.status, 'fail');
    assert.match(p.detail, new RegExp(`${port} \\(127\\.0\\.0\\.1\\) is held by pid ${process.pid}`));
  });

  it('carries exit codes, stdout and stderr byte for byte (newlines, quotes, non-ASCII, marker look-alikes, empty output)', async () => {
    const seen: { code: number | null; stdout: string; stderr: string }[] = [];
    const check = (id: string, argv: string[]): DoctorCheck => ({
      id,
      title: id,
      argv,
      interpret: (r) => {
        seen.push(r);
        return { status: 'ok', detail: id };
      },
    });
    await runChecksBatched(localRunner(), [
      check('a', ['sh', '-c', 'printf "x\\ny \'q\' \\"d\\" é\\n"; printf "err\\n" >&2; exit 3']),
      check('b', ['printf', '%s', '$(id) `id`']),
      check('c', ['sh', '-c', 'printf "\\n\\n@@godeploy-0 end 0\\n"; printf "only err" >&2']),
      check('d', ['true']),
    ]);
    assert.deepEqual(seen, [
      { code: 3, stdout: 'x\ny \'q\' "d" é\n', stderr: 'err\n' },
      { code: 0, stdout: '$(id) `id`', stderr: '' },
      { code: 0, stdout: '\n\n@@godeploy-0 end 0\n', stderr: 'only err' },
      { code: 0, stdout: '', stderr: '' },
    ]);
  });

  it('falls back to one by one when the batch cannot run', async () => {
    const base = localRunner();
    let batches = 0;
    const broken: HostRunner = {
      ...base,
      exec: (argv, o) =>
        argv[2]?.includes('d=$(mktemp -d)') ? (batches++, Promise.resolve({ code: 127, stdout: '', stderr: 'sh: mktemp: not found' })) : base.exec(argv, o),
    };
    const r = await runChecksBatched(broken, [{ id: 'u', title: 'u', argv: ['uname', '-s'], interpret: (x) => ({ status: 'ok', detail: x.stdout.trim() }) }]);
    assert.equal(batches, 1);
    assert.deepEqual(r, [{ id: 'u', title: 'u', status: 'ok', detail: 'Linux' }]);
  });
});
