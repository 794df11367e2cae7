import { strict as assert } from 'node:assert';
import { environmentSources, Redactor } from '../../src/core/config/references';
import { isGoDeployError } from '../../src/core/errors';
import { resolveModelArgs, serviceArguments } from '../../src/core/generate/args';
import { renderSystemdUnit } from '../../src/core/generate/systemd';
import { modelFor } from '../support/models';

describe("the service's arguments in the model: ${env:…} read like env values", () => {
  const yaml = [
    'app:',
    '  name: argv',
    '  portFlag: -port',
    '  args: [serve, "--config=/etc/${env:APP_CONFIG}.yml", "cost $$5", "$${env:NOT_A_REFERENCE}"]',
    'environments:',
    '  plain:',
    '    type: local',
    '    args: [worker, "$$1"]',
    '',
  ].join('\n');

  it('are read on resolve: ${env:NAME} from the sources, $$ a literal $; the port flag comes first', async () => {
    const model = await modelFor('argv', yaml);
    assert.equal(model.app.argsPending, true);
    const redactor = new Redactor();
    const resolved = await resolveModelArgs(model, environmentSources({ APP_CONFIG: 'production' }), redactor);
    assert.deepEqual(resolved.app.args, ['serve', '--config=/etc/production.yml', 'cost $5', '${env:NOT_A_REFERENCE}']);
    assert.deepEqual(serviceArguments(resolved, '8080'), ['-port=8080', 'serve', '--config=/etc/production.yml', 'cost $5', '${env:NOT_A_REFERENCE}']);
    assert.equal(redactor.redact('--config=/etc/production.yml'), '***', 'a value read from the environment is hidden in output, as env values are');
    assert.equal(model.app.argsPending, true, 'the model itself is left as it was');
  });

  it('a variable that is not set names the argument and the variable', async () => {
    const model = await modelFor('argv', yaml);
    await assert.rejects(
      resolveModelArgs(model, environmentSources({})),
      (e: unknown) => isGoDeployError(e) && /^app\.args\[1\]: environment variable APP_CONFIG is not set$/.test(e.message) && /export NAME/.test(e.hint ?? ''),
    );
  });

  it("an environment's args replace app.args; without references the model needs no resolving", async () => {
    const model = await modelFor('argv', yaml, { environment: 'plain' });
    assert.deepEqual([model.app.args, model.app.argsPending, model.app.argsFrom], [['worker', '$1'], false, 'environments.plain.args']);
    assert.equal(await resolveModelArgs(model, environmentSources({})), model);
  });

  it('a generator refuses a model whose references were never read, rather than writing them literally', async () => {
    const model = await modelFor('argv', yaml);
    assert.throws(
      () => renderSystemdUnit(model),
      (e: unknown) => isGoDeployError(e) && /app\.args refer to \$\{env:…\} variables that were not read yet/.test(e.message),
    );
  });

  it('${secret:…} in a model built without validation is refused, never resolved into argv', async () => {
    const model = await modelFor('argv', 'app:\n  name: argv\n');
    const hostile = { ...model, app: { ...model.app, args: ['--token=${secret:TOKEN}'], argsPending: true } };
    await assert.rejects(
      resolveModelArgs(hostile, { env: () => 'x', secret: () => 'leaked' }),
      (e: unknown) => isGoDeployError(e) && /argv is visible to every user/.test(e.message),
    );
  });
});
