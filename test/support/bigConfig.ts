// Large godeploy.yaml texts for the validation tests and benchmark: `keys` keys of about
// 100 bytes each (52,000 of them make a 5 MB file), either unknown top-level keys (one
// diagnostic each) or, as a same-sized valid baseline, entries of app.env.
export function bigConfig(keys: number, kind: 'unknown-keys' | 'env-entries'): string {
  const head = 'app:\n  name: hello\n  port: 8081\n';
  const tail = 'environments:\n  dev:\n    type: local\n';
  const pad = 'x'.repeat(72);
  const lines: string[] = [];
  for (let i = 0; i < keys; i++) {
    const n = String(i).padStart(6, '0');
    lines.push(kind === 'unknown-keys' ? `unknown_key_${n}: "${pad}"` : `    ENV_VALUE_${n}: "${pad}"`);
  }
  return kind === 'unknown-keys' ? `${head}${tail}${lines.join('\n')}\n` : `${head}  env:\n${lines.join('\n')}\n${tail}`;
}
