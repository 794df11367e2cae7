import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import type { Finding } from '../../src/core/gomod/types';
import { analyzeMain } from '../../src/core/gomod/analyze';
import { corpusTruth, unpackCorpus } from '../support/corpus';
import { analyze, mainFiles } from '../support/mainFiles';
import { fixtureModules } from '../support/paths';

const pattern = (name: string) => path.join(fixtureModules, 'patterns', name);
const at = (f: Finding | null) => (f ? `${f.file}:${f.line}` : null);

describe('serving and ports from the syntax tree (pattern fixtures)', function () {
  this.timeout(60_000);

  it('a -port flag whose default is a constant in another file of the package', async () => {
    const r = await analyze(pattern('flag-default'));
    assert.equal(r.serve.kind, 'http');
    assert.deepEqual(r.serve.evidence.map(at), ['main.go:20']);
    assert.equal(r.port.port, 8090);
    assert.equal(at(r.port.source), 'config.go:4', 'the constant is where the default is written');
    assert.deepEqual(r.port.settings, [{ kind: 'flag', name: '-port', address: false }]);
  });

  it('an env var read through a wrapper with a fallback, reaching http.Server{Addr}', async () => {
    const r = await analyze(pattern('env-wrapper'));
    assert.equal(r.serve.kind, 'http');
    assert.match(r.serve.evidence[0].reason, /\(\*http\.Server\)\.ListenAndServe/);
    assert.equal(r.port.port, 7070);
    assert.equal(at(r.port.source), 'main.go:26');
    assert.deepEqual(r.port.settings, [{ kind: 'env', name: 'APP_PORT' }]);
  });

  it('kingpin: --listen-address with .Default(":9300") and .Envar: both hold the whole address', async () => {
    const r = await analyze(pattern('kingpin'));
    assert.equal(r.port.port, 9300);
    assert.equal(at(r.port.source), 'main.go:12');
    assert.deepEqual(r.port.settings, [
      { kind: 'flag', name: '--listen-address', address: true },
      { kind: 'env', name: 'EXPORTER_LISTEN', address: true },
    ]);
  });

  it('cobra: cmd.Flags().IntVarP(&opts.port, "port", …) reaching net.Listen and http.Serve', async () => {
    const r = await analyze(pattern('cobra'));
    assert.equal(r.serve.kind, 'http', 'http.Serve on the listener: HTTP, and the net.Listen is not counted again');
    assert.deepEqual(r.serve.evidence.map(at), ['main.go:36']);
    assert.equal(r.port.port, 8443);
    assert.equal(at(r.port.source), 'main.go:26');
    assert.deepEqual(r.port.settings, [{ kind: 'flag', name: '--port', address: false }]);
  });

  it('$PORT with a default assigned when it is empty, the route path behind a constant', async () => {
    const r = await analyze(pattern('constant-route'));
    assert.equal(r.port.port, 8000);
    assert.equal(at(r.port.source), 'main.go:15');
    assert.deepEqual(r.port.settings, [{ kind: 'env', name: 'PORT' }]);
  });

  it('gRPC: (*grpc.Server).Serve on a net.Listen listener is tcp, the -addr flag holds the address', async () => {
    const r = await analyze(pattern('grpc'));
    assert.equal(r.serve.kind, 'tcp');
    assert.deepEqual(r.serve.evidence.map(at), ['main.go:21']);
    assert.match(r.serve.evidence[0].reason, /grpc\.Server\)\.Serve/);
    assert.equal(r.port.port, 50051);
    assert.deepEqual(r.port.settings, [{ kind: 'flag', name: '-addr', address: true }]);
  });

  it('a worker that only dials: serve none, no port', async () => {
    const r = await analyze(pattern('worker'));
    assert.deepEqual(r.serve, { kind: 'none', evidence: [] });
    assert.deepEqual(r.port, { port: null, source: null, settings: [] });
  });

  it('dial addresses, URLs and docker -p arguments beside a listen call are never the port', async () => {
    const r = await analyze(pattern('dial-address'));
    assert.equal(r.port.port, 8080);
    assert.equal(at(r.port.source), 'main.go:49');
    assert.deepEqual(r.port.settings, [{ kind: 'env', name: 'PORT' }]);
    assert.deepEqual(r.serve.evidence.map(at), ['main.go:51']);
  });

  it('a fixed address: the port cannot be changed from outside', async () => {
    const r = await analyze(pattern('notfound-route'));
    assert.equal(r.port.port, 8080);
    assert.deepEqual(r.port.settings, [{ kind: 'fixed' }]);
  });

  it('generated code nested thousands deep is read without exhausting the stack', async () => {
    const text = `package main\nimport "net/http"\nvar table = ${Array(20_000).fill('"a"').join(' + ')}\nvar n = ${'('.repeat(3000)}1${')'.repeat(3000)}\nfunc main() { http.ListenAndServe(":" + "8081", nil) }\n`;
    const r = await analyzeMain([{ rel: 'main.go', text, importPath: 'example.com/x', packageName: 'main' }]);
    assert.equal(r.port.port, 8081);
  });

  it('test files, vendored files and code no main reaches are not read for ports', async () => {
    const files = await mainFiles(pattern('flag-default'));
    const listens = (port: number) => `package main\nimport "net/http"\nfunc init() { go http.ListenAndServe(":${port}", nil) }\n`;
    const r = await analyzeMain([
      ...files,
      { rel: 'main_test.go', text: listens(1111), importPath: files[0].importPath, packageName: 'main' },
      { rel: 'vendor/example.com/lib/lib.go', text: listens(2222).replace('package main', 'package lib'), importPath: 'example.com/lib', packageName: 'lib' },
      {
        rel: 'unused.go',
        text: 'package main\nimport "net/http"\nfunc neverCalled() { http.ListenAndServe(":3333", nil) }\n',
        importPath: files[0].importPath,
        packageName: 'main',
      },
    ]);
    assert.equal(r.port.port, 8090);
    assert.deepEqual(r.serve.evidence.map(at), ['main.go:20']);
  });
});

describe('sd_notify and embed facts from the same parse', function () {
  it('reading NOTIFY_SOCKET, and //go:embed patterns with their file:line', async () => {
    const notify = await analyze(path.join(fixtureModules, 'notify'));
    assert.deepEqual(notify.sdNotify, { file: 'main.go', line: 21, reason: 'reads NOTIFY_SOCKET' });
    const embed = await analyze(path.join(fixtureModules, 'embed'));
    assert.deepEqual(embed.embeds, [{ file: 'main.go', line: 8, patterns: ['static'] }]);
    assert.equal(embed.sdNotify, null);
  });
});

describe('ports through configuration libraries', function () {
  this.timeout(60_000);
  const one = (text: string) => analyzeMain([{ rel: 'main.go', text: `package main\n${text}`, importPath: 'example.com/x', packageName: 'main' }]);

  it('viper: a key bound to a cobra flag, with AutomaticEnv, a prefix and a key replacer', async () => {
    const r = await one(`import (
	"fmt"
	"net/http"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

var root = &cobra.Command{Use: "app", RunE: func(*cobra.Command, []string) error {
	return http.ListenAndServe(fmt.Sprintf(":%d", viper.GetInt("server.port")), nil)
}}

func init() {
	root.PersistentFlags().Int("port", 8080, "port to listen on")
	viper.BindPFlag("server.port", root.PersistentFlags().Lookup("port"))
	viper.SetEnvPrefix("app")
	viper.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	viper.AutomaticEnv()
}

func main() { root.Execute() }`);
    assert.equal(r.port.port, 8080);
    assert.deepEqual(r.port.settings, [
      { kind: 'flag', name: '--port', address: false },
      { kind: 'env', name: 'APP_SERVER_PORT' },
    ]);
  });

  it('struct tags read by an env library (envconfig default and variable)', async () => {
    const r = await one(`import (
	"fmt"
	"net/http"

	"github.com/kelseyhightower/envconfig"
)

type spec struct {
	Port int \`envconfig:"PORT" default:"9000"\`
}

func main() {
	var s spec
	envconfig.Process("", &s)
	http.ListenAndServe(fmt.Sprintf(":%d", s.Port), nil)
}`);
    assert.equal(r.port.port, 9000);
    assert.equal(at(r.port.source), 'main.go:10', 'the tag holds the default');
    assert.deepEqual(r.port.settings, [{ kind: 'env', name: 'PORT' }]);
  });

  it('urfave/cli: c.String("listen") reads the StringFlag of that name, with its EnvVars', async () => {
    const r = await one(`import (
	"net/http"
	"os"

	"github.com/urfave/cli/v2"
)

func main() {
	app := &cli.App{
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "workers", Value: 4},
			&cli.StringFlag{Name: "listen", Value: ":7000", EnvVars: []string{"SVC_LISTEN"}},
		},
		Action: func(c *cli.Context) error { return http.ListenAndServe(c.String("listen"), nil) },
	}
	app.Run(os.Args)
}`);
    assert.equal(r.port.port, 7000);
    assert.deepEqual(r.port.settings, [
      { kind: 'flag', name: '--listen', address: true },
      { kind: 'env', name: 'SVC_LISTEN', address: true },
    ]);
  });

  it('a default in a struct that a config decoder fills is not called fixed', async () => {
    const r = await one(`import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
)

type config struct{ Port int }

func main() {
	cfg := config{Port: 8080}
	data, _ := os.ReadFile("config.json")
	_ = json.Unmarshal(data, &cfg)
	http.ListenAndServe(fmt.Sprintf(":%d", cfg.Port), nil)
}`);
    assert.equal(r.port.port, 8080);
    assert.deepEqual(r.port.settings, []);
    assert.match(r.port.source?.reason ?? '', /json\.Unmarshal\(…\) may change it at run time/);
  });

  it('a struct of the program that embeds *http.Server, made by a function: its Addr and routes', async () => {
    const r = await one(`import (
	"net/http"
	"os"
)

type Server struct {
	*http.Server
	name string
}

func newServer() *Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {})
	port := os.Getenv("PORT")
	if port == "" {
		port = "8088"
	}
	return &Server{Server: &http.Server{Addr: ":" + port, Handler: mux}, name: "x"}
}

func main() { newServer().ListenAndServe() }`);
    assert.equal(r.serve.kind, 'http');
    assert.equal(r.port.port, 8088);
    assert.deepEqual(r.port.settings, [{ kind: 'env', name: 'PORT' }]);
    assert.equal(r.health.path, '/healthz');
  });

  it('an address literal handed to an unknown library that listens: the port, but not called fixed', async () => {
    const r = await one(`import (
	"net/http"

	"example.com/lib/web"
)

func main() {
	flags := web.AddListenFlags(":9200")
	web.ListenAndServe(&http.Server{}, flags)
}`);
    assert.equal(r.serve.kind, 'http');
    assert.equal(r.port.port, 9200);
    assert.deepEqual(r.port.settings, [], 'the library decides how it is set');
  });

  it('a loopback listen address is said to be one', async () => {
    const r = await one(`import ("flag"; "net/http")
var addr = flag.String("listen", "127.0.0.1:4000", "")
func main() { flag.Parse(); http.ListenAndServe(*addr, nil) }`);
    assert.equal(r.port.port, 4000);
    assert.match(r.port.source?.reason ?? '', /loopback only/);
  });
});

describe('serving and ports on the corpus (truth.json)', function () {
  this.timeout(120_000);
  const truth = corpusTruth();

  it('go-httpbin: -port flag with the defaultListenPort constant, then $PORT', async () => {
    const r = await analyze(await unpackCorpus('go-httpbin'), truth['go-httpbin'].server);
    assert.equal(r.serve.kind, 'http');
    assert.deepEqual(r.serve.evidence.map(at), ['httpbin/cmd/cmd.go:283', 'httpbin/cmd/cmd.go:286']);
    assert.equal(r.port.port, truth['go-httpbin'].port);
    assert.equal(at(r.port.source), 'httpbin/cmd/cmd.go:26');
    assert.deepEqual(r.port.settings, [
      { kind: 'flag', name: '-port', address: false },
      { kind: 'env', name: 'PORT' },
    ]);
  });

  it('whoami: -port flag whose default is getEnv("WHOAMI_PORT_NUMBER", "80"); never PORT', async () => {
    const r = await analyze(await unpackCorpus('whoami'), truth.whoami.server);
    assert.equal(r.serve.kind, 'http', 'the gRPC server is mounted on the HTTP mux, not served on a listener');
    assert.deepEqual(r.serve.evidence.map(at), ['app.go:100', 'app.go:115']);
    assert.equal(r.port.port, truth.whoami.port);
    assert.equal(at(r.port.source), 'app.go:62');
    assert.deepEqual(r.port.settings, [
      { kind: 'flag', name: '-port', address: false },
      { kind: 'env', name: 'WHOAMI_PORT_NUMBER' },
    ]);
  });

  it('node_exporter: ":9100" given to exporter-toolkit as the --web.listen-address default', async () => {
    const r = await analyze(await unpackCorpus('node_exporter'), truth.node_exporter.server);
    assert.equal(r.serve.kind, 'http');
    assert.deepEqual(r.serve.evidence.map(at), ['node_exporter.go:247']);
    assert.equal(r.port.port, truth.node_exporter.port);
    assert.equal(at(r.port.source), 'node_exporter.go:203');
    assert.deepEqual(r.port.settings, [{ kind: 'flag', name: '--web.listen-address', address: true }]);
  });

  it('litestream: listens only where its config file says (port unknown); 9000 from a test helper is never taken', async () => {
    const t = truth.litestream;
    const r = await analyze(await unpackCorpus('litestream'), t.server);
    assert.equal(r.port.port, t.port);
    assert.ok(!t.notPort.includes(r.port.port as number));
    assert.deepEqual(r.port.settings, []);
    assert.ok(
      r.serve.evidence.every((e) => e.file.startsWith('cmd/litestream/')),
      'the unix control socket in server.go is not a network listener',
    );
    assert.ok(
      r.serve.evidence.every((e) => /not known before run time/.test(e.reason)),
      JSON.stringify(r.serve.evidence),
    );
  });
});
