// The health gate's polling: quick first checks (10, 20, 40, then 50 ms for 2 s), then the
// configured interval, against a real HTTP server on loopback through the local runner.
import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pollDelay, waitHealthy } from '../../src/core/release/health';
import { localRunner } from '../../src/core/remote/hostRunner';

describe('health gate polling', () => {
  it('waits 10, 20, 40 ms, then 50 ms for the first 2 s, then the interval; never longer than the interval', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((a) => pollDelay(a, 1000, a * 30)),
      [10, 20, 40, 50, 50, 50],
    );
    assert.deepEqual(
      [1, 5, 40].map((a) => pollDelay(a, 1000, 2000)),
      [1000, 1000, 1000],
    );
    assert.deepEqual(
      [1, 2, 3, 4].map((a) => pollDelay(a, 25, 0)),
      [10, 20, 25, 25],
    );
    assert.equal(pollDelay(3, 5000, 1999), 40);
  });

  describe('against a server that answers 503 three times, then 200', () => {
    let server: Server;
    let port: number;
    let requests = 0;
    before(async () => {
      server = createServer((_req, res) => {
        requests++;
        res.writeHead(requests <= 3 ? 503 : 200).end();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as AddressInfo).port;
    });
    after(() => new Promise<void>((r) => server.close(() => r())));

    it('passes on the fourth check within a 2 s timeout, which checks every 1 s interval could not', async () => {
      const seen: string[] = [];
      const h = await waitHealthy(localRunner(), { port, path: '/healthz', timeoutMs: 2000, intervalMs: 1000, onAttempt: (_, last) => seen.push(last) });
      assert.deepEqual(
        [h.healthy, h.attempts, h.last, seen],
        [true, 4, '200 OK', ['503 Service Unavailable', '503 Service Unavailable', '503 Service Unavailable']],
      );
    });
  });
});
