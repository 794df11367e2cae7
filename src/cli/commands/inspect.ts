import * as path from 'node:path';
import { formatInspection, inspectModule, type ModuleInspection } from '../../core';
import type { CliIO } from '../io';
import { requireFolder, requireNoExtraArgs, type GlobalOptions } from '../context';
import { defineCommand, jsonOption } from '../spec';

export const inspectCommand = defineCommand({
  name: 'inspect',
  positionals: '[DIR]',
  summary: 'report what Go Deploy sees in the module',
  options: [{ ...jsonOption, description: "print the module's facts as JSON" }],
  help: `Reports the Go module at DIR (default: the current folder or its nearest parent with go.mod):
module path, go and toolchain versions, and for each main package: how it serves, its port and
how the port is set (a flag or an environment variable), a health path that answers 2xx, cgo,
and the arguments it runs with, each with the file:line it was found at. Packages and files are
the ones Go compiles for linux/amd64: \`go list\` answers where the Go toolchain can (offline),
else the build constraints are read from the files. Never runs the module's code.`,
  examples: [
    { line: 'godeploy inspect', comment: 'the module here: its main packages, ports, health paths, cgo' },
    { line: 'godeploy inspect ./services/api --json', comment: "another module's facts, as JSON" },
  ],
  run: async (io, g, args, o) => {
    if (args[0] !== undefined) await requireFolder(path.resolve(g.dir, args[0]), 'inspect');
    if (args.length > 1) requireNoExtraArgs('inspect', args.slice(1));
    return runInspect(io, g, args, o.json);
  },
});

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

/** The stable JSON shape of `inspect --json`: the module's facts, the deployed main's at the top, each main's in mainPackages. */
export function inspectionJson(r: ModuleInspection): Record<string, unknown> {
  return {
    dir: r.dir,
    module: r.module,
    goVersion: r.goVersion,
    toolchain: r.toolchain,
    targets: r.targets,
    via: r.via,
    viaReason: r.viaReason,
    mains: r.mains,
    main: r.main,
    cgo: r.cgo,
    cgoReasons: r.cgoReasons,
    port: r.port,
    portSource: r.portSource,
    readsPortEnv: r.readsPortEnv,
    sdNotify: r.sdNotify,
    embed: r.embed,
    embedFiles: r.embedFiles,
    healthPath: r.healthPath,
    vendored: r.vendored,
    localReplaces: r.localReplaces,
    work: r.work,
    mainPackages: r.mainPackages,
  };
}
