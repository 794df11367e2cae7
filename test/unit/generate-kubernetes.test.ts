import { strict as assert } from 'node:assert';
import { parseAllDocuments } from 'yaml';
import { renderKubernetesManifests } from '../../src/core/generate/kubernetes';
import { kubernetesName } from '../../src/core/generate/kubernetes-names';
import { expectGolden } from '../support/golden';
import { LISTEN_FLAG, TRICKY_ARGV, yamlArgs } from '../support/launchArgs';
import { modelFor } from '../support/models';

// kubernetes-models is ESM-only ("import" export condition); tests compile to CommonJS, whose
// compiled import() would become require(), so a native dynamic import is kept out of tsc's reach.
type Model = new (data: object) => { validate(): void };
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<Record<string, Model>>;
const schemaModules: Record<string, string> = {
  Deployment: 'kubernetes-models/apps/v1/Deployment',
  Service: 'kubernetes-models/v1/Service',
  Ingress: 'kubernetes-models/networking.k8s.io/v1/Ingress',
  HorizontalPodAutoscaler: 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
};
async function validateObject(obj: K8s): Promise<void> {
  const mod = schemaModules[obj.kind];
  assert.ok(mod, `unexpected kind ${obj.kind}`);
  new (await importEsm(mod))[obj.kind](obj).validate();
}

type K8s = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels: Record<string, string> }; spec: any };
const DNS1035 = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Renders, checks the stream parses the same as YAML 1.1 and 1.2, validates every object against the OpenAPI schema. */
async function manifests(config: string, golden: string): Promise<{ text: string; objs: K8s[]; byKind: (kind: string) => K8s }> {
  const text = renderKubernetesManifests(await modelFor('single', /^app:/m.test(config) ? config : `app: {}\n${config}`));
  expectGolden(`k8s/${golden}.yaml`, text);
  const parse = (version: '1.1' | '1.2'): K8s[] =>
    parseAllDocuments(text, { version }).map((d) => {
      assert.deepEqual(d.errors, [], `${golden}: YAML ${version} errors`);
      return d.toJS() as K8s;
    });
  const objs = parse('1.2');
  // kubectl reads YAML 1.1: the same objects, so no "yes"/"on"/"0123" turns into a bool or number there.
  assert.deepEqual(parse('1.1'), objs);
  for (const o of objs) {
    await validateObject(o);
    assert.match(o.metadata.name, DNS1035, `${o.kind} name`);
    assert.equal(o.metadata.labels['app.kubernetes.io/name'], o.metadata.name);
  }
  const byKind = (kind: string): K8s => {
    const found = objs.filter((o) => o.kind === kind);
    assert.equal(found.length, 1, `${kind} objects in ${golden}`);
    return found[0];
  };
  const dep = byKind('Deployment');
  assert.deepEqual(dep.spec.selector.matchLabels, { 'app.kubernetes.io/name': dep.metadata.name });
  assert.equal(dep.spec.template.metadata.labels['app.kubernetes.io/name'], dep.metadata.name);
  assert.deepEqual(byKind('Service').spec.selector, dep.spec.selector.matchLabels);
  return { text, objs, byKind };
}

const envOf = (dep: K8s): { name: string; value?: string; valueFrom?: unknown }[] => dep.spec.template.spec.containers[0].env;

describe('Kubernetes manifests generator', () => {
  let modelSync: Awaited<ReturnType<typeof modelFor>>;
  before(async () => {
    modelSync = await modelFor('single', 'app: {}\n');
  });

  it('default: a hardened Deployment with probes and resources, and a ClusterIP Service', async () => {
    const { text, objs, byKind } = await manifests('app: {}\n', 'default');
    assert.deepEqual(
      objs.map((o) => `${o.apiVersion} ${o.kind}`),
      ['apps/v1 Deployment', 'v1 Service'],
    );
    assert.ok(objs.every((o) => o.metadata.namespace === undefined));
    const dep = byKind('Deployment');
    assert.equal(dep.spec.replicas, 2);
    assert.deepEqual(dep.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    const pod = dep.spec.template.spec;
    assert.equal(pod.terminationGracePeriodSeconds, 30);
    assert.deepEqual(pod.securityContext, { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    const c = pod.containers[0];
    assert.equal(c.image, 'hello:latest');
    assert.deepEqual(c.ports, [{ name: 'http', containerPort: 8081, protocol: 'TCP' }]);
    assert.deepEqual(c.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 65532,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    for (const p of ['startupProbe', 'readinessProbe', 'livenessProbe']) assert.deepEqual(c[p].httpGet, { path: '/healthz', port: 'http' }, p);
    assert.equal(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold, 30, 'startup allows the 30 s health timeout');
    assert.deepEqual(c.resources, { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } });
    assert.deepEqual(envOf(dep), [
      { name: 'PORT', value: '8081' },
      { name: 'GOMEMLIMIT', value: '230MiB' },
    ]);
    assert.deepEqual(c.volumeMounts, [{ name: 'tmp', mountPath: '/tmp' }]);
    assert.deepEqual(byKind('Service').spec, {
      type: 'ClusterIP',
      selector: { 'app.kubernetes.io/name': 'hello' },
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
    });
    assert.doesNotMatch(text, /Secret|secretKeyRef/);
  });

  it('namespace, Ingress with class and TLS: every object in the namespace, the Ingress routes to the Service port', async () => {
    const { objs, byKind } = await manifests(
      'kubernetes:\n  namespace: shop\n  image: registry.example.com:5000/shop/api:1.4.2\n  ingress: {host: api.example.com, className: nginx, tlsSecret: api-example-com-tls}\n',
      'namespace-ingress-tls',
    );
    assert.deepEqual(
      objs.map((o) => o.kind),
      ['Deployment', 'Service', 'Ingress'],
    );
    for (const o of objs) assert.equal(o.metadata.namespace, 'shop', o.kind);
    assert.equal(byKind('Deployment').spec.template.spec.containers[0].image, 'registry.example.com:5000/shop/api:1.4.2');
    const ing = byKind('Ingress');
    assert.equal(ing.apiVersion, 'networking.k8s.io/v1');
    assert.equal(ing.spec.ingressClassName, 'nginx');
    assert.deepEqual(ing.spec.tls, [{ hosts: ['api.example.com'], secretName: 'api-example-com-tls' }]);
    const rule = ing.spec.rules[0];
    assert.equal(rule.host, 'api.example.com');
    assert.deepEqual(rule.http.paths[0], { path: '/', pathType: 'Prefix', backend: { service: { name: 'hello', port: { name: 'http' } } } });
    assert.equal(byKind('Service').spec.ports[0].name, rule.http.paths[0].backend.service.port.name);
    const plain = await manifests('kubernetes:\n  ingress: {host: api.example.com}\n', 'ingress-plain');
    assert.deepEqual(Object.keys(plain.byKind('Ingress').spec), ['rules']);
  });

  it('autoscaling: an autoscaling/v2 HPA on CPU, and the Deployment leaves replicas to it', async () => {
    const { byKind } = await manifests('kubernetes:\n  replicas: 3\n  autoscaling: {maxReplicas: 12, targetCPU: 65}\n', 'autoscaling');
    const hpa = byKind('HorizontalPodAutoscaler');
    assert.equal(hpa.apiVersion, 'autoscaling/v2');
    assert.deepEqual(hpa.spec, {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'hello' },
      minReplicas: 3,
      maxReplicas: 12,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 65 } } }],
    });
    assert.equal('replicas' in byKind('Deployment').spec, false);
  });

  it('requests and limits, with GOMEMLIMIT at 90% of the memory limit', async () => {
    const { byKind } = await manifests(
      'app:\n  healthCheck: {path: /ready, timeout: 1m}\nkubernetes:\n  requests: {cpu: 250m, memory: 512Mi}\n  limits: {cpu: "1", memory: 1Gi}\n',
      'resources',
    );
    const c = byKind('Deployment').spec.template.spec.containers[0];
    assert.deepEqual(c.resources, { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '1Gi', cpu: '1' } });
    assert.deepEqual(envOf(byKind('Deployment'))[1], { name: 'GOMEMLIMIT', value: '921MiB' });
    assert.equal(c.readinessProbe.httpGet.path, '/ready');
    assert.equal(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold, 60);
  });

  it('plain env values stay strings; runtime names come from the Secret <name>-env, documented in a comment', async () => {
    const config =
      'app:\n  env:\n    FEATURE: "yes"\n    ZIP: "0123"\n    SWITCH: "on"\n    QUOTE: "a: b # c"\n    PRICE: $$5\n    DATABASE_URL: ${secret:db_url}\n    API_TOKEN: ${env:API_TOKEN}\n';
    const { text, byKind } = await manifests(config, 'runtime-env');
    const secret = (key: string): object => ({ name: key, valueFrom: { secretKeyRef: { name: 'hello-env', key } } });
    assert.deepEqual(envOf(byKind('Deployment')), [
      { name: 'PORT', value: '8081' },
      { name: 'GOMEMLIMIT', value: '230MiB' },
      { name: 'FEATURE', value: 'yes' },
      { name: 'PRICE', value: '$5' },
      { name: 'QUOTE', value: 'a: b # c' },
      { name: 'SWITCH', value: 'on' },
      { name: 'ZIP', value: '0123' },
      secret('API_TOKEN'),
      secret('DATABASE_URL'),
    ]);
    assert.equal(byKind('Deployment').spec.template.spec.containers[0].ports[0].containerPort, 8081);
    assert.match(text, /^# API_TOKEN, DATABASE_URL come from the Secret hello-env/m);
    assert.match(text, /^# {3}kubectl create secret generic hello-env \\\n# {5}--from-literal=API_TOKEN=\.\.\. \\\n# {5}--from-literal=DATABASE_URL=\.\.\.$/m);
    assert.doesNotMatch(text, /db_url|\$\{/, 'no reference or secret name leaks into the manifests');
  });

  it('app names that are not RFC 1035 labels become valid object names', async () => {
    const { objs } = await manifests('app: {name: 1st.api_v2}\n', 'sanitized-name');
    assert.ok(objs.every((o) => o.metadata.name === 'app-1st-api-v2'));
    assert.equal(kubernetesName('shop.api'), 'shop-api');
    assert.equal(kubernetesName('a'.repeat(63)), 'a'.repeat(63));
    assert.equal(kubernetesName(`x${'-'.repeat(61)}y`).length <= 63, true);
  });

  it('the schema check is not vacuous: broken manifests are rejected', async () => {
    const good = (): K8s[] => parseAllDocuments(renderKubernetesManifests(modelSync)).map((d) => d.toJS() as K8s);
    const breakages: [string, (objs: K8s[]) => void, RegExp][] = [
      [
        'port as a string',
        (o) => {
          o[0].spec.template.spec.containers[0].ports[0].containerPort = '8081';
        },
        /containerPort must be integer/,
      ],
      [
        'no pod template',
        (o) => {
          delete o[0].spec.template;
        },
        /spec must have required property template/,
      ],
      [
        'bad memory quantity',
        (o) => {
          o[0].spec.template.spec.containers[0].resources.limits.memory = 'lots';
        },
        /memory must match format "quantity"/,
      ],
      [
        'service port out of type',
        (o) => {
          o[1].spec.ports[0].port = 'eighty';
        },
        /port must be integer/,
      ],
      [
        'replicas not a number',
        (o) => {
          o[0].spec.replicas = 'two';
        },
        /replicas must be integer/,
      ],
    ];
    for (const [what, breakIt, message] of breakages) {
      const objs = good();
      for (const o of objs) await validateObject(o);
      breakIt(objs);
      await assert.rejects(Promise.all(objs.map(validateObject)), message, what);
    }
    assert.doesNotMatch('Bad_Name', DNS1035);
  });

  it("args: the port flag and every argument after the image's ENTRYPOINT, $ kept literal; no PORT when the port goes by flag", async () => {
    const { byKind } = await manifests(`app:\n  port: 9000\n  portFlag: "${LISTEN_FLAG}"\n  args: ${yamlArgs([...TRICKY_ARGV, '$(HOME)'])}\n`, 'args');
    const container = byKind('Deployment').spec.template.spec.containers[0];
    assert.deepEqual(container.args.map(kubernetesExpand), ['--listen=127.0.0.1:9000', ...TRICKY_ARGV, '$(HOME)']);
    assert.equal(container.command, undefined, "the image's ENTRYPOINT runs");
    assert.ok(!envOf(byKind('Deployment')).some((e) => e.name === 'PORT'));
  });

  it('portEnv names the variable; health probes by type: tcpSocket for tcp, none for process (said in a comment)', async () => {
    const tcp = await manifests('app:\n  portEnv: LISTEN_PORT\n  healthCheck: { type: tcp }\n', 'tcp');
    const c = tcp.byKind('Deployment').spec.template.spec.containers[0];
    assert.deepEqual(envOf(tcp.byKind('Deployment'))[0], { name: 'LISTEN_PORT', value: '8081' });
    for (const p of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      assert.deepEqual(c[p].tcpSocket, { port: 'http' }, p);
      assert.equal(c[p].httpGet, undefined, p);
    }
    const worker = await manifests('app:\n  healthCheck: { type: process }\n', 'process');
    const w = worker.byKind('Deployment').spec.template.spec.containers[0];
    assert.deepEqual([w.startupProbe, w.readinessProbe, w.livenessProbe], [undefined, undefined, undefined]);
    assert.match(worker.text, /healthCheck\.type is process: no probes/);
  });
});

/**
 * What the kubelet makes of a container argument: $(VAR) is a variable reference (left as is
 * when unknown, and no variable is known here), $$ is a literal $ (Kubernetes'
 * third_party/forked/golang/expansion). Every $ the generator writes must come out as one $.
 */
function kubernetesExpand(arg: string): string {
  let out = '';
  for (let i = 0; i < arg.length; i++) {
    if (arg[i] !== '$' || i + 1 >= arg.length) {
      out += arg[i];
      continue;
    }
    const next = arg[i + 1];
    if (next === '$') {
      out += '$';
      i++;
      continue;
    }
    if (next === '(') {
      const close = arg.indexOf(')', i + 2);
      if (close > 0) throw new Error(`${arg}: $(${arg.slice(i + 2, close)}) would be expanded`);
    }
    out += '$';
  }
  return out;
}
