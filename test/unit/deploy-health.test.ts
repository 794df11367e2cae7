// The health gate's polling: quick first checks (10 ms, doubling) capped at the configured
// interval, against a real HTTP server on loopback through the local runner.
import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pollDelay, waitHealthy } from '../../src/core/deploy/health';
import { localRunner } from '../../src/core/deploy/hostRunner';

describe('health gate polling', () => {
  it('waits 10 ms after the first failed check, doubling up to the interval', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 9].map((a) => pollDelay(a, 1000)), [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    assert.deepEqual([1, 2, 3, 4, 5].map((a) => pollDelay(a, 100)), [10, 20, 40, 80, 100]);
    assert.equal(pollDelay(1000, 2000), 2000);
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
      assert.deepEqual([h.healthy, h.attempts, h.last, seen], [true, 4, '200 OK', ['503 Service Unavailable', '503 Service Unavailable', '503 Service Unavailable']]);
    });
  });
});
