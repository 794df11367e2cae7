import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../support/paths';

/** The Markdown files whose links are checked: the README, the contributor docs and every page under docs/. */
function docFiles(): string[] {
  const docs = readdirSync(path.join(repoRoot, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => path.join('docs', f));
  return ['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md', path.join('bench', 'RESULTS.md'), ...docs];
}

/** The text without fenced code blocks and code spans, where a `[x](y)` is not a link. */
function withoutCode(markdown: string): string {
  return markdown.replace(/^ *(```|~~~)[^\n]*\n[\s\S]*?^ *\1[^\n]*$/gm, '').replace(/(`+)[^`\n]*?\1/g, '');
}

/** Every link target: inline `[text](target)` and reference definitions `[id]: target`. */
export function linkTargets(markdown: string): string[] {
  const text = withoutCode(markdown);
  const inline = [...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
  const defined = [...text.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1]);
  return [...inline, ...defined];
}

/** The anchors GitHub gives the headings of a Markdown file (its slugs, with -1, -2… for repeats). */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const text = markdown.replace(/^ *(```|~~~)[^\n]*\n[\s\S]*?^ *\1[^\n]*$/gm, '');
  for (const m of text.matchAll(/^ {0,3}#{1,6}[ \t]+(.*?)[ \t#]*$/gm)) {
    const slug = m[1]
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/<[^>]+>/g, '')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n ? `${slug}-${n}` : slug);
  }
  return anchors;
}

/** What is wrong with a relative link from `file` (relative to the repository), or undefined when it reaches something. */
export function brokenLink(root: string, file: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto:…: not checked here
  const [rawPath, anchor] = target.split('#', 2) as [string, string | undefined];
  const linkPath = decodeURIComponent(rawPath);
  const dest = linkPath ? path.resolve(path.dirname(path.join(root, file)), linkPath) : path.join(root, file);
  if (!dest.startsWith(root + path.sep) && dest !== root) return `${target}: outside the repository`;
  if (!existsSync(dest)) return `${target}: ${path.relative(root, dest)} does not exist`;
  if (anchor === undefined || anchor === '') return undefined;
  if (statSync(dest).isDirectory() || !dest.endsWith('.md')) return undefined; // anchors only checked in Markdown
  if (/^L\d+(-L\d+)?$/.test(anchor)) return undefined;
  const anchors = headingAnchors(readFileSync(dest, 'utf8'));
  return anchors.has(anchor.toLowerCase()) ? undefined : `${target}: ${path.relative(root, dest)} has no heading #${anchor}`;
}

describe('docs links', () => {
  it('the docs pages the README points to exist', () => {
    for (const page of ['getting-started', 'configuration', 'cli', 'ssh-hosts', 'docker', 'logs', 'editor', 'troubleshooting'])
      assert.ok(existsSync(path.join(repoRoot, 'docs', `${page}.md`)), `docs/${page}.md`);
    for (const file of ['CONTRIBUTING.md', 'CHANGELOG.md', 'LICENSE', path.join('bench', 'RESULTS.md')]) assert.ok(existsSync(path.join(repoRoot, file)), file);
  });

  it('every relative link in README.md, CONTRIBUTING.md and docs/ reaches a file that exists, and a heading there when it names one', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const file of docFiles()) {
      for (const target of linkTargets(readFileSync(path.join(repoRoot, file), 'utf8'))) {
        checked++;
        const problem = brokenLink(repoRoot, file, target);
        if (problem) problems.push(`${file}: ${problem}`);
      }
    }
    assert.ok(checked > 50, `only ${checked} links found`);
    assert.deepEqual(problems, []);
  });

  it('every docs page links back to the README', () => {
    for (const file of docFiles().filter((f) => f.startsWith(`docs${path.sep}`)))
      assert.ok(linkTargets(readFileSync(path.join(repoRoot, file), 'utf8')).includes('../README.md'), file);
  });

  it('the check itself finds a missing file, a missing heading, and ignores links in code', () => {
    const page = [
      '# A page',
      '',
      '## Inspection: what `godeploy inspect` finds, and how',
      '',
      '## Inspection: what `godeploy inspect` finds, and how',
      '',
      '[ok](#inspection-what-godeploy-inspect-finds-and-how) [repeat](#inspection-what-godeploy-inspect-finds-and-how-1)',
      '[web](https://example.com/x) `[not a link](nowhere.md)`',
      '```',
      '[not a link either](nowhere.md)',
      '```',
      '[readme](README.md#go-deploy) [bad](docs/nowhere.md) [bad anchor](README.md#nowhere)',
    ].join('\n');
    assert.deepEqual(linkTargets(page), [
      '#inspection-what-godeploy-inspect-finds-and-how',
      '#inspection-what-godeploy-inspect-finds-and-how-1',
      'https://example.com/x',
      'README.md#go-deploy',
      'docs/nowhere.md',
      'README.md#nowhere',
    ]);
    const anchors = headingAnchors(page);
    assert.ok(anchors.has('inspection-what-godeploy-inspect-finds-and-how-1'));
    assert.equal(brokenLink(repoRoot, 'README.md', 'README.md#go-deploy'), undefined);
    assert.match(brokenLink(repoRoot, 'README.md', 'docs/nowhere.md') ?? '', /does not exist/);
    assert.match(brokenLink(repoRoot, 'README.md', 'README.md#nowhere') ?? '', /no heading #nowhere/);
  });
});
