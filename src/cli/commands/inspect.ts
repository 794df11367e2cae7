import * as path from 'node:path';
import { inspectModule, type ModuleInspection } from '../../core/gomod/inspect';
import type { CliIO } from '../io';
import type { GlobalOptions } from '../context';

export const inspectHelp = `godeploy inspect [DIR] [--json]
  Reports the Go module at DIR (default: the current folder or its nearest parent with go.mod):
  module path, go and toolchain versions, main packages, cgo, listen port, embed and go.work.
  Reads files only; never runs the module's code.`;

export async function runInspect(io: CliIO, g: GlobalOptions, args: string[], json: boolean): Promise<number> {
  const dir = args[0] ? path.resolve(g.dir, args[0]) : g.dir;
  const r = await inspectModule(dir);
  if (json) {
    io.json(inspectionJson(r));
    return 0;
  }
  io.out(formatInspection(r));
  return 0;
}

/** The stable JSON shape of `inspect --json`. */
export function inspectionJson(r: ModuleInspection): Record<string, unknown> {
  return {
    dir: r.dir,
    module: r.module,
    goVersion: r.goVersion,
    toolchain: r.toolchain,
    mains: r.mains,
    cgo: r.cgo,
    cgoReasons: r.cgoReasons,
    port: r.port,
    portSource: r.portSource,
    readsPortEnv: r.readsPortEnv,
    sdNotify: r.sdNotify,
    embed: r.embed,
    embedFiles: r.embedFiles,
    healthPath: r.healthPath,
    work: r.work,
  };
}

function formatInspection(r: ModuleInspection): string {
  const lines = [
    `module     ${r.module}`,
    `go         ${r.goVersion ?? '(not set)'}${r.toolchain ? ` (toolchain ${r.toolchain})` : ''}`,
    `mains      ${r.mains.length ? r.mains.join(', ') : '(none)'}`,
    `cgo        ${r.cgo ? `yes: ${r.cgoReasons.map((c) => `${c.file}:${c.line} ${c.reason}`).join('; ')}` : 'no'}`,
    `port       ${r.port !== null ? `${r.port} (${r.portSource?.file}:${r.portSource?.line}, ${r.portSource?.reason})` : r.readsPortEnv ? 'from $PORT (no default found)' : 'unknown'}`,
    `sd_notify  ${r.sdNotify ? `yes (${r.sdNotify.file}:${r.sdNotify.line}, ${r.sdNotify.reason})` : 'no'}`,
    `embed      ${r.embed ? `yes (${r.embedFiles.join(', ')})` : 'no'}`,
    `health     ${r.healthPath ?? 'no health route found'}`,
  ];
  if (r.work) lines.push(`go.work    ${r.work.file}: ${r.work.use.join(', ')}`);
  return lines.join('\n');
}
