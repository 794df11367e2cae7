/** go.mod and go.work parsing: just the directives Go Deploy needs, with their line numbers. */

export interface Requirement {
  path: string;
  version: string;
  line: number;
}

/** `replace OLD [VERSION] => NEW [VERSION]`; `local` when NEW is a folder (./x, ../x or absolute). */
export interface Replacement {
  path: string;
  to: string;
  local: boolean;
  line: number;
}

export interface ModFile {
  module: string | undefined;
  go: string | undefined;
  toolchain: string | undefined;
  requires: Requirement[];
  replaces: Replacement[];
}

export interface WorkFile {
  go: string | undefined;
  use: string[];
}

/** Splits a go.mod/go.work into directives, expanding `( ... )` blocks, dropping comments. */
function directives(text: string): { verb: string; args: string[]; line: number }[] {
  const out: { verb: string; args: string[]; line: number }[] = [];
  let block: string | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (!line) return;
    const words = tokenize(line);
    if (block) {
      if (line === ')') block = undefined;
      else out.push({ verb: block, args: words, line: i + 1 });
      return;
    }
    if (words.length === 2 && words[1] === '(') {
      block = words[0];
      return;
    }
    out.push({ verb: words[0], args: words.slice(1), line: i + 1 });
  });
  return out;
}

/** Words of a directive line; quoted strings ("..." or `...`) count as one word. */
function tokenize(line: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|`([^`]*)`|(\S+)/g;
  for (const m of line.matchAll(re)) words.push(m[1] ?? m[2] ?? m[3]);
  return words;
}

export function parseModFile(text: string): ModFile {
  const mod: ModFile = { module: undefined, go: undefined, toolchain: undefined, requires: [], replaces: [] };
  for (const d of directives(text)) {
    if (d.verb === 'module') mod.module = d.args[0];
    else if (d.verb === 'go') mod.go = d.args[0];
    else if (d.verb === 'toolchain') mod.toolchain = d.args[0];
    else if (d.verb === 'require' && d.args.length >= 2) mod.requires.push({ path: d.args[0], version: d.args[1], line: d.line });
    else if (d.verb === 'replace') {
      const arrow = d.args.indexOf('=>');
      const to = arrow > 0 ? d.args[arrow + 1] : undefined;
      if (to) mod.replaces.push({ path: d.args[0], to, local: /^(\.\.?(\/|$)|\/)/.test(to), line: d.line });
    }
  }
  return mod;
}

export function parseWorkFile(text: string): WorkFile {
  const work: WorkFile = { go: undefined, use: [] };
  for (const d of directives(text)) {
    if (d.verb === 'go') work.go = d.args[0];
    else if (d.verb === 'use' && d.args[0]) work.use.push(d.args[0]);
  }
  return work;
}
