// godeploy-probe: a container health check for images that have no shell or HTTP client
// (scratch, distroless). A few lines of Go using only net and bufio (no net/http, so about
// 1.5 MB), built here with the user's own Go toolchain for the engine's platform, copied
// into the image beside the service and run by the engine: `godeploy-probe URL` exits 0
// when GET URL answers 2xx within 5 s (tcp://HOST:PORT: when it accepts a connection).
// Swarm's rolling updates watch the result. Packed alone in a tiny image (probeImage.ts), it
// also checks a container's port from inside the container's own network.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { goBuild } from '../../build/goBuild';
import { GoDeployError } from '../../errors';

export const PROBE_NAME = 'godeploy-probe';

export const PROBE_SOURCE = `// godeploy-probe URL: exit 0 when GET URL (http://host:port/path) answers 2xx within 5 s,
// or, for tcp://host:port, when host:port accepts a TCP connection within 5 s. Why not is
// printed on stderr.
package main

import (
	"bufio"
	"net"
	"os"
	"strings"
	"time"
)

func fail(why string) {
	os.Stderr.WriteString(why + "\\n")
	os.Exit(1)
}

func main() {
	if len(os.Args) != 2 || !(strings.HasPrefix(os.Args[1], "http://") || strings.HasPrefix(os.Args[1], "tcp://")) {
		os.Stderr.WriteString("usage: godeploy-probe http://HOST:PORT/PATH | tcp://HOST:PORT\\n")
		os.Exit(2)
	}
	if strings.HasPrefix(os.Args[1], "tcp://") {
		c, err := net.DialTimeout("tcp", strings.TrimSuffix(strings.TrimPrefix(os.Args[1], "tcp://"), "/"), 5*time.Second)
		if err != nil {
			fail(err.Error())
		}
		c.Close()
		return
	}
	rest := strings.TrimPrefix(os.Args[1], "http://")
	host, path := rest, "/"
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		host, path = rest[:i], rest[i:]
	}
	c, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		fail(err.Error())
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("GET " + path + " HTTP/1.0\\r\\nHost: " + host + "\\r\\nUser-Agent: godeploy-probe\\r\\n\\r\\n")); err != nil {
		os.Exit(1)
	}
	line, err := bufio.NewReader(c).ReadString('\\n')
	if err != nil {
		os.Exit(1)
	}
	f := strings.Fields(line)
	if len(f) < 2 || len(f[1]) != 3 || f[1][0] != '2' {
		fail(strings.TrimSpace(line))
	}
}
`;

/** Builds the probe for `platform` (linux/amd64) into `outDir`, reusing an earlier build of the same source; returns its path. */
export async function buildProbe(platform: string, outDir: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const [goos, goarch] = platform.split('/');
  const digest = createHash('sha256').update(PROBE_SOURCE).digest('hex').slice(0, 12);
  const out = path.join(outDir, `${PROBE_NAME}-${digest}_${goos}_${goarch}`);
  if (
    await fs.stat(out).then(
      (s) => s.size > 0,
      () => false,
    )
  )
    return out;
  const src = path.join(outDir, `.${PROBE_NAME}-src-${digest}`);
  await fs.mkdir(src, { recursive: true });
  await fs.writeFile(path.join(src, 'go.mod'), 'module godeploy.dev/probe\n\ngo 1.18\n');
  await fs.writeFile(path.join(src, 'main.go'), PROBE_SOURCE);
  const tmp = `${out}.tmp-${process.pid}`;
  const r = await goBuild(
    'go',
    ['build', '-trimpath', '-ldflags=-s -w -buildid=', '-o', tmp, '.'],
    src,
    { ...env, CGO_ENABLED: '0', GOOS: goos, GOARCH: goarch, GOFLAGS: '-mod=mod', GOPROXY: 'off', GOWORK: 'off' },
    new AbortController().signal,
  );
  if (r.code !== 0)
    throw new GoDeployError(`building ${PROBE_NAME} for ${platform} failed: ${r.output.trim()}`, {
      hint: 'the health probe is built with your Go toolchain; check that `go build` works here',
    });
  await fs.rename(tmp, out);
  return out;
}
