import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import Handlebars from 'handlebars';
import type { ConfigDiagnostic } from '../config/diagnostic';
import { GoDeployError, ExitCode, type SourceLocation } from '../errors';
import type { GenerateModel } from './model';

/**
 * User overrides of the built-in generators: Handlebars templates in the `templates:`
 * folder, rendered with the same model plus `builtin` (the built-in output, to wrap or
 * extend). Strict mode: a misspelt field is an error, not an empty string. No helpers
 * beyond Handlebars' own are registered, so a template cannot run code.
 */
export async function readTemplate(dir: string, name: string): Promise<{ file: string; source: string } | undefined> {
  const file = path.join(dir, name);
  try {
    return { file, source: await fs.readFile(file, 'utf8') };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export function renderTemplate(file: string, source: string, model: GenerateModel, builtin: string): string {
  const env = Handlebars.create();
  let template: Handlebars.TemplateDelegate;
  try {
    template = env.compile(source, { strict: true, noEscape: true });
    return template({ ...model, builtin });
  } catch (e) {
    throw templateError(file, source, e as Error & { lineNumber?: number; column?: number });
  }
}

function templateError(file: string, source: string, e: Error & { lineNumber?: number; column?: number }): GoDeployError {
  const first = e.message.split('\n')[0];
  let location: SourceLocation = { file, line: 1, col: 1 };
  let message = first;
  if (e.lineNumber !== undefined) {
    // Runtime errors in strict mode: `"x" not defined in … - LINE:COL` (column 0-based).
    location = { file, line: e.lineNumber, col: (e.column ?? 0) + 1 };
    const field = /^"([^"]+)" not defined/.exec(first)?.[1];
    message = field ? `unknown field "${field}" in the template` : first.replace(/ - \d+:\d+$/, '');
  } else {
    const m = /^Parse error on line (\d+):/.exec(first);
    if (m) {
      location = locateParseError(file, source, Number(m[1]), e.message);
      const got = /got '([A-Z_]+)'/.exec(e.message)?.[1] ?? '';
      const what: Record<string, string> = {
        EOF: 'the file ends inside an open block or expression: close every {{#…}} with {{/…}}',
        INVALID: 'an unexpected character: expressions are closed with }}',
        OPEN_ENDBLOCK: 'a closing {{/…}} without its opening {{#…}}',
      };
      message = `template syntax error: ${what[got] ?? `unexpected ${got.toLowerCase().replace(/_/g, ' ') || 'input'}`}`;
    }
  }
  return new GoDeployError(message, {
    location,
    exitCode: ExitCode.usage,
    hint: 'fix the template (Handlebars syntax; fields are those of the generator model, plus `builtin`); nothing was written',
  });
}

/**
 * Handlebars' parser prints the last ≤20 characters it read (newlines removed) and a caret
 * after them; find that text in the source, ending on the reported line, for the column.
 */
function locateParseError(file: string, source: string, line: number, message: string): SourceLocation {
  const [, excerpt = '', caret = ''] = message.split('\n');
  const past = excerpt.slice(0, Math.max(0, caret.indexOf('^'))).replace(/^\.\.\./, '');
  const stripped: number[] = []; // stripped index -> original offset
  let flat = '';
  for (let i = 0; i < source.length; i++) {
    if (source[i] === '\n') continue;
    stripped.push(i);
    flat += source[i];
  }
  const lineOf = (offset: number) => source.slice(0, offset).split('\n').length;
  let best: number | undefined;
  for (let at = flat.indexOf(past); at >= 0 && past; at = flat.indexOf(past, at + 1)) {
    const end = at + past.length < stripped.length ? stripped[at + past.length] : source.length;
    if (best === undefined || lineOf(end) === line) best = end;
    if (lineOf(end) === line) break;
  }
  if (best === undefined) return { file, line, col: 1 };
  const l = lineOf(best);
  return { file, line: l, col: best - (source.lastIndexOf('\n', best - 1) + 1) + 1 };
}

/**
 * Checks a templates folder for `validate`: it exists, every known template parses, and
 * no file is misnamed (a `.hbs` Go Deploy would never read is almost certainly a typo).
 */
export async function checkTemplates(dir: string, known: readonly string[], configLocation: SourceLocation): Promise<ConfigDiagnostic[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [
      {
        ...configLocation,
        endLine: configLocation.line,
        endCol: configLocation.col + 1,
        severity: 'error',
        path: 'templates',
        message: `templates: folder ${dir} does not exist`,
        hint: 'create it, or remove the templates key',
      },
    ];
  }
  const out: ConfigDiagnostic[] = [];
  for (const name of names.filter((n) => n.endsWith('.hbs')).sort()) {
    const file = path.join(dir, name);
    if (!known.includes(name)) {
      out.push({
        file,
        line: 1,
        col: 1,
        endLine: 1,
        endCol: 1,
        severity: 'warning',
        path: '',
        message: `${name} is not a template Go Deploy uses`,
        hint: `template names: ${known.join(', ')}`,
      });
      continue;
    }
    const source = await fs.readFile(file, 'utf8');
    try {
      Handlebars.create().precompile(source, { strict: true });
    } catch (e) {
      const err = templateError(file, source, e as Error);
      const at = err.location ?? { file, line: 1, col: 1 };
      out.push({ ...at, endLine: at.line, endCol: at.col + 1, severity: 'error', path: '', message: err.message, hint: err.hint });
    }
  }
  return out;
}
