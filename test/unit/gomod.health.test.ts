import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import type { Finding } from '../../src/core/gomod/types';
import { analyzeMain } from '../../src/core/gomod/analyze';
import { corpusTruth, unpackCorpus } from '../support/corpus';
import { analyze, mainFiles } from '../support/mainFiles';
import { fixtureModules } from '../support/paths';

const pattern = (name: string) => path.join(fixtureModules, 'patterns', name);
const at = (f: Finding | null) => (f ? `${f.file}:${f.line}` : null);
const one = (text: string) => analyzeMain([{ rel: 'main.go', text: `package main\n${text}`, importPath: 'example.com/x', packageName: 'main' }]);

describe('health routes from the syntax tree (pattern fixtures)', function () {
  this.timeout(60_000);

  it('a route named by a constant of another package, on a method handler', async () => {
    const r = await analyze(pattern('constant-route'));
    assert.equal(r.health.path, '/health');
    assert.equal(at(r.health.source), 'internal/server/server.go:15');
  });

  it('look-alikes that cannot answer 2xx are rejected with why; the root page is the fallback', async () => {
    const r = await analyze(pattern('notfound-route'));
    assert.equal(r.health.path, null);
    assert.deepEqual(r.health.rejected, [
      { file: 'main.go', line: 24, reason: '/status: registered with http.NotFound' },
      { file: 'main.go', line: 25, reason: '/healthz: registered with http.NotFoundHandler()' },
      { file: 'main.go', line: 26, reason: '/ready: redirects (http.RedirectHandler, http.StatusFound)' },
      { file: 'main.go', line: 27, reason: '/health: unavailable answers 503' },
    ]);
    assert.equal(r.health.fallback?.path, '/');
    assert.equal(at(r.health.fallback?.source ?? null), 'main.go:28');
  });

  it('a ServeMux method pattern (go 1.22 in go.mod): "POST /health" is not GET-able, "GET /livez" is', async () => {
    const r = await analyze(pattern('env-wrapper'));
    assert.equal(r.health.path, '/livez');
    assert.deepEqual(r.health.rejected, [{ file: 'main.go', line: 20, reason: '/health: registered for POST only' }]);
  });

  it('with go 1.21 in go.mod, "GET /livez" is a pattern for a host named "GET ", never matched by a health check', async () => {
    const r = await analyzeMain(await mainFiles(pattern('env-wrapper')), { goVersion: '1.21' });
    assert.equal(r.health.path, null);
    assert.deepEqual(r.health.rejected, []);
  });

  it('chi: r.Route("/debug", …) prefixes its routes, a Mount-ed router from another package gets the mount prefix', async () => {
    const r = await analyze(pattern('chi-prefix'));
    assert.equal(r.health.path, '/debug/health');
    assert.equal(at(r.health.source), 'main.go:28');
    assert.deepEqual(
      r.health.candidates.map((c) => [c.path, at(c.source)]),
      [
        ['/debug/health', 'main.go:28'],
        ['/api/ready', 'internal/api/api.go:12'],
      ],
    );
  });

  it('a kingpin flag default as a route path, and an exporter-style /-/healthy', async () => {
    const r = await analyze(pattern('kingpin'));
    assert.equal(r.health.path, '/-/healthy');
  });

  it('a route on an admin listener is not offered for the main listener`s port', async () => {
    const r = await analyze(pattern('two-listeners'));
    assert.equal(r.port.port, 8080, 'the listener in a goroutine is the side one');
    assert.equal(r.health.path, null);
    assert.deepEqual(r.health.rejected, [
      { file: 'main.go', line: 12, reason: '/healthz: served by another listener (main.go:16), not the one on the reported port' },
    ]);
    assert.equal(r.health.fallback?.path, '/');
  });

  it('gRPC and workers have no HTTP health path', async () => {
    for (const name of ['grpc', 'worker']) {
      const r = await analyze(pattern(name));
      assert.equal(r.health.path, null, name);
      assert.equal(r.health.fallback, null, name);
    }
  });

  it('handlers: a conditional error before a 200 can answer 2xx; an unconditional error cannot', async () => {
    const ok = await one(`import "net/http"
func h(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "no", http.StatusMethodNotAllowed)
		return
	}
	w.WriteHeader(204)
}
func main() { http.HandleFunc("/healthz", h); http.ListenAndServe(":1", nil) }`);
    assert.equal(ok.health.path, '/healthz');
    const bad = await one(`import "net/http"
func h(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusServiceUnavailable)
	w.Write([]byte("down"))
}
func main() { http.HandleFunc("/healthz", h); http.ListenAndServe(":1", nil) }`);
    assert.equal(bad.health.path, null);
    assert.deepEqual(
      bad.health.rejected.map((f) => f.reason),
      ['/healthz: h answers 503'],
    );
  });

  it('gin and echo groups, with the router identified by its import path under an alias', async () => {
    const gin = await one(`import (
	web "github.com/gin-gonic/gin"
	"net/http"
)
func main() {
	r := web.Default()
	v1 := r.Group("/api/v1")
	v1.GET("/healthz", func(c *web.Context) { c.JSON(http.StatusOK, nil) })
	v1.POST("/health", func(c *web.Context) { c.Status(200) })
	r.Run(":9000")
}`);
    assert.equal(gin.serve.kind, 'http');
    assert.equal(gin.port.port, 9000);
    assert.equal(gin.health.path, '/api/v1/healthz');
    const echo = await one(`import "github.com/labstack/echo/v4"
func main() {
	e := echo.New()
	g := e.Group("/internal")
	g.GET("/ping", func(c echo.Context) error { return c.NoContent(204) })
	e.GET("/status", func(c echo.Context) error { return c.String(500, "down") })
	e.Logger.Fatal(e.Start(":1323"))
}`);
    assert.equal(echo.port.port, 1323);
    assert.equal(echo.health.path, '/internal/ping');
    assert.deepEqual(
      echo.health.rejected.map((f) => f.reason),
      ['/status: func literal answers 500'],
    );
  });

  it('gin Run() without an address: $PORT, else :8080 (gin`s own rule)', async () => {
    const r = await one(`import "github.com/gin-gonic/gin"
func main() { r := gin.New(); r.Run() }`);
    assert.equal(r.port.port, 8080);
    assert.deepEqual(r.port.settings, [{ kind: 'env', name: 'PORT' }]);
  });
});

describe('health routes on the corpus (truth.json)', function () {
  this.timeout(120_000);
  const truth = corpusTruth();

  it('go-httpbin: /status is http.NotFound, /status/ answers by the rest of the path; the root page answers', async () => {
    const t = truth['go-httpbin'];
    const r = await analyze(await unpackCorpus('go-httpbin'), t.server);
    assert.equal(r.health.path, null);
    assert.deepEqual(r.health.rejected, [
      { file: 'httpbin/httpbin.go', line: 172, reason: '/status/: a subtree route whose handler answers by the rest of the path' },
      { file: 'httpbin/httpbin.go', line: 196, reason: '/status: registered with http.NotFound' },
    ]);
    assert.equal(r.health.fallback?.path, '/');
    assert.ok(t.healthAccept.includes(r.health.fallback?.path as string));
    assert.equal(at(r.health.fallback?.source ?? null), 'httpbin/httpbin.go:127');
  });

  it('whoami: /health through a wrapper handler', async () => {
    const t = truth.whoami;
    const r = await analyze(await unpackCorpus('whoami'), t.server);
    assert.equal(r.health.path, t.healthPath);
    assert.equal(at(r.health.source), 'app.go:87');
  });

  it('node_exporter: no health route (no /-/healthy); the landing page "/" is the fallback', async () => {
    const t = truth.node_exporter;
    const r = await analyze(await unpackCorpus('node_exporter'), t.server);
    assert.equal(r.health.path, null);
    assert.ok(!t.notHealth.includes(r.health.fallback?.path as string));
    assert.equal(r.health.fallback?.path, '/');
    assert.equal(at(r.health.fallback?.source ?? null), 'node_exporter.go:243');
  });

  it('litestream: no health path and no fallback (its listeners take their address from the config file)', async () => {
    const t = truth.litestream;
    const r = await analyze(await unpackCorpus('litestream'), t.server);
    assert.equal(r.health.path, t.healthPath);
    assert.equal(r.health.fallback, null);
  });
});
