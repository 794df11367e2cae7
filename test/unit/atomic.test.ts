import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic } from '../../src/core/fs/atomic';

describe('atomic file writes', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'godeploy-atomic-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes secret files with mode 0600 regardless of the umask', async () => {
    const old = process.umask(0o000);
    try {
      await writeFileAtomic(path.join(dir, 'env'), 'TOKEN=x\n', { mode: 0o600 });
    } finally {
      process.umask(old);
    }
    assert.equal(statSync(path.join(dir, 'env')).mode & 0o777, 0o600);
  });

  it('refuses to replace an existing file and leaves no temporary file', async () => {
    const file = path.join(dir, 'a');
    writeFileSync(file, 'mine');
    await assert.rejects(writeFileAtomic(file, 'theirs'), /already exists/);
    assert.equal(readFileSync(file, 'utf8'), 'mine');
    assert.deepEqual(readdirSync(dir), ['a']);
    await writeFileAtomic(file, 'theirs', { overwrite: true });
    assert.equal(readFileSync(file, 'utf8'), 'theirs');
    assert.deepEqual(readdirSync(dir), ['a']);
  });

  it('fails cleanly when the folder does not exist: a GoDeployError naming the file, the fs error as its cause', async () => {
    await assert.rejects(writeFileAtomic(path.join(dir, 'missing', 'a'), 'x'), (e: Error) => {
      assert.equal(e.message, `cannot write ${path.join(dir, 'missing', 'a')}: its folder does not exist`);
      assert.match(String((e.cause as Error).message), /ENOENT/);
      return true;
    });
  });
});
