// Large godeploy.yaml texts for the validation tests and benchmark: `keys` keys of about
// 100 bytes each (52,000 of them make a 5 MB file): unknown top-level keys (one diagnostic
// each), environments that are not mappings (one each, from a $ref'd schema), or, as a
// same-sized valid baseline, entries of app.env.
export function bigConfig(keys: number, kind: 'unknown-keys' | 'bad-environments' | 'env-entries'): string {
  const head = 'app:\n  name: hello\n  port: 8081\n';
  const tail = 'environments:\n  dev:\n    type: local\n';
  const pad = 'x'.repeat(72);
  const lines: string[] = [];
  for (let i = 0; i < keys; i++) {
    const n = String(i).padStart(6, '0');
    lines.push(kind === 'unknown-keys' ? `unknown_key_${n}: "${pad}"` : kind === 'bad-environments' ? `  env_${n}: "${pad}"` : `    ENV_VALUE_${n}: "${pad}"`);
  }
  if (kind === 'bad-environments') return `${head}${tail}${lines.join('\n')}\n`;
  return kind === 'unknown-keys' ? `${head}${tail}${lines.join('\n')}\n` : `${head}  env:\n${lines.join('\n')}\n${tail}`;
}
