import { strict as assert } from 'node:assert';
import { clockSkew, doctorChecks, type DoctorCheck, type DoctorInputs } from '../../src/core/targets/hosts/doctor';
import { formatDoctorReport, runChecks } from '../../src/core/release/doctorReport';
import { DISK_SCRIPT, goPlatform, listenSockets, OWNER_SCRIPT, targetRunsOn, type CheckStep } from '../../src/core/release/checks';
import { type CheckOutcome } from '../../src/core/environment/types';
import type { HostRunner, HostRunResult } from '../../src/core/remote/hostRunner';

const inputs: DoctorInputs = { port: 8080, basePath: '/opt/hello', processManager: 'systemd', targets: [], limitNOFILE: 65536 };
const ok = (stdout: string): HostRunResult => ({ code: 0, stdout, stderr: '' });
const timing = { startMs: 1_700_000_000_000, endMs: 1_700_000_000_020 };
const check = (id: string, over: Partial<DoctorInputs> = {}): DoctorCheck => {
  const c = doctorChecks({ ...inputs, ...over }).find((x) => x.id === id);
  assert.ok(c, id);
  return c;
};
const outcome = (x: CheckOutcome | CheckStep): CheckOutcome => {
  assert.ok(!('argv' in x), `expected an outcome, got a follow-up step ${JSON.stringify(x)}`);
  return x;
};

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0000000000000000 100 0 0 10 0
   2: 0100007F:C350 0100007F:1F91 01 00000000:00000000 00:00000000 00000000  1000        0 2222 1 0000000000000000 20 4 30 10 -1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5555 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:1F92 00000000000000000000000001000000:C000 06 00000000:00000000 03:00000834 00000000     0        0 0 3 0000000000000000
`;

describe('godeploy doctor checks (pure)', () => {
  it('lists the same checks for every process manager, with the right command for each', () => {
    const ids = ['platform', 'disk', 'layout', 'port', 'process-manager', 'open-files', 'tzdata', 'ca-certificates', 'clock'];
    assert.deepEqual(
      doctorChecks(inputs).map((c) => c.id),
      ids,
    );
    assert.deepEqual(check('process-manager').argv, ['systemctl', '--version']);
    assert.deepEqual(check('process-manager', { processManager: 'supervisor' }).argv, [
      'sh',
      '-c',
      'supervisorctl version 2>/dev/null || supervisord --version',
    ]);
    assert.equal(check('process-manager', { processManager: 'none' }).argv, null);
    assert.deepEqual(outcome(check('process-manager', { processManager: 'none' }).interpret(ok(''), timing)).status, 'ok');
    assert.deepEqual(check('disk').argv, ['sh', '-c', DISK_SCRIPT, 'sh', '/opt/hello'], 'the path is a positional argument, never part of the script');
    assert.deepEqual(check('tzdata').argv, ['test', '-e', '/usr/share/zoneinfo/UTC']);
    assert.deepEqual(check('ca-certificates').argv, ['test', '-e', '/etc/ssl/certs/ca-certificates.crt']);
    assert.deepEqual(check('clock').argv, ['date', '+%s']);
    assert.deepEqual(check('open-files').argv, ['sh', '-c', 'ulimit -n']);
  });

  it('maps uname to GOOS/GOARCH', () => {
    const id = (s: string, m: string) => goPlatform(s, m)?.id ?? null;
    assert.equal(id('Linux', 'x86_64'), 'linux/amd64');
    assert.equal(id('Linux', 'aarch64'), 'linux/arm64');
    assert.equal(id('Linux', 'armv7l'), 'linux/arm/7');
    assert.equal(id('Linux', 'armv6l'), 'linux/arm/6');
    assert.equal(id('Linux', 'armv8l'), 'linux/arm/7');
    assert.equal(id('Linux', 'i686'), 'linux/386');
    assert.equal(id('Linux', 'riscv64'), 'linux/riscv64');
    assert.equal(id('Linux', 'ppc64le'), 'linux/ppc64le');
    assert.equal(id('Darwin', 'arm64'), 'darwin/arm64');
    assert.equal(id('FreeBSD', 'amd64'), 'freebsd/amd64');
    assert.equal(id('Linux', 'm68k'), null);
    assert.equal(id('SunOS', 'x86_64'), null);
    const arm6 = goPlatform('Linux', 'armv6l')!;
    assert.ok(targetRunsOn('linux/arm/6', arm6) && targetRunsOn('linux/arm/5', arm6) && targetRunsOn('linux/arm', arm6));
    assert.ok(!targetRunsOn('linux/arm/7', arm6));
    assert.ok(targetRunsOn('linux/amd64/v3', goPlatform('Linux', 'x86_64')!));
  });

  it('platform: detail GOOS/GOARCH; warns when build.targets leaves the host out', () => {
    assert.deepEqual(outcome(check('platform').interpret(ok('Linux x86_64\n'), timing)), { status: 'ok', detail: 'linux/amd64' });
    assert.deepEqual(outcome(check('platform', { targets: ['linux/amd64', 'linux/arm64'] }).interpret(ok('Linux aarch64\n'), timing)), {
      status: 'ok',
      detail: 'linux/arm64',
    });
    const w = outcome(check('platform', { targets: ['linux/amd64'] }).interpret(ok('Linux armv7l\n'), timing));
    assert.equal(w.status, 'warn');
    assert.match(w.detail, /^linux\/arm\/7, not in build\.targets \(linux\/amd64\)$/);
    assert.match(w.hint!, /add linux\/arm\/7 to build\.targets/);
    assert.equal(outcome(check('platform').interpret(ok('Plan9 mips\n'), timing)).status, 'warn');
    assert.equal(outcome(check('platform').interpret({ code: 127, stdout: '', stderr: 'sh: uname: not found\n' }, timing)).status, 'fail');
  });

  it('disk: reads df -Pk; fails under 100 MB, warns under 1 GB', () => {
    const df = (availKb: number) =>
      ok(`/opt\nFilesystem     1024-blocks     Used Available Capacity Mounted on\n/dev/mapper/vg-root  102687672 29346484 ${availKb}      29% /\n`);
    assert.deepEqual(outcome(check('disk').interpret(df(68082424), timing)), { status: 'ok', detail: '64.9 GB free under /opt (/)' });
    const warn = outcome(check('disk').interpret(df(512 * 1024), timing));
    assert.equal(warn.status, 'warn');
    assert.equal(warn.detail, '512 MB free under /opt (/)');
    assert.equal(outcome(check('disk').interpret(df(50 * 1024), timing)).status, 'fail');
    const spaces = ok('/srv/my app\nFilesystem 1024-blocks Used Available Capacity Mounted on\nmy fs 1000 10 2097152 1% /srv/my app\n');
    assert.deepEqual(outcome(check('disk').interpret(spaces, timing)), { status: 'ok', detail: '2.0 GB free under /srv/my app (/srv/my app)' });
    assert.equal(outcome(check('disk').interpret({ code: 1, stdout: '', stderr: 'df: /x: No such file' }, timing)).status, 'fail');
  });

  it('port: finds LISTEN sockets only, IPv4 and IPv6', () => {
    assert.deepEqual(listenSockets(TCP + TCP6, 8080), [{ address: '127.0.0.1', port: 8080, uid: 0, inode: '4242' }]);
    assert.deepEqual(listenSockets(TCP + TCP6, 8081), [{ address: '[::]', port: 8081, uid: 1000, inode: '5555' }]);
    assert.deepEqual(listenSockets(TCP + TCP6, 8082), [], 'TIME_WAIT (06) is not a listener');
    assert.deepEqual(listenSockets(TCP + TCP6, 50000), [], 'ESTABLISHED (01) is not a listener');
    assert.deepEqual(
      listenSockets(TCP, 22).map((s) => s.address),
      ['0.0.0.0'],
    );
  });

  it('port: free is ok; held asks who holds it, then names the process or says why it cannot', () => {
    assert.deepEqual(outcome(check('port', { port: 9999 }).interpret(ok(TCP + TCP6), timing)), { status: 'ok', detail: '9999 is free' });
    const next = check('port').interpret(ok(TCP + TCP6), timing);
    assert.ok('argv' in next);
    assert.deepEqual(next.argv, ['sh', '-c', OWNER_SCRIPT, 'sh', '/opt/hello', '4242']);
    const held = outcome(next.interpret(ok('uid=0\npid=123\texe=/usr/bin/python3.11\tcmd=python3 -m http.server 8080 \n'), timing));
    assert.equal(held.status, 'fail');
    assert.equal(held.detail, '8080 (127.0.0.1) is held by pid 123 (/usr/bin/python3.11): python3 -m http.server 8080');
    const release = outcome(next.interpret(ok('uid=0\npid=77\texe=/opt/hello/releases/20240101/hello\tcmd=/opt/hello/current/hello\n'), timing));
    assert.equal(release.status, 'warn');
    assert.match(release.detail, /held by pid 77 \(\/opt\/hello\/releases\/20240101\/hello\), the current release/);
    // /proc/PID/exe is resolved: a base reached through a symlink is recognised by its resolved path.
    const linked = outcome(
      next.interpret(ok('uid=0\nbase=/data/hello\npid=77\texe=/data/hello/releases/20240101/hello\tcmd=/opt/hello/current/hello\n'), timing),
    );
    assert.equal(linked.status, 'warn');
    const outside = outcome(next.interpret(ok('uid=0\n'), timing));
    assert.equal(outside.status, 'fail');
    assert.match(outside.detail, /^8080 \(127\.0\.0\.1\) is held by a process outside the host's view/);
    const other = outcome(next.interpret(ok('uid=1000\n'), timing));
    assert.match(other.detail, /held by a process of another user \(socket uid 0\)/);
    assert.equal(outcome(check('port').interpret({ code: 0, stdout: '', stderr: 'cat: /proc/net/tcp: No such file' }, timing)).status, 'warn');
  });

  it('process manager: systemd version, supervisor version, missing fails', () => {
    const sd = outcome(check('process-manager').interpret(ok('systemd 252 (252.30-1~deb12u2)\n+PAM +AUDIT +SELINUX\n'), timing));
    assert.deepEqual(sd, { status: 'ok', detail: 'systemd 252' });
    const none = outcome(check('process-manager').interpret({ code: 127, stdout: '', stderr: 'sh: 1: systemctl: not found\n' }, timing));
    assert.equal(none.status, 'fail');
    assert.match(none.hint!, /processManager is systemd/);
    assert.deepEqual(outcome(check('process-manager', { processManager: 'supervisor' }).interpret(ok('4.2.5\n'), timing)), {
      status: 'ok',
      detail: 'supervisor 4.2.5',
    });
    assert.equal(outcome(check('process-manager', { processManager: 'supervisor' }).interpret({ code: 127, stdout: '', stderr: '' }, timing)).status, 'fail');
  });

  it('open files, tzdata and CA certificates', () => {
    assert.deepEqual(outcome(check('open-files').interpret(ok('65536\n'), timing)), { status: 'ok', detail: '65536' });
    assert.deepEqual(outcome(check('open-files').interpret(ok('unlimited\n'), timing)).status, 'ok');
    const low = outcome(check('open-files').interpret(ok('1024\n'), timing));
    assert.equal(low.status, 'warn');
    assert.match(low.hint!, /LimitNOFILE=65536/);
    assert.match(outcome(check('open-files', { processManager: 'supervisor' }).interpret(ok('1024\n'), timing)).hint!, /minfds/);
    assert.equal(outcome(check('tzdata').interpret(ok(''), timing)).status, 'ok');
    const noCa = outcome(check('ca-certificates').interpret({ code: 1, stdout: '', stderr: '' }, timing));
    assert.equal(noCa.status, 'warn');
    assert.match(noCa.hint!, /HTTPS/);
  });

  it('clock skew accounts for the round trip and the whole-second resolution', () => {
    const t = { startMs: 1_000_000_000, endMs: 1_000_000_400 }; // mid 1_000_000.2 s, round trip 0.4 s
    const near = (a: { skew: number; uncertainty: number }, skew: number, uncertainty: number) => {
      assert.ok(Math.abs(a.skew - skew) < 1e-6 && Math.abs(a.uncertainty - uncertainty) < 1e-6, JSON.stringify(a));
    };
    near(clockSkew('1000000\n', t), 0.3, 0.7);
    near(clockSkew('1000010.2', t), 10, 0.2);
    const at = (remote: number) => outcome(check('clock').interpret(ok(`${remote}\n`), t));
    assert.equal(at(1_000_000).status, 'ok');
    assert.equal(at(1_000_002).status, 'ok', '2.3 s ± 0.7 s may be 1.6 s');
    assert.deepEqual(at(1_000_005), { status: 'warn', detail: '4.6 s ahead of this machine', hint: at(1_000_005).hint });
    assert.equal(at(999_990).status, 'warn');
    assert.match(at(999_990).detail, /9\.0 s behind this machine/);
    assert.equal(at(1_000_040).status, 'fail');
    assert.equal(outcome(check('clock').interpret(ok('Tue Jan 1\n'), t)).status, 'fail');
  });

  it('runs the checks with a runner, follow-ups included; a throwing runner fails that check only', async () => {
    const seen: string[][] = [];
    const answers: Record<string, string> = {
      uname: 'Linux x86_64\n',
      date: `${Math.floor(Date.now() / 1000)}\n`,
      systemctl: 'systemd 252 (252.30)\n',
      test: '',
    };
    const runner: HostRunner = {
      describe: 'fake',
      local: false,
      interactive: async () => {
        throw new Error('not used');
      },
      upload: async () => {
        throw new Error('not used');
      },
      spawn: async () => {
        throw new Error('not used');
      },
      mkdir: async () => {
        throw new Error('not used');
      },
      reach: async () => {
        throw new Error('not used');
      },
      exec: async (argv) => {
        seen.push(argv);
        if (argv[0] === 'sh' && argv[2] === DISK_SCRIPT) throw new Error('connection lost');
        if (argv[0] === 'sh' && argv[2] === OWNER_SCRIPT) return ok('uid=0\npid=9\texe=/usr/sbin/nginx\tcmd=nginx: master\n');
        if (argv[0] === 'sh' && /proc\/net\/tcp/.test(argv[2])) return ok(TCP);
        if (argv[0] === 'sh' && /^layout\(\)/m.test(argv[2])) return ok('marked\n');
        if (argv[0] === 'sh') return ok('2048\n');
        return ok(answers[argv[0]] ?? '');
      },
    };
    const r = await runChecks(runner, doctorChecks(inputs));
    assert.deepEqual(
      r.map((c) => `${c.id} ${c.status}`),
      ['platform ok', 'disk fail', 'layout ok', 'port fail', 'process-manager ok', 'open-files warn', 'tzdata ok', 'ca-certificates ok', 'clock ok'],
    );
    assert.equal(r[1].detail, 'connection lost');
    assert.match(r[3].detail, /held by pid 9 \(\/usr\/sbin\/nginx\): nginx: master/);
    assert.equal(seen.length, 10, 'nine checks, one follow-up');
    const text = formatDoctorReport([{ host: 'web1', address: 'root@10.0.0.5:22', checks: r }]);
    assert.match(text, /^web1 \(root@10\.0\.0\.5:22\)\n {2}ok {3}platform {9}linux\/amd64\n/);
    assert.match(text, /^ {2}FAIL port {13}8080 \(127\.0\.0\.1\) is held by pid 9/m);
    assert.match(text, /^ {2}WARN open files {7}2048 \(below 4096\)\n {24}hint: the service gets LimitNOFILE=65536/m);
  });
});
