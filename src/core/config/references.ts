/**
 * `${env:NAME}` and `${secret:NAME}` references in config values. Secrets never sit in
 * the file; they are resolved at run time and everything resolved from one is redacted.
 */
export type ReferenceKind = 'env' | 'secret';

export interface Reference {
  kind: ReferenceKind;
  name: string;
  /** Offset of `${` in the value. */
  index: number;
  raw: string;
}

export interface ReferenceProblem {
  index: number;
  raw: string;
  message: string;
}

const referencePattern = /\$\$|\$\{([^}]*)\}?/g;
const namePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Every reference in a value, and the malformed ones. `$$` is a literal `$`. */
export function scanReferences(value: string): { references: Reference[]; problems: ReferenceProblem[] } {
  const references: Reference[] = [];
  const problems: ReferenceProblem[] = [];
  for (const m of value.matchAll(referencePattern)) {
    if (m[0] === '$$') continue;
    const raw = m[0];
    const index = m.index ?? 0;
    if (!raw.endsWith('}')) {
      problems.push({ index, raw, message: `unterminated reference ${JSON.stringify(raw)}: add the closing "}"` });
      continue;
    }
    const body = m[1];
    const colon = body.indexOf(':');
    const kind = body.slice(0, colon);
    const name = body.slice(colon + 1);
    if (colon < 0 || (kind !== 'env' && kind !== 'secret')) {
      problems.push({ index, raw, message: `unknown reference ${raw}: use \${env:NAME} or \${secret:NAME} (write $$ for a literal $)` });
    } else if (!namePattern.test(name)) {
      problems.push({ index, raw, message: `invalid name in ${raw}: names use letters, digits and "_" and do not start with a digit` });
    } else {
      references.push({ kind, name, index, raw });
    }
  }
  return { references, problems };
}

export interface ReferenceSources {
  env(name: string): string | undefined | Promise<string | undefined>;
  secret(name: string): string | undefined | Promise<string | undefined>;
}

export interface ResolvedValue {
  value: string;
  /** Values resolved from secrets, to be registered with a Redactor. */
  secrets: string[];
}

/** Replaces the references in `value`; a missing variable or secret is an error naming it. */
export async function resolveReferences(value: string, sources: ReferenceSources, where: string): Promise<ResolvedValue> {
  const { problems } = scanReferences(value);
  if (problems.length) throw new Error(`${where}: ${problems[0].message}`);
  const secrets: string[] = [];
  let out = '';
  let last = 0;
  for (const m of value.matchAll(referencePattern)) {
    const index = m.index ?? 0;
    out += value.slice(last, index);
    last = index + m[0].length;
    if (m[0] === '$$') {
      out += '$';
      continue;
    }
    const [kind, name] = m[1].split(':') as [ReferenceKind, string];
    const resolved = await (kind === 'env' ? sources.env(name) : sources.secret(name));
    if (resolved === undefined) {
      throw new Error(`${where}: ${kind === 'env' ? 'environment variable' : 'secret'} ${name} is not set`);
    }
    if (kind === 'secret' && resolved !== '') secrets.push(resolved);
    out += resolved;
  }
  return { value: out + value.slice(last), secrets };
}

/** Replaces every known secret value in text with `***`. */
export class Redactor {
  private readonly values = new Set<string>();

  add(secret: string): void {
    if (secret.length > 0) this.values.add(secret);
  }

  get size(): number {
    return this.values.size;
  }

  /** Hides what `other` hides too. */
  addAll(other: Redactor): void {
    for (const v of other.values) this.values.add(v);
  }

  redact(text: string): string {
    if (this.values.size === 0) return text;
    // Longest first, so a secret containing another is replaced whole.
    for (const v of [...this.values].sort((a, b) => b.length - a.length)) {
      text = text.split(v).join('***');
    }
    return text;
  }
}

/** The CLI's sources: `${env:NAME}` and `${secret:NAME}` both read the process environment. */
export function environmentSources(env: NodeJS.ProcessEnv): ReferenceSources {
  return { env: (name) => env[name], secret: (name) => env[name] };
}

/** Sources that leave every reference as written: for plans and status, which start nothing. */
export const referencesAsWritten: ReferenceSources = { env: (n) => `\${env:${n}}`, secret: (n) => `\${secret:${n}}` };
