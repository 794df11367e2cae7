// The generated CI pipelines, run here as their CI would run them, against a real systemd host
// (systemd-nspawn, OpenSSH on loopback). The shell of their jobs is taken out of the parsed
// YAML and run with bash exactly as written: GitHub Actions' `run:` steps with the step's `env`
// (its ${{ secrets.X }} and ${{ vars.X }} substituted as Actions does, an unset one empty) in
// its working-directory, with the shell the workflow names; GitLab's job script with the
// pipeline's variables and the SSH key as a File variable (the path of a file holding it).
// HOME is a fresh folder (a new runner), the key and the known_hosts line are this test host's
// real ones, and `godeploy` is what the pipeline's own install step installs: the npm
// tarball of this checkout, through GODEPLOY_PACKAGE, into a temporary npm prefix (the `uses:`
// steps, checkout and the Go and Node set-up, are what this machine already has). The deploy
// must succeed and the service answer with the build the pipeline deployed.
import { strict as assert } from 'node:assert';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadProject } from '../../src/core/project';
import { buildGenerateModel } from '../../src/core/generate/model';
import { findCiRepository } from '../../src/core/generate/ci/model';
import { renderFiles } from '../../src/core/generate/generate';
import type { CiKind } from '../../src/core/generate/kinds';
import { installedCli } from '../support/installedCli';
import { fixtureModules } from '../support/paths';
import { setDeployappBuild } from './fixtures/deployApp';
import { goEnv } from './fixtures/go';
import { startSystemdHost, type SystemdHost } from './fixtures/systemdHost';
import { freePort, httpGet, run, runOk, tempDir, type RunResult } from './fixtures/util';

interface GithubStep {
  name?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  'working-directory'?: string;
}
interface GithubWorkflow {
  defaults?: { run?: { shell?: string } };
  jobs: Record<string, { steps: GithubStep[] }>;
}
interface GitlabPipeline {
  variables: Record<string, string>;
  '.godeploy': { before_script: string[] };
  [job: string]: unknown;
}

/** GitHub's command line for `shell: bash` (and for no shell, `bash -e`). */
function githubShell(shell: string | undefined): string[] {
  if (shell === 'bash') return ['bash', '--noprofile', '--norc', '-eo', 'pipefail'];
  assert.equal(shell, undefined, `a shell this test does not know: ${shell}`);
  return ['bash', '-e'];
}

/** A step's env with ${{ secrets.X }} / ${{ vars.X }} replaced as Actions does (unset: empty); any other expression fails the test. */
function substitute(env: Record<string, string> | undefined, store: { secrets: Record<string, string>; vars: Record<string, string> }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env ?? {})) {
    out[k] = v.replace(/\$\{\{\s*(secrets|vars)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_m, ctx: 'secrets' | 'vars', name: string) => store[ctx][name] ?? '');
    assert.doesNotMatch(out[k], /\$\{\{/, `${k}: an expression this test cannot evaluate: ${v}`);
  }
  return out;
}

/** GitLab expands $VAR and ${VAR} in variables' values. */
const expand = (v: string, vars: Record<string, string>): string => v.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (m, n: string) => vars[n] ?? m);

describe('the generated CI pipelines deploy to a real systemd host', function () {
  this.timeout(900_000);
  const work = tempDir('ci-deploy');
  let host: SystemdHost;
  let port: number;
  let repo: string;
  let moduleDir: string;
  /** The npm prefix the pipeline's install step installs into (a runner's global prefix). */
  let prefix: string;
  let tarball: string;
  let key: string;
  let knownHostsLine: string;

  /** What every pipeline shell gets: this machine's environment for Go (offline, its build cache), a fresh HOME, no ssh-agent. */
  const baseEnv = (home: string): NodeJS.ProcessEnv => {
    const env = goEnv({
      HOME: home,
      PATH: `${join(prefix, 'bin')}:${process.env.PATH}`,
      npm_config_prefix: prefix,
      npm_config_offline: 'true',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      CI: 'true',
    });
    delete env.SSH_AUTH_SOCK;
    delete env.GODEPLOY_SSH_PASSPHRASE;
    return env;
  };

  const generate = async (kind: CiKind): Promise<string> => {
    const project = await loadProject({ file: join(moduleDir, 'godeploy.yaml'), exists: true });
    const repository = await findCiRepository(project.moduleDir);
    assert.equal(repository.root, repo);
    const model = buildGenerateModel(project.config, project.inspection, { ci: { repository, godeployVersion: '0.0.0-test' } });
    const [file] = await renderFiles([kind], model, project.moduleDir, { repositoryDir: repository.root });
    return file.content;
  };

  const writeConfig = (hostLines: string[], extra: string[] = []): void =>
    writeFileSync(
      join(moduleDir, 'godeploy.yaml'),
      [
        'app:',
        '  name: deployapp',
        `  port: ${port}`,
        '  healthCheck: { path: /healthz, timeout: 20s, interval: 250ms }',
        'build:',
        '  ldflags: "-s -w -X main.version={{.Version}}"',
        'environments:',
        '  dev: { type: local }',
        '  prod:',
        '    type: ssh',
        '    hosts:',
        ...hostLines.map((l) => `      ${l}`),
        ...extra.map((l) => `    ${l}`),
        '',
      ].join('\n'),
    );

  const commit = async (message: string): Promise<void> => {
    await runOk('git', ['add', '-A'], { cwd: repo });
    await runOk('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', message], { cwd: repo });
  };

  const info = async (): Promise<{ build: string; version: string }> => {
    const r = await httpGet(port, '/info');
    assert.equal(r.status, 200, r.body);
    return JSON.parse(r.body) as { build: string; version: string };
  };

  const assertNoSecretIn = (what: string, r: RunResult): void => {
    const body = key.split('\n').filter((l) => l && !l.startsWith('-----'));
    for (const line of body) assert.ok(!(r.stdout + r.stderr).includes(line), `${what} printed a line of the private key`);
  };

  before(async () => {
    host = await startSystemdHost();
    port = await freePort();
    key = readFileSync(host.identityFile, 'utf8');
    knownHostsLine = readFileSync(host.knownHostsFile, 'utf8').trim();
    ({ tarball } = installedCli());
    prefix = mkdtempSync(join(tmpdir(), 'godeploy-ci-prefix-'));
    repo = join(work.path, 'repo');
    moduleDir = join(repo, 'service');
    mkdirSync(repo);
    cpSync(join(fixtureModules, 'deployapp'), moduleDir, { recursive: true });
    await runOk('git', ['init', '-q', '-b', 'main'], { cwd: repo });
  });
  after(async () => {
    await host?.stop();
    work.remove();
  });

  it('GitHub Actions: the build job, then the deploy job with the key and known_hosts line from secrets, in ~/.ssh as godeploy reads them', async () => {
    // No identityFile, no knownHostsFile: godeploy reads ~/.ssh (its known_hosts, OpenSSH's default key names).
    writeConfig([`- { host: 127.0.0.1, port: ${host.port}, user: root }`]);
    setDeployappBuild(moduleDir, 'github');
    mkdirSync(join(repo, '.github', 'workflows'), { recursive: true });
    writeFileSync(join(repo, '.github', 'workflows', 'godeploy.yml'), await generate('github-actions'));
    await commit('github');

    const wf = parse(readFileSync(join(repo, '.github', 'workflows', 'godeploy.yml'), 'utf8')) as GithubWorkflow;
    assert.deepEqual(Object.keys(wf.jobs), ['build', 'deploy-prod']);
    const home = mkdtempSync(join(work.path, 'home-'));
    const store = {
      secrets: { GODEPLOY_SSH_KEY: key, GODEPLOY_KNOWN_HOSTS: knownHostsLine },
      vars: { GODEPLOY_PACKAGE: tarball },
    };
    for (const job of ['build', 'deploy-prod']) {
      for (const step of wf.jobs[job].steps) {
        if (step.uses) {
          assert.match(step.uses, /^actions\/(checkout|setup-go|setup-node)@v\d+$/, 'a uses: step this machine stands in for');
          continue;
        }
        assert.ok(step.run, `${job}: a step with neither uses nor run`);
        const script = join(work.path, `step-${job}-${wf.jobs[job].steps.indexOf(step)}.sh`);
        writeFileSync(script, step.run);
        const [shell, ...flags] = githubShell(wf.defaults?.run?.shell);
        const r = await run(shell, [...flags, script], {
          cwd: join(repo, step['working-directory'] ?? '.'),
          env: { ...baseEnv(home), ...substitute(step.env, store) },
          timeoutMs: 600_000,
        });
        assert.equal(r.code, 0, `${job} / ${step.name}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
        assertNoSecretIn(`${job} / ${step.name}`, r);
        if (step.run === 'godeploy deploy prod') assert.match(r.stdout, /deploy \S+ to prod: done in/);
      }
    }
    for (const f of ['.ssh/id_ed25519', '.ssh/known_hosts']) assert.equal((statSync(join(home, f)).mode & 0o777).toString(8), '600', f);
    assert.equal(readFileSync(join(home, '.ssh/known_hosts'), 'utf8'), `${knownHostsLine}\n`);
    assert.equal(
      /\d+\.\d+\.\d+\S*/.exec((await runOk(join(prefix, 'bin', 'godeploy'), ['--version'], { env: baseEnv(home) })).stdout)?.[0],
      JSON.parse(readFileSync(join(prefix, 'lib', 'node_modules', 'go-deploy', 'package.json'), 'utf8')).version,
      "godeploy on PATH is the one the pipeline's install step installed from GODEPLOY_PACKAGE",
    );
    const i = await info();
    assert.equal(i.build, 'github', 'the service answers with the build the pipeline deployed');
    assert.doesNotMatch(i.version, /dirty/, 'writing the secrets left the checkout clean');
    assert.equal((await host.exec('systemctl is-active deployapp.service')).stdout.trim(), 'active');
  });

  it('GitLab CI: the deploy job with the key as a File variable and the known_hosts line as a variable, into identityFile and knownHostsFile', async () => {
    // The environment names its own files: a key under ~ and a known_hosts next to godeploy.yaml (git-ignored).
    writeConfig([`- { host: 127.0.0.1, port: ${host.port}, user: root, identityFile: ~/.ssh/deploy_key }`], ['knownHostsFile: ./known_hosts']);
    writeFileSync(join(moduleDir, '.gitignore'), 'known_hosts\n');
    setDeployappBuild(moduleDir, 'gitlab');
    writeFileSync(join(repo, '.gitlab-ci.yml'), await generate('gitlab-ci'));
    await commit('gitlab');

    const pipeline = parse(readFileSync(join(repo, '.gitlab-ci.yml'), 'utf8')) as GitlabPipeline;
    const job = pipeline['deploy-prod'] as { extends: string; script: string[] };
    assert.equal(job.extends, '.godeploy');
    const home = mkdtempSync(join(work.path, 'home-'));
    const vars = mkdtempSync(join(work.path, 'vars-'));
    writeFileSync(join(vars, 'GODEPLOY_SSH_KEY'), key);
    const ciVars: Record<string, string> = {
      CI_PROJECT_DIR: repo,
      GODEPLOY_SSH_KEY: join(vars, 'GODEPLOY_SSH_KEY'),
      GODEPLOY_KNOWN_HOSTS: knownHostsLine,
      GODEPLOY_PACKAGE: tarball,
    };
    const pipelineVars = Object.fromEntries(Object.entries(pipeline.variables).map(([k, v]) => [k, expand(v, ciVars)]));
    assert.equal(pipelineVars.GOCACHE, join(repo, '.cache/go-build'));
    // before_script: [Node.js from nodejs.org (this machine has Node and no Internet), npm install of godeploy]; then the job's script.
    const [, ...install] = pipeline['.godeploy'].before_script;
    const script = [...install, ...job.script].join('\n');
    writeFileSync(join(work.path, 'gitlab-deploy.sh'), script);
    const r = await run('bash', ['--noprofile', '--norc', '-eo', 'pipefail', join(work.path, 'gitlab-deploy.sh')], {
      cwd: repo,
      env: { ...baseEnv(home), ...ciVars, ...pipelineVars },
      timeoutMs: 600_000,
    });
    assert.equal(r.code, 0, `deploy-prod: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    assertNoSecretIn('deploy-prod', r);
    assert.match(r.stdout, /deploy \S+ to prod: done in/);
    assert.equal((statSync(join(home, '.ssh/deploy_key')).mode & 0o777).toString(8), '600');
    assert.equal(readFileSync(join(moduleDir, 'known_hosts'), 'utf8'), `${knownHostsLine}\n`);
    const i = await info();
    assert.equal(i.build, 'gitlab', 'the service answers with the build the pipeline deployed');
    assert.doesNotMatch(i.version, /dirty/);
  });
});
