// go.work: inspect lists each member module with its mains; a main in another member is
// refused with the exact -C that reaches it (init and app.main in godeploy.yaml).
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { validateConfigText } from '../../src/core/config/load';
import { inspectModule } from '../../src/core/gomod/inspect';
import { formatInspection } from '../../src/core/gomod/report';
import { chooseMain } from '../../src/core/init/chooseMain';
import { fixtureModules } from '../support/paths';

describe('go.work members', () => {
  const api = path.join(fixtureModules, 'workmains', 'api');

  it('inspect lists each member with its module path and mains', async () => {
    const r = await inspectModule(api);
    assert.deepEqual(r.work?.members, [
      { use: './api', dir: '.', module: 'example.com/ws/api', mains: ['.'], replacesLocal: [] },
      { use: './server', dir: '../server', module: 'example.com/ws/server/v2', mains: ['./cmd/srv'], replacesLocal: [] },
    ]);
    assert.match(
      formatInspection(r),
      /member {3}\.\.\/server \(example\.com\/ws\/server\/v2\): mains \.\/cmd\/srv; deploy them from there: godeploy -C \.\.\/server init/,
    );
  });

  it('a member that replaces a sibling says so', async () => {
    const r = await inspectModule(path.join(fixtureModules, 'workreplace', 'api'));
    assert.deepEqual(
      r.work?.members?.map((m) => [m.dir, m.replacesLocal]),
      [
        ['.', ['example.com/wr/lib']],
        ['../lib', []],
      ],
    );
    assert.deepEqual(
      r.localReplaces.map((x) => x.path),
      ['example.com/wr/lib'],
    );
  });

  it('init --main naming a main of another member: a usage error with the -C to use', async () => {
    const r = await inspectModule(api);
    assert.throws(
      () => chooseMain(r, '../server/cmd/srv'),
      (e: Error & { hint?: string; exitCode?: number }) => {
        assert.equal(e.exitCode, 2);
        assert.match(
          e.message,
          /\.\.\/server\/cmd\/srv is in the workspace module example\.com\/ws\/server\/v2 \(\.\.\/server\), not in example\.com\/ws\/api/,
        );
        assert.match(e.hint ?? '', /godeploy -C \.\.\/server init --main \.\/cmd\/srv/);
        return true;
      },
    );
  });

  it('app.main naming a main of another member: an error at app.main with the folder to put godeploy.yaml in', async () => {
    const r = await inspectModule(api);
    const { diagnostics } = validateConfigText('godeploy.yaml', 'app:\n  name: api\n  main: ../server/cmd/srv\n', r);
    const d = diagnostics.find((x) => x.severity === 'error');
    assert.equal(d?.line, 3);
    assert.match(d?.message ?? '', /is in the workspace module example\.com\/ws\/server\/v2/);
    assert.match(d?.hint ?? '', /godeploy -C \.\.\/server init/);
  });
});
