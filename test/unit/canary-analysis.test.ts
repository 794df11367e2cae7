// strategy canary's analysis: the JSON access log read line by line (a partial last line left
// for the next read, malformed lines skipped), requests attributed by the last upstream
// address, nearest-rank percentiles, and the verdict on a window in each of its branches.
import { strict as assert } from 'node:assert';
import { figuresOf, nearestRank, parseAccessLog, versionOf, type AccessLogEntry } from '../../src/core/release/canary/accessLog';
import { formatFigures, judge } from '../../src/core/release/canary/analysis';
import { canaryPolicyOf } from '../../src/core/release/canary/policy';
import type { CanaryPolicy, Figures, VersionFigures } from '../../src/core/release/canary/types';

const ports = { stable: 8081, canary: 8082 };
const line = (upstream: string, status = 200, rt = '0.002', msec = '1764999000.123'): string =>
  `{"msec":${msec},"upstream":"${upstream}","status":${status},"request_time":${rt}}\n`;

const policy = (analysis: Partial<CanaryPolicy['analysis']> = {}): CanaryPolicy => {
  const p = canaryPolicyOf(undefined);
  return { ...p, analysis: { ...p.analysis, windowMs: 30_000, maxErrorRate: 0.01, maxP95LatencyRatio: null, minRequests: 50, ...analysis } };
};
const v = (requests: number, errors: number, p50Ms: number | null, p95Ms: number | null): VersionFigures => ({
  requests,
  errors,
  errorRate: requests ? errors / requests : 0,
  p50Ms,
  p95Ms,
});
const figures = (stable: VersionFigures, canary: VersionFigures): Figures => ({ stable, canary });

describe('canary analysis', () => {
  describe('parseAccessLog', () => {
    it('reads complete lines, in ms, and leaves a partial last line for the next read', () => {
      const text = line('127.0.0.1:8081') + line('127.0.0.1:8082', 502, '1.250', '1764999001.5') + '{"msec":1764999002.0,"upst';
      const r = parseAccessLog(text);
      assert.deepEqual(r.entries, [
        { msec: 1764999000123, upstream: '127.0.0.1:8081', status: 200, requestTimeMs: 2 },
        { msec: 1764999001500, upstream: '127.0.0.1:8082', status: 502, requestTimeMs: 1250 },
      ]);
      assert.equal(r.consumed, text.lastIndexOf('\n') + 1);
      // The next read starts where this one stopped, at the partial line now complete.
      const next = parseAccessLog(text.slice(r.consumed) + 'ream":"127.0.0.1:8081","status":200,"request_time":0.000}\n');
      assert.deepEqual(next.entries, [{ msec: 1764999002000, upstream: '127.0.0.1:8081', status: 200, requestTimeMs: 0 }]);
    });

    it('skips malformed lines but counts their bytes; counts bytes, not characters', () => {
      const text = [
        'not json\n',
        '\n',
        '{"msec":1,"upstream":"127.0.0.1:8081","status":"200","request_time":0.1}\n', // status a string
        '{"msec":1,"status":200,"request_time":0.1}\n', // no upstream
        '[1,2]\n',
        'null\n',
        line('127.0.0.1:8081'),
        '{"note":"é – ü"}\n',
      ].join('');
      const r = parseAccessLog(text);
      assert.equal(r.entries.length, 1);
      assert.equal(r.consumed, Buffer.byteLength(text));
      assert.ok(r.consumed > text.length);
      assert.deepEqual(parseAccessLog(''), { entries: [], consumed: 0 });
      assert.deepEqual(parseAccessLog('{"msec":1'), { entries: [], consumed: 0 });
    });
  });

  describe('versionOf', () => {
    it('attributes by the last address nginx tried, by port', () => {
      assert.equal(versionOf('127.0.0.1:8081', ports), 'stable');
      assert.equal(versionOf('127.0.0.1:8082', ports), 'canary');
      assert.equal(versionOf('127.0.0.1:8082, 127.0.0.1:8081', ports), 'stable');
      assert.equal(versionOf('127.0.0.1:8081, 127.0.0.1:8082', ports), 'canary');
      assert.equal(versionOf('127.0.0.1:8081 : 127.0.0.1:8082', ports), 'canary');
      assert.equal(versionOf('127.0.0.1:8082, 127.0.0.1:8081 : 127.0.0.1:8081', ports), 'stable');
      assert.equal(versionOf('[::1]:8082', ports), 'canary');
    });

    it('is null without an upstream, for another port or an unresolved name', () => {
      assert.equal(versionOf('', ports), null);
      assert.equal(versionOf('127.0.0.1:9000', ports), null);
      assert.equal(versionOf('shop-api', ports), null);
      assert.equal(versionOf('unix:/run/app.sock', ports), null);
    });
  });

  describe('figuresOf', () => {
    it('nearest-rank percentiles', () => {
      assert.equal(nearestRank([], 50), null);
      assert.equal(nearestRank([7], 95), 7);
      const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
      assert.equal(nearestRank(hundred, 50), 50);
      assert.equal(nearestRank(hundred, 95), 95);
      assert.equal(nearestRank([1, 2, 3, 4], 50), 2);
      assert.equal(nearestRank([1, 2, 3, 4], 95), 4);
      assert.equal(nearestRank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95), 10);
      assert.equal(nearestRank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50), 5);
    });

    it('per version: requests, 5xx (not 4xx), error rate, p50/p95 over request times; others left out', () => {
      const entries: AccessLogEntry[] = [];
      const add = (upstream: string, status: number, ms: number): number => entries.push({ msec: 0, upstream, status, requestTimeMs: ms });
      for (let i = 1; i <= 20; i++) add('127.0.0.1:8081', i === 3 ? 404 : 200, i); // 1..20 ms
      for (let i = 1; i <= 10; i++) add('127.0.0.1:8082', i <= 2 ? 500 + i : 200, 10 * i); // 10..100 ms
      add('', 503, 0); // nginx itself (maintenance, no upstream)
      add('127.0.0.1:9999', 500, 1);
      assert.deepEqual(figuresOf(entries, ports), {
        stable: { requests: 20, errors: 0, errorRate: 0, p50Ms: 10, p95Ms: 19 },
        canary: { requests: 10, errors: 2, errorRate: 0.2, p50Ms: 50, p95Ms: 100 },
      });
      assert.deepEqual(figuresOf([], ports), {
        stable: { requests: 0, errors: 0, errorRate: 0, p50Ms: null, p95Ms: null },
        canary: { requests: 0, errors: 0, errorRate: 0, p50Ms: null, p95Ms: null },
      });
    });
  });

  describe('judge', () => {
    const healthy = figures(v(1500, 0, 2, 4), v(500, 1, 3, 6));

    it('waits for the window to be long enough', () => {
      assert.equal(judge(healthy, policy(), 29_999).kind, 'wait');
      assert.equal(judge(healthy, policy(), 30_000).kind, 'pass');
    });

    it('waits for minRequests canary requests, even with errors', () => {
      const few = figures(v(1500, 0, 2, 4), v(49, 49, 3, 6));
      assert.deepEqual(judge(few, policy(), 60_000), { kind: 'wait', figures: few });
      assert.equal(judge(few, policy({ minRequests: 49 }), 60_000).kind, 'breach');
    });

    it('a breach of maxErrorRate names the rate, the counts and the threshold', () => {
      const bad = figures(v(1500, 0, 2, 4), v(500, 24, 3, 6));
      assert.deepEqual(judge(bad, policy(), 30_000), {
        kind: 'breach',
        figures: bad,
        reason: 'error rate 4.8% (24 of 500 requests) is above maxErrorRate 1%',
      });
      // At the threshold is not above it.
      assert.equal(judge(figures(v(1500, 0, 2, 4), v(500, 5, 3, 6)), policy(), 30_000).kind, 'pass');
      assert.equal(
        (judge(figures(v(0, 0, null, null), v(200, 2, 3, 6)), policy({ maxErrorRate: 0.005 }), 30_000) as { reason: string }).reason,
        'error rate 1% (2 of 200 requests) is above maxErrorRate 0.5%',
      );
      assert.equal(judge(figures(v(0, 0, null, null), v(200, 0, 3, 6)), policy({ maxErrorRate: 0 }), 30_000).kind, 'pass');
    });

    it('a breach of maxP95LatencyRatio names both p95s, the ratio and the threshold', () => {
      const slow = figures(v(1500, 0, 20, 50), v(500, 0, 90, 180));
      assert.deepEqual(judge(slow, policy({ maxP95LatencyRatio: 1.5 }), 30_000), {
        kind: 'breach',
        figures: slow,
        reason: "p95 latency 180 ms is 3.6× the live release's 50 ms, above maxP95LatencyRatio 1.5",
      });
      // Latency is not judged without the key.
      assert.equal(judge(slow, policy(), 30_000).kind, 'pass');
      // At the ratio is not above it.
      assert.equal(judge(figures(v(1500, 0, 20, 50), v(500, 0, 20, 75)), policy({ maxP95LatencyRatio: 1.5 }), 30_000).kind, 'pass');
    });

    it('latency: floors tiny p95s, needs 20 live requests to compare with', () => {
      // 1 ms vs 6 ms is 6×, but both count as at least 5 ms: 6/5 = 1.2 ≤ 1.5.
      assert.equal(judge(figures(v(1500, 0, 1, 1), v(500, 0, 3, 6)), policy({ maxP95LatencyRatio: 1.5 }), 30_000).kind, 'pass');
      const floored = figures(v(1500, 0, 1, 1), v(500, 0, 9, 12));
      assert.equal(
        (judge(floored, policy({ maxP95LatencyRatio: 1.5 }), 30_000) as { reason: string }).reason,
        "p95 latency 12 ms is 2.4× the live release's 1 ms (counted as 5 ms), above maxP95LatencyRatio 1.5",
      );
      // 19 live requests: no yardstick, latency is not judged.
      assert.equal(judge(figures(v(19, 0, 1, 1), v(500, 0, 900, 1000)), policy({ maxP95LatencyRatio: 1.5 }), 30_000).kind, 'pass');
      assert.equal(judge(figures(v(20, 0, 1, 1), v(500, 0, 900, 1000)), policy({ maxP95LatencyRatio: 1.5 }), 30_000).kind, 'breach');
    });

    it('the error rate is judged before latency', () => {
      const both = figures(v(1500, 0, 20, 50), v(500, 50, 90, 180));
      assert.match((judge(both, policy({ maxP95LatencyRatio: 1.5 }), 30_000) as { reason: string }).reason, /^error rate 10% \(50 of 500 requests\)/);
    });
  });

  it('formatFigures: one line, live first', () => {
    assert.equal(
      formatFigures(figures(v(1523, 0, 2, 4), v(498, 1, 3, 6))),
      'live 1523 req 0.00% 5xx p50 2 ms p95 4 ms; canary 498 req 0.20% 5xx p50 3 ms p95 6 ms',
    );
    assert.equal(formatFigures(figures(v(3, 0, 1, 2), v(0, 0, null, null))), 'live 3 req 0.00% 5xx p50 1 ms p95 2 ms; canary 0 req 0.00% 5xx p50 - p95 -');
  });
});
