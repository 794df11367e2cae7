/**
 * Source analysis of one main: the files Go compiles for its import graph are parsed once and
 * shared by the analyzers (serving, port, health, sd_notify, embed).
 */
import type { Finding, PortFacts, ServeFacts } from './types';
import { healthFacts, type HealthAnalysis } from './health';
import { choosePort } from './ports';
import { Program } from './program';
import { findServeCalls, serveFacts } from './serve';
import { descendants, stringValue, type SourceFile } from './syntax';
import { Values } from './values';

export type { SourceFile } from './syntax';

export interface EmbedDirective {
  file: string;
  line: number;
  patterns: string[];
}

export interface MainSourceFacts {
  serve: ServeFacts;
  port: PortFacts;
  health: HealthAnalysis;
  sdNotify: Finding | null;
  embeds: EmbedDirective[];
}

/** Packages that implement sd_notify. */
const sdNotifyPackages = [
  'github.com/coreos/go-systemd/daemon',
  'github.com/coreos/go-systemd/v22/daemon',
  'github.com/okzk/sdnotify',
  'github.com/iguanesolutions/go-systemd/v5/notify',
  'github.com/mdlayher/sdnotify',
];

export interface AnalyzeOptions {
  /** go.mod's go directive ("1.22", "1.25.0"): net/http's method and wildcard patterns ("GET /health") exist from 1.22. Default: they do. */
  goVersion?: string | null;
}

/** Analyzes the compiled (non-test) files of one main's import graph. Vendored files are ignored. */
export async function analyzeMain(files: SourceFile[], options: AnalyzeOptions = {}): Promise<MainSourceFacts> {
  const program = await Program.load(files);
  const values = new Values(program);
  const calls = findServeCalls(program, values);
  const port = choosePort(calls);
  return {
    serve: serveFacts(calls),
    port: port.facts,
    health: healthFacts(program, values, calls, port.call, enhancedPatterns(options.goVersion)),
    sdNotify: sdNotify(program),
    embeds: embeds(program),
  };
}

/** Go 1.22 turned on ServeMux's enhanced patterns for modules that say go 1.22 or later (GODEBUG httpmuxgo121). */
function enhancedPatterns(goVersion: string | null | undefined): boolean {
  const m = goVersion ? /^1\.(\d+)/.exec(goVersion) : null;
  return m ? Number(m[1]) >= 22 : true;
}

function sdNotify(program: Program): Finding | null {
  for (const f of program.files) {
    const imp = f.importList.find((i) => sdNotifyPackages.some((p) => i.path === p || i.path.startsWith(`${p}/`)));
    if (imp) return { file: f.rel, line: imp.line, reason: `imports ${imp.path}` };
  }
  for (const f of program.files) {
    if (!f.text.includes('NOTIFY_SOCKET')) continue;
    const lit = descendants(f.root, ['interpreted_string_literal', 'raw_string_literal']).find((n) => stringValue(f.text, n) === 'NOTIFY_SOCKET');
    if (lit) return { file: f.rel, line: lit.line, reason: 'reads NOTIFY_SOCKET' };
  }
  return null;
}

/** //go:embed directives (patterns as written; quoted patterns unquoted). */
function embeds(program: Program): EmbedDirective[] {
  const out: EmbedDirective[] = [];
  for (const f of program.files) {
    f.text.split('\n').forEach((line, i) => {
      const m = /^\/\/go:embed\s+(.*)$/.exec(line.trim());
      if (m) out.push({ file: f.rel, line: i + 1, patterns: [...m[1].matchAll(/"((?:[^"\\]|\\.)*)"|`([^`]*)`|(\S+)/g)].map((x) => x[1] ?? x[2] ?? x[3]) });
    });
  }
  return out;
}
