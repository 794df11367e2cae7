import { Document, isMap, isScalar, type Node, type Pair } from 'yaml';

/** A pipeline as YAML: `header` lines as the file's opening comment, `comments` above top-level or nested keys (path → lines). */
export function pipelineYaml(value: Record<string, unknown>, header: string[], comments: { path: string[]; lines: string[] }[]): string {
  // No anchors and aliases for repeated steps: each job spells out its own.
  const doc = new Document(value, { aliasDuplicateObjects: false });
  doc.commentBefore = header.map((l) => (l ? ` ${l}` : '')).join('\n');
  for (const { path, lines } of comments) {
    const parent = path.length > 1 ? (doc.getIn(path.slice(0, -1), true) as Node | undefined) : (doc.contents as Node | null);
    if (!parent || !isMap(parent)) continue;
    const pair = parent.items.find((p: Pair) => isScalar(p.key) && p.key.value === path[path.length - 1]);
    if (pair && isScalar(pair.key)) pair.key.commentBefore = lines.map((l) => ` ${l}`).join('\n');
  }
  return doc.toString({ lineWidth: 0 });
}
