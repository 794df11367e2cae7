/**
 * The arguments that start a program's long-running part, for programs with subcommands
 * (`litestream replicate`, `registry serve`): the one subcommand whose code waits for signals
 * or serves. Found in the main package: a `switch` over string cases (os.Args dispatch), cobra
 * `Command{Use: …}` and urfave/cli `Command{Name: …}` literals. Only package functions and
 * function literals are followed from a subcommand's body (methods would need types), a few
 * calls deep. Several or no long-running subcommands: null (run bare).
 */
import { Program } from './program';
import { child, descendants, stringValue, text, type GoNode, type ParsedFile } from './syntax';
import type { Finding } from './types';
import type { SourceFile } from './analyze';

/** Calls that make a program long-running: waiting for signals, or serving. */
const longRunning = new Map<string, Set<string>>([
  ['os/signal', new Set(['Notify', 'NotifyContext'])],
  ['net/http', new Set(['ListenAndServe', 'ListenAndServeTLS', 'Serve', 'ServeTLS'])],
  ['net', new Set(['Listen', 'ListenTCP', 'ListenUnix', 'ListenPacket', 'ListenUDP'])],
]);
const serveMethods = new Set(['ListenAndServe', 'ListenAndServeTLS', 'Serve', 'ServeTLS']);

interface Subcommand {
  name: string;
  body: GoNode;
  file: ParsedFile;
  at: GoNode;
}

export async function findStartArgs(files: SourceFile[], mainImportPath: string): Promise<{ args: string[]; source: Finding } | null> {
  const mainFiles = files.filter((f) => f.importPath === mainImportPath);
  if (!mainFiles.length) return null;
  const program = await Program.load(mainFiles);
  const pkg = program.pkgs.get(mainImportPath);
  if (!pkg) return null;
  const subcommands = pkg.files.flatMap((f) => [...switchCases(f), ...commandLiterals(f)]);
  const running = subcommands.filter((s) => reachesLongRunning(s.body, s.file, pkg.funcs, program, new Set(), 0));
  const names = [...new Set(running.map((s) => s.name))];
  if (names.length !== 1) return null;
  const s = running[0];
  return { args: [s.name], source: program.finding(s.at, `subcommand "${s.name}" waits for signals or serves`) };
}

/** `switch x { case "a": … case "b": … }` with string cases: each case a subcommand. */
function switchCases(f: ParsedFile): Subcommand[] {
  const out: Subcommand[] = [];
  for (const sw of descendants(f.root, 'expression_switch_statement')) {
    const cases = sw.children.filter((c) => c.type === 'expression_case');
    const labelled = cases.map((c) => ({ c, values: (child(c, 'value')?.children ?? []).map((v) => stringValue(f.text, v)) }));
    if (labelled.filter((l) => l.values.length && l.values.every((v) => v !== null && /^[a-z][a-z0-9-]*$/.test(v))).length < 2) continue;
    for (const { c, values } of labelled) for (const v of values) if (v) out.push({ name: v, body: c, file: f, at: c });
  }
  return out;
}

/** cobra `&cobra.Command{Use: "serve …", RunE: …}`, urfave/cli `&cli.Command{Name: "serve", Action: …}`. */
function commandLiterals(f: ParsedFile): Subcommand[] {
  const out: Subcommand[] = [];
  for (const lit of descendants(f.root, 'composite_literal')) {
    const type = child(lit, 'type');
    if (!type || !/(^|\.)Command$/.test(text(f.text, type))) continue;
    let name: string | null = null;
    for (const kv of descendants(child(lit, 'body') ?? lit, 'keyed_element', (n) => n.type !== 'composite_literal' || n === lit)) {
      const [key, value] = kv.children.filter((c) => c.type !== ':' && c.type !== 'comment');
      const k = key ? text(f.text, key).trim() : '';
      const v = value ? (stringValue(f.text, value.children[0] ?? value) ?? stringValue(f.text, value)) : null;
      if ((k === 'Use' || k === 'Name') && v) name = v.split(/\s+/)[0];
    }
    if (name && /^[a-z][a-z0-9-]*$/.test(name)) out.push({ name, body: lit, file: f, at: lit });
  }
  return out;
}

function reachesLongRunning(body: GoNode, f: ParsedFile, funcs: Map<string, GoNode>, program: Program, seen: Set<GoNode>, depth: number): boolean {
  for (const call of descendants(body, 'call_expression')) {
    const fn = child(call, 'function');
    if (!fn) continue;
    if (fn.type === 'selector_expression') {
      const operand = child(fn, 'operand');
      const field = child(fn, 'field');
      const name = field ? text(f.text, field) : '';
      const imported = operand?.type === 'identifier' ? f.imports.get(text(f.text, operand)) : undefined;
      if (imported && longRunning.get(imported)?.has(name)) return true;
      if (!imported && serveMethods.has(name)) return true;
    } else if (fn.type === 'identifier' && depth < 3) {
      const decl = funcs.get(text(f.text, fn));
      if (decl && !seen.has(decl)) {
        seen.add(decl);
        if (reachesLongRunning(decl, program.file(decl), funcs, program, seen, depth + 1)) return true;
      }
    }
  }
  return false;
}
