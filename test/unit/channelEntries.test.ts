// A tail's lines as LogOutputChannel entries: the host as the category the Output view filters
// by, the level from the source (Go Deploy's notices as warnings), a line an entry, and a flood
// written as one entry per run of lines from one host at one level.
import { strict as assert } from 'node:assert';
import type { LogLine } from '../../src/core/index';
import { channelEntry, channelWrites, LINES_AS_SEPARATE_ENTRIES } from '../../src/vscode/logs/channelEntries';

describe('log channel entries', () => {
  it('an entry is "[host] time text": the host in the place the Output view reads a category from', () => {
    assert.equal(
      channelEntry({ host: 'web1', time: '2026-11-22T01:02:03.456Z', text: 'api[42]: started' }),
      '[web1] 2026-11-22T01:02:03.456Z api[42]: started',
    );
    assert.equal(channelEntry({ host: 'local', text: 'no time in a file' }), '[local] no time in a file');
    // What VS Code's Output view matches to find an entry's level and category.
    const written = `2026-11-22 01:02:03.456 [info] ${channelEntry({ host: 'web1', text: 'x' })}`;
    assert.deepEqual(/^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3})\s(\[(info|trace|debug|error|warning)\])\s(\[(.*?)\])?/.exec(written)?.slice(3, 6), [
      'info',
      '[web1]',
      'web1',
    ]);
  });

  it('a batch of up to 50 lines: an entry each at its level (notices warnings, journald errors errors)', () => {
    const writes = channelWrites([
      { host: 'web1', text: 'a' },
      { host: 'web1', text: 'b' },
      { host: 'web2', text: 'boom', level: 'error' },
      { host: 'web2', text: 'connection lost', notice: true },
      { host: 'web2', text: 'careful', level: 'warning' },
    ]);
    assert.deepEqual(writes, [
      { level: 'info', text: '[web1] a' },
      { level: 'info', text: '[web1] b' },
      { level: 'error', text: '[web2] boom' },
      { level: 'warning', text: '[web2] connection lost' },
      { level: 'warning', text: '[web2] careful' },
    ]);
  });

  it('a flood: one write per run of lines from the same host at the same level, every line kept in order', () => {
    const batch: LogLine[] = [];
    for (let i = 0; i < 300; i++)
      batch.push({ host: i < 100 || i >= 200 ? 'web1' : 'web2', text: `line ${i}`, ...(i === 150 ? { level: 'error' as const } : {}) });
    const writes = channelWrites(batch);
    assert.ok(batch.length > LINES_AS_SEPARATE_ENTRIES);
    // web1 0-99 · web2 100-149 · web2 150 (error) · web2 151-199 · web1 200-299
    assert.deepEqual(
      writes.map((w) => [w.level, w.text.split('\n').length]),
      [
        ['info', 100],
        ['info', 50],
        ['error', 1],
        ['info', 49],
        ['info', 100],
      ],
    );
    assert.deepEqual(
      writes.flatMap((w) => w.text.split('\n')),
      batch.map(channelEntry),
    );
    // A run's later lines are not entries of their own (no timestamp of the channel's): they stay with the run when filtering.
    assert.ok(writes[0].text.split('\n')[1].startsWith('[web1] line 1'));
  });

  it("with several processes the category is host/process, and a flood's runs break where the process changes", () => {
    assert.equal(channelEntry({ host: 'web1', process: 'worker', text: 'job 42' }), '[web1/worker] job 42');
    const batch: LogLine[] = Array.from({ length: LINES_AS_SEPARATE_ENTRIES + 2 }, (_, i) => ({
      host: 'web1',
      process: i % 2 ? 'api' : 'worker',
      text: `line ${i}`,
    }));
    const writes = channelWrites(batch);
    assert.equal(writes.length, batch.length);
    assert.ok(writes.every((w, i) => w.text === `[web1/${i % 2 ? 'api' : 'worker'}] line ${i}`));
  });
});
