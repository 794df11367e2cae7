import { strict as assert } from 'node:assert';
import { Redactor, resolveReferences, scanReferences } from '../../src/core/config/references';

describe('${env:…} and ${secret:…} references', () => {
  const sources = { env: (n: string) => ({ HOME_DIR: '/home/x' })[n], secret: (n: string) => ({ TOKEN: 's3cr3t-value', SHORT: 'ab' })[n] };

  it('finds references and malformed ones', () => {
    const r = scanReferences('a ${env:A} $${literal} ${secret:B} ${nope} ${env:1X} ${env:OPEN');
    assert.deepEqual(
      r.references.map((x) => `${x.kind}:${x.name}`),
      ['env:A', 'secret:B'],
    );
    assert.equal(r.problems.length, 3);
  });

  it('resolves values and reports the secrets it used', async () => {
    const r = await resolveReferences('dir=${env:HOME_DIR} token=${secret:TOKEN} cost=$$5', sources, 'app.env.X');
    assert.equal(r.value, 'dir=/home/x token=s3cr3t-value cost=$5');
    assert.deepEqual(r.secrets, ['s3cr3t-value']);
  });

  it('a missing variable or secret is an error that names it and where it was used', async () => {
    await assert.rejects(resolveReferences('${secret:MISSING}', sources, 'environments.prod.env.DB'), /environments\.prod\.env\.DB: secret MISSING is not set/);
  });

  it('the redactor replaces every secret, longest first', () => {
    const red = new Redactor();
    red.add('s3cr3t');
    red.add('s3cr3t-value');
    red.add('');
    assert.equal(red.redact('a s3cr3t-value b s3cr3t c'), 'a *** b *** c');
    assert.equal(red.size, 2);
  });
});

describe('the CLI resolves references from its environment', () => {
  it('reads both ${env:…} and ${secret:…} from environment variables, and marks the secret', async () => {
    const { environmentSources } = await import('../../src/core/config/references');
    const r = await resolveReferences('${env:A}/${secret:B}', environmentSources({ A: 'a', B: 'b-secret' }), 'x');
    assert.equal(r.value, 'a/b-secret');
    assert.deepEqual(r.secrets, ['b-secret']);
  });
});
