import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { ConfigError, EnvSchema, loadConfig } from '@punctual/config';
import { CreateTaskBody } from '@punctual/contract';
import { checkAddress, IPV4_BLOCKED, IPV6_BLOCKED } from '@punctual/executor';
import { NODE_FLAGS } from '@punctual/process';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import {
  argumentsOf,
  cidrContains,
  cidrOverlaps,
  type ComposeFile,
  containerEnvironment,
  type Container,
  dockerStages,
  durationSeconds,
  instructionsOf,
  interpolate,
  type K8sObject,
  K8S_DIR,
  matchesLabels,
  parseCidr,
  readManifests,
  readRepoFile,
  readYaml,
  repoRoot,
  resolvePort,
  type Workload,
} from './deployment-files.js';

// The deployment files are never run here (no Docker engine, no cluster): these cases parse them and check that their
// parts fit together and with the code: names, labels, ports, probes, commands, the environment the config needs.

/** The longest attempt a task may ask for, in seconds: workers must be given longer than this to drain. */
const LONGEST_ATTEMPT_SECONDS = schemaOption(CreateTaskBody.properties.timeoutMs, 'maximum') / 1000;

/**
 * Variables a deployment file may set that EnvSchema does not read: OpenTelemetry's standard names (read by the tracing
 * setup). Anything else unknown is a typo.
 */
const READ_OUTSIDE_ENV_SCHEMA = new Set(['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_SERVICE_NAME']);
const KNOWN_VARIABLES = new Set([...Object.keys(EnvSchema.properties), ...READ_OUTSIDE_ENV_SCHEMA]);

const DEFAULT_PORT = schemaOption(EnvSchema.properties.PORT, 'default');
const DEFAULT_WORKER_HTTP_PORT = schemaOption(EnvSchema.properties.WORKER_HTTP_PORT, 'default');

/** A numeric keyword of a TypeBox schema (its types do not carry the options it was built with). */
function schemaOption(schema: object, keyword: 'default' | 'maximum'): number {
  const value = (schema as Record<string, unknown>)[keyword];
  if (typeof value !== 'number') throw new Error(`schema has no numeric ${keyword}`);
  return value;
}

/** Secrets as an operator generates them (`openssl rand -base64 48` / `32`, `-hex`): accepted by the production checks. */
function generatedSecrets(): { JWT_SECRET: string; SECRETS_KEY: string; POSTGRES_PASSWORD: string; GRAFANA_ADMIN_PASSWORD: string } {
  return {
    JWT_SECRET: randomBytes(48).toString('base64'),
    SECRETS_KEY: randomBytes(32).toString('base64'),
    POSTGRES_PASSWORD: randomBytes(24).toString('hex'),
    GRAFANA_ADMIN_PASSWORD: randomBytes(16).toString('hex'),
  };
}

/** The two the processes read (the Kubernetes Secret holds these; the database password is in its DATABASE_URL). */
function appSecrets(): { JWT_SECRET: string; SECRETS_KEY: string } {
  const { JWT_SECRET, SECRETS_KEY } = generatedSecrets();
  return { JWT_SECRET, SECRETS_KEY };
}

/** All of them but `name`. */
function secretsWithout(name: keyof ReturnType<typeof generatedSecrets>): Record<string, string> {
  const { [name]: _left, ...rest } = generatedSecrets();
  return rest;
}

function unknownVariables(environment: Record<string, string>): string[] {
  return Object.keys(environment).filter((name) => !KNOWN_VARIABLES.has(name));
}

function hostOf(url: string): { hostname: string; port: string } {
  const { hostname, port } = new URL(url);
  return { hostname, port };
}

describe('docker-compose.yml', () => {
  const compose = readYaml<ComposeFile>('docker-compose.yml');
  const { services } = compose;
  const processes = ['migrate', 'api', 'worker'] as const;

  it('runs Postgres, Redis, migrate, the API, workers, Mailpit, Prometheus and Grafana, each with a healthcheck but the one-shot migrate', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'grafana', 'mailpit', 'migrate', 'postgres', 'prometheus', 'redis', 'worker']);
    for (const [name, service] of Object.entries(services)) {
      if (name === 'migrate') expect(service.healthcheck, name).toBeUndefined();
      else expect(service.healthcheck?.test.length, name).toBeGreaterThan(1);
    }
    expect(services.migrate!.restart).toBe('no');
  });

  it('runs Redis with AOF fsynced every second and noeviction', () => {
    const command = services.redis!.command!;
    const option = (name: string) => command[command.indexOf(name) + 1];
    expect(command[0]).toBe('redis-server');
    expect(option('--appendonly')).toBe('yes');
    expect(option('--appendfsync')).toBe('everysec');
    expect(option('--maxmemory-policy')).toBe('noeviction');
  });

  it('runs two workers that `--scale worker=N` can change: no container_name, no published port', () => {
    const worker = services.worker!;
    expect(worker.deploy?.replicas).toBe(2);
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
  });

  it('gives workers longer than the longest attempt to stop, and the API its close', () => {
    expect(LONGEST_ATTEMPT_SECONDS).toBe(300);
    expect(durationSeconds(services.worker!.stop_grace_period!)).toBeGreaterThanOrEqual(LONGEST_ATTEMPT_SECONDS + 10);
    expect(durationSeconds(services.api!.stop_grace_period!)).toBeGreaterThanOrEqual(15);
  });

  it('starts each service after what it needs: healthy dependencies, and migrate completed before the API and workers', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        const target = services[dependency];
        expect(target, `${name} -> ${dependency}`).toBeDefined();
        if (target?.restart === 'no') expect(condition, `${name} -> ${dependency}`).toBe('service_completed_successfully');
        else expect(condition, `${name} -> ${dependency}`).toBe('service_healthy');
      }
    }
    for (const name of ['api', 'worker']) {
      expect(Object.keys(services[name]!.depends_on!).sort(), name).toEqual(['migrate', 'postgres', 'redis']);
    }
    expect(Object.keys(services.migrate!.depends_on!)).toEqual(['postgres']);
    expect(services.grafana!.depends_on?.prometheus?.condition).toBe('service_healthy');
  });

  it('runs the compiled entry points of the one image with plain node', () => {
    const commands = {
      migrate: ['node', 'api/dist/migrate.js'],
      api: ['node', ...NODE_FLAGS, 'api/dist/server.js'],
      worker: ['node', ...NODE_FLAGS, 'worker/dist/main.js'],
    };
    for (const name of processes) {
      expect(services[name]!.image, name).toBe('punctual:local');
      expect(services[name]!.build, name).toEqual({ context: '.', dockerfile: 'infra/Dockerfile' });
      expect(services[name]!.command, name).toEqual(commands[name]);
    }
  });

  it('refuses to start without JWT_SECRET, SECRETS_KEY and POSTGRES_PASSWORD', () => {
    for (const name of processes) {
      expect(() => containerEnvironment(services[name]!, secretsWithout('JWT_SECRET'))).toThrow(/required variable JWT_SECRET/);
      expect(() => containerEnvironment(services[name]!, secretsWithout('SECRETS_KEY'))).toThrow(/required variable SECRETS_KEY/);
      expect(() => containerEnvironment(services[name]!, secretsWithout('POSTGRES_PASSWORD'))).toThrow(
        /required variable POSTGRES_PASSWORD/,
      );
    }
  });

  it('runs Postgres with a required password, never trust, and the processes connect with that password', () => {
    const postgres = services.postgres!;
    expect(postgres.environment).not.toHaveProperty('POSTGRES_HOST_AUTH_METHOD');
    expect(() => containerEnvironment(postgres, secretsWithout('POSTGRES_PASSWORD'))).toThrow(/required variable POSTGRES_PASSWORD/);
    const secrets = generatedSecrets();
    const server = containerEnvironment(postgres, secrets);
    expect(server.POSTGRES_PASSWORD).toBe(secrets.POSTGRES_PASSWORD);
    for (const name of processes) {
      const url = new URL(containerEnvironment(services[name]!, secrets).DATABASE_URL!);
      expect({ user: url.username, password: url.password }, name).toEqual({
        user: server.POSTGRES_USER,
        password: secrets.POSTGRES_PASSWORD,
      });
    }
  });

  it('publishes the API on loopback unless API_BIND says otherwise, as the header comment says', () => {
    const [port] = services.api!.ports!;
    expect(interpolate(port!, {})).toBe(`127.0.0.1:${DEFAULT_PORT}:${DEFAULT_PORT}`);
    expect(interpolate(port!, { API_BIND: '0.0.0.0' })).toBe(`0.0.0.0:${DEFAULT_PORT}:${DEFAULT_PORT}`);
    expect(readRepoFile('docker-compose.yml')).toMatch(new RegExp(`API +http://127\\.0\\.0\\.1:${DEFAULT_PORT}`));
    // Every other published port is on loopback, unconditionally.
    for (const [name, service] of Object.entries(services)) {
      if (name === 'api') continue;
      for (const published of service.ports ?? []) expect(interpolate(published, {}), name).toMatch(/^127\.0\.0\.1:/);
    }
  });

  it('requires the Grafana admin password: no admin/admin default', () => {
    const grafana = services.grafana!;
    expect(() => containerEnvironment(grafana, secretsWithout('GRAFANA_ADMIN_PASSWORD'))).toThrow(
      /required variable GRAFANA_ADMIN_PASSWORD/,
    );
    const secrets = generatedSecrets();
    expect(containerEnvironment(grafana, secrets).GF_SECURITY_ADMIN_PASSWORD).toBe(secrets.GRAFANA_ADMIN_PASSWORD);
  });

  it('gives migrate, the API and the workers an environment the production config accepts, pointing at the compose services', () => {
    for (const name of processes) {
      const environment = containerEnvironment(services[name]!, generatedSecrets());
      expect(unknownVariables(environment), name).toEqual([]);
      const config = loadConfig(environment);
      expect(config.env, name).toBe('production');
      expect(config.warnings, name).toEqual([]);
      expect(services[hostOf(config.databaseUrl).hostname]?.image, name).toMatch(/^postgres:/);
      expect(services[hostOf(config.redisUrl).hostname]?.image, name).toMatch(/^redis:/);
      expect(services[hostOf(environment.SMTP_URL!).hostname]?.image, name).toMatch(/^axllent\/mailpit:/);
    }
  });

  it('probes the API and the workers on the ports their config listens on, with node (the image has no curl)', () => {
    const probed = { api: DEFAULT_PORT, worker: DEFAULT_WORKER_HTTP_PORT };
    for (const [name, port] of Object.entries(probed)) {
      const environment = containerEnvironment(services[name]!, generatedSecrets());
      const configured = name === 'api' ? loadConfig(environment).port : loadConfig(environment).workerHttpPort;
      expect(configured, name).toBe(port);
      const [kind, command, flag, script] = services[name]!.healthcheck!.test;
      expect([kind, command, flag], name).toEqual(['CMD', 'node', '-e']);
      expect(script, name).toContain(`fetch('http://127.0.0.1:${port}/health/ready'`);
    }
    expect(services.api!.ports!.map((port) => interpolate(port, {}))).toEqual([`127.0.0.1:${DEFAULT_PORT}:${DEFAULT_PORT}`]);
    expect(services.worker!.expose).toEqual([String(DEFAULT_WORKER_HTTP_PORT)]);
  });

  it('lets Prometheus scrape the API and every worker replica by DNS discovery of their service names', () => {
    const prometheus = services.prometheus!;
    expect(prometheus.volumes).toContain('./infra/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
    const config = readYaml<{
      scrape_configs: { job_name: string; dns_sd_configs?: { names: string[]; type: string; port: number }[] }[];
    }>('infra/prometheus/prometheus.yml');
    const discovered = config.scrape_configs.flatMap(({ dns_sd_configs = [] }) =>
      dns_sd_configs.flatMap(({ names, type, port }) => names.map((name) => ({ name, type, port }))),
    );
    expect(discovered).toEqual([
      { name: 'api', type: 'A', port: DEFAULT_PORT },
      { name: 'worker', type: 'A', port: DEFAULT_WORKER_HTTP_PORT },
    ]);
  });

  it('provisions Grafana with the Prometheus datasource and the dashboards directory', () => {
    const grafana = services.grafana!;
    const mounts = new Map(grafana.volumes!.map((volume) => [volume.split(':')[1], volume.split(':')[0]]));
    expect(mounts.get('/etc/grafana/provisioning')).toBe('./infra/grafana/provisioning');
    const dashboardsMount = [...mounts].find(([, source]) => source === './infra/grafana/dashboards')?.[0];
    expect(dashboardsMount).toBeDefined();

    const { datasources } = readYaml<{ datasources: { uid: string; type: string; url: string }[] }>(
      'infra/grafana/provisioning/datasources/prometheus.yml',
    );
    expect(datasources).toHaveLength(1);
    expect(datasources[0]).toMatchObject({ uid: 'prometheus', type: 'prometheus', url: 'http://prometheus:9090' });
    expect(services.prometheus!.ports).toEqual(['127.0.0.1:9090:9090']);

    const { providers } = readYaml<{ providers: { type: string; options: { path: string } }[] }>(
      'infra/grafana/provisioning/dashboards/punctual.yml',
    );
    expect(providers.map(({ type, options }) => ({ type, path: options.path }))).toEqual([{ type: 'file', path: dashboardsMount }]);
  });
});

describe('package.json', () => {
  it('starts the API and the worker with the production Node flags (NODE_FLAGS), as the image does', () => {
    const { scripts } = JSON.parse(readRepoFile('package.json')) as { scripts: Record<string, string> };

    expect(scripts['start:api']).toBe(`exec node ${NODE_FLAGS.join(' ')} apps/api/dist/server.js`);
    expect(scripts['start:worker']).toBe(`exec node ${NODE_FLAGS.join(' ')} apps/worker/dist/main.js`);
  });
});

describe('infra/Dockerfile', () => {
  const stages = dockerStages(readRepoFile('infra/Dockerfile'));
  const runtime = stages.at(-1)!;
  const build = stages.find((stage) => stage.name === 'build')!;
  const runs = instructionsOf(build, 'RUN').map((run) => run.getArgumentsContent()!.replace(/\s*\\\n\s*/g, ' '));

  it('builds on Node 24 slim in both stages', () => {
    expect(stages.map((stage) => stage.name)).toEqual(['build', 'runtime']);
    for (const stage of stages) expect(stage.image, stage.name!).toMatch(/^node:24-[a-z]+-slim$/);
  });

  it('installs from the lockfile with the pnpm version package.json names, builds, and deploys each app with production dependencies', () => {
    const { packageManager } = JSON.parse(readRepoFile('package.json')) as { packageManager: string };
    const pnpmVersion = instructionsOf(build, 'ARG')
      .map((arg) => argumentsOf(arg)[0]!)
      .find((arg) => arg.startsWith('PNPM_VERSION='));
    expect(`pnpm@${pnpmVersion?.split('=')[1]}`).toBe(packageManager);
    expect(runs.some((run) => /^pnpm install --frozen-lockfile\b/.test(run))).toBe(true);
    expect(runs).toContain('pnpm build');
    const deploy = runs.find((run) => run.includes(' deploy '))!;
    expect(deploy).toMatch(/pnpm --filter @punctual\/api --prod deploy --legacy .*\/out\/api\b/);
    expect(deploy).toMatch(/pnpm --filter @punctual\/worker --prod deploy --legacy .*\/out\/worker\b/);
  });

  it('has the patched dependencies (pnpm-workspace.yaml) before pnpm fetch, which refuses a missing patch', () => {
    const { patchedDependencies } = readYaml<{ patchedDependencies: Record<string, string> }>('pnpm-workspace.yaml');
    const patches = Object.values(patchedDependencies);
    expect(patches.length).toBeGreaterThan(0);
    for (const patch of patches) expect(existsSync(new URL(patch, repoRoot)), patch).toBe(true);
    const position = (test: (instruction: (typeof build.instructions)[number]) => boolean): number => build.instructions.findIndex(test);
    const copiesPatches = position((instruction) => instruction.getKeyword() === 'COPY' && argumentsOf(instruction)[0] === 'patches');
    const fetches = position(
      (instruction) => instruction.getKeyword() === 'RUN' && /^pnpm fetch\b/.test(instruction.getArgumentsContent() ?? ''),
    );
    expect(copiesPatches).toBeGreaterThanOrEqual(0);
    expect(fetches).toBeGreaterThan(copiesPatches);
  });

  it('ships only the deployed apps, as the non-root node user, in production mode, starting the compiled API', () => {
    const copies = instructionsOf(runtime, 'COPY').map((copy) => argumentsOf(copy));
    expect(copies).toEqual([
      ['--from=build', '/out/api', './api'],
      ['--from=build', '/out/worker', './worker'],
    ]);
    expect(instructionsOf(runtime, 'ADD')).toEqual([]);
    expect(argumentsOf(instructionsOf(runtime, 'WORKDIR').at(-1)!)).toEqual(['/app']);
    expect(argumentsOf(instructionsOf(runtime, 'USER').at(-1)!)).toEqual(['node']);
    const environment = instructionsOf(runtime, 'ENV').flatMap((env) => argumentsOf(env));
    expect(environment).toContain('NODE_ENV=production');
    expect(argumentsOf(instructionsOf(runtime, 'CMD').at(-1)!)).toEqual(['node', ...NODE_FLAGS, 'api/dist/server.js']);
    expect(instructionsOf(runtime, 'EXPOSE').flatMap((expose) => argumentsOf(expose))).toEqual([
      String(DEFAULT_PORT),
      String(DEFAULT_WORKER_HTTP_PORT),
    ]);
    expect(instructionsOf(runtime, 'ENTRYPOINT')).toEqual([]);
  });

  it('keeps what the image builds for itself out of the build context', () => {
    const ignored = readRepoFile('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    for (const entry of ['**/node_modules', '**/dist', '.git', '.data', '.tools', '.env']) expect(ignored).toContain(entry);
  });
});

describe('infra/k8s', () => {
  const manifests = readManifests();
  const objects = manifests.map(({ object }) => object);
  const find = <T extends K8sObject>(kind: string, name: string) => {
    const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
    if (!found) throw new Error(`no ${kind} ${name} in ${K8S_DIR}`);
    return found as T;
  };
  const api = find<Workload>('Deployment', 'punctual-api');
  const worker = find<Workload>('Deployment', 'punctual-worker');
  const migrate = find<Workload>('Job', 'punctual-migrate');
  const workloads = [api, worker, migrate];
  const container = (workload: Workload) => workload.spec.template.spec.containers[0]!;
  const configMap = find<K8sObject & { data: Record<string, string> }>('ConfigMap', 'punctual-config');
  const secret = find<K8sObject & { stringData: Record<string, string> }>('Secret', 'punctual-secrets');

  /** A container's environment as the kubelet builds it: envFrom sources in order, then env. */
  function podEnvironment(c: Container, secretData: Record<string, string>): Record<string, string> {
    const fromSources = (c.envFrom ?? []).map((source) => {
      if ('configMapRef' in source) return find<typeof configMap>('ConfigMap', source.configMapRef.name).data;
      expect(source.secretRef.name).toBe(secret.metadata.name);
      return secretData;
    });
    const own = Object.fromEntries((c.env ?? []).map(({ name, value }) => [name, value ?? '']));
    return Object.assign({}, ...fromSources, own) as Record<string, string>;
  }

  it('validates every object against its API schema (Kubernetes, KEDA, Prometheus Operator)', () => {
    const models = [ConfigMap, Deployment, Job, Namespace, NetworkPolicy, PodDisruptionBudget, PodMonitor, ScaledObject, Secret, Service];
    for (const { file, object } of manifests) {
      const Model = models.find((model) => model.apiVersion === object.apiVersion && model.kind === object.kind);
      expect(Model, `${file}: ${object.apiVersion} ${object.kind}`).toBeDefined();
      expect(() => new Model!(object as never).validate(), `${file}: ${object.kind} ${object.metadata.name}`).not.toThrow();
    }
  });

  it('puts every object in the punctual namespace, labelled part-of punctual', () => {
    expect(objects.length).toBeGreaterThanOrEqual(10);
    for (const { file, object } of manifests) {
      if (object.kind === 'Namespace') expect(object.metadata.name).toBe('punctual');
      else expect(object.metadata.namespace, `${file}: ${object.kind}`).toBe('punctual');
      expect(object.metadata.labels?.['app.kubernetes.io/part-of'], `${file}: ${object.kind}`).toBe('punctual');
    }
  });

  it('lists in kustomization.yaml only files that exist, leaving out the Secret template, the Job and the CRD objects', () => {
    const { resources, namespace } = readYaml<{ resources: string[]; namespace: string }>(`${K8S_DIR}kustomization.yaml`);
    expect(namespace).toBe('punctual');
    for (const resource of resources) expect(existsSync(new URL(`${K8S_DIR}${resource}`, repoRoot)), resource).toBe(true);
    const files = new Set(manifests.map(({ file }) => file));
    const outside = [...files].filter((file) => !resources.includes(file)).sort();
    expect(outside).toEqual(['migrate-job.yaml', 'prometheus-podmonitor.yaml', 'secret.example.yaml', 'worker-keda-scaledobject.yaml']);
  });

  it('selects each Deployment’s own pods, and routes the API Service to them on a named container port', () => {
    for (const deployment of [api, worker]) {
      const { selector, template } = deployment.spec;
      expect(matchesLabels(selector!.matchLabels, template.metadata.labels), deployment.metadata.name).toBe(true);
      const other = deployment === api ? worker : api;
      expect(matchesLabels(selector!.matchLabels, other.spec.template.metadata.labels), deployment.metadata.name).toBe(false);
    }
    const services = objects.filter((object) => object.kind === 'Service') as (K8sObject & {
      spec: { selector: Record<string, string>; ports: { targetPort: string | number }[] };
    })[];
    expect(services.map((service) => service.metadata.name)).toEqual(['punctual-api']);
    const [service] = services;
    expect(matchesLabels(service!.spec.selector, api.spec.template.metadata.labels)).toBe(true);
    expect(matchesLabels(service!.spec.selector, worker.spec.template.metadata.labels)).toBe(false);
    for (const { targetPort } of service!.spec.ports) expect(resolvePort(container(api), targetPort)).toBe(DEFAULT_PORT);
  });

  it('has a PodDisruptionBudget for the API and for the workers, each selecting only its pods', () => {
    const budgets = objects.filter((object) => object.kind === 'PodDisruptionBudget') as (K8sObject & {
      spec: { selector: { matchLabels: Record<string, string> }; maxUnavailable?: number };
    })[];
    const selected = budgets.map((budget) =>
      [api, worker]
        .filter((deployment) => matchesLabels(budget.spec.selector.matchLabels, deployment.spec.template.metadata.labels))
        .map((deployment) => deployment.metadata.name),
    );
    expect(selected).toEqual([['punctual-api'], ['punctual-worker']]);
    for (const budget of budgets) expect(budget.spec.maxUnavailable).toBe(1);
  });

  it('probes readiness on /health/ready and liveness on /health/live, on the port the process listens on', () => {
    const listens = { 'punctual-api': Number(configMap.data.PORT), 'punctual-worker': Number(configMap.data.WORKER_HTTP_PORT) };
    expect(listens).toEqual({ 'punctual-api': DEFAULT_PORT, 'punctual-worker': DEFAULT_WORKER_HTTP_PORT });
    for (const deployment of [api, worker]) {
      const c = container(deployment);
      const port = listens[deployment.metadata.name as keyof typeof listens];
      expect(
        c.ports?.map((p) => p.containerPort),
        deployment.metadata.name,
      ).toEqual([port]);
      expect(c.readinessProbe?.httpGet.path, deployment.metadata.name).toBe('/health/ready');
      expect(c.livenessProbe?.httpGet.path, deployment.metadata.name).toBe('/health/live');
      for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
        expect(resolvePort(c, probe!.httpGet.port), deployment.metadata.name).toBe(port);
      }
      const annotations = deployment.spec.template.metadata.annotations!;
      expect(annotations['prometheus.io/port'], deployment.metadata.name).toBe(String(port));
      expect(annotations['prometheus.io/path'], deployment.metadata.name).toBe('/metrics');
    }
    const podMonitor = find<K8sObject & { spec: { podMetricsEndpoints: { port: string }[] } }>('PodMonitor', 'punctual');
    for (const { port } of podMonitor.spec.podMetricsEndpoints) {
      expect(resolvePort(container(api), port)).toBe(DEFAULT_PORT);
      expect(resolvePort(container(worker), port)).toBe(DEFAULT_WORKER_HTTP_PORT);
    }
  });

  it('gives workers longer than the longest attempt to drain', () => {
    expect(worker.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(LONGEST_ATTEMPT_SECONDS + 10);
    expect(api.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(15);
  });

  it('runs every container as non-root on a read-only root filesystem, with resource requests and a memory limit', () => {
    for (const workload of workloads) {
      const { spec } = workload.spec.template;
      expect(spec.securityContext?.runAsNonRoot, workload.metadata.name).toBe(true);
      expect(spec.securityContext?.runAsUser, workload.metadata.name).not.toBe(0);
      for (const c of spec.containers) {
        expect(c.securityContext, c.name).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(Object.keys(c.resources?.requests ?? {}).sort(), c.name).toEqual(['cpu', 'memory']);
        expect(c.resources?.limits?.memory, c.name).toBeDefined();
      }
    }
  });

  it("gives a container that caps V8's old space a memory limit above that cap, so V8 collects before the kernel kills", () => {
    const mebibytes = (quantity: string): number => {
      const match = /^(\d+)(Mi|Gi)$/.exec(quantity);
      if (!match) throw new Error(`memory quantity ${quantity}: write it in Mi or Gi`);
      return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
    };
    const capped = workloads
      .flatMap((workload) => workload.spec.template.spec.containers)
      .filter((c) => c.command?.some((arg) => arg.startsWith('--max-old-space-size=')));
    expect(capped.map((c) => c.name).sort()).toEqual(['api', 'worker']);
    for (const c of capped) {
      const oldSpace = Number(c.command.find((arg) => arg.startsWith('--max-old-space-size='))!.split('=')[1]);
      // The young generation (3 × semi-space), code, stacks and buffers live outside the old space.
      expect(mebibytes(String(c.resources!.limits!.memory)), c.name).toBeGreaterThanOrEqual(oldSpace + 256);
    }
  });

  it('runs the compiled entry points of one image', () => {
    const images = new Set(workloads.map((workload) => container(workload).image));
    expect(images.size).toBe(1);
    expect(workloads.map((workload) => container(workload).command)).toEqual([
      ['node', ...NODE_FLAGS, 'api/dist/server.js'],
      ['node', ...NODE_FLAGS, 'worker/dist/main.js'],
      ['node', 'api/dist/migrate.js'],
    ]);
  });

  it('gives the API, the workers and the migrate Job an environment the production config accepts once the Secret is filled in', () => {
    const filledIn = { ...secret.stringData, ...appSecrets() };
    for (const workload of workloads) {
      const environment = podEnvironment(container(workload), filledIn);
      expect(unknownVariables(environment), workload.metadata.name).toEqual([]);
      const config = loadConfig(environment);
      expect(config.env, workload.metadata.name).toBe('production');
      expect(config.warnings, workload.metadata.name).toEqual([]);
      expect(hostOf(config.databaseUrl).hostname, workload.metadata.name).not.toMatch(/^(127\.|localhost$)/);
      expect(hostOf(config.redisUrl).hostname, workload.metadata.name).not.toMatch(/^(127\.|localhost$)/);
    }
    expect(unknownVariables(secret.stringData)).toEqual([]);
  });

  it.for(['JWT_SECRET', 'SECRETS_KEY'])('refuses to start with the Secret template’s %s placeholder left in', (name) => {
    const filledIn = { ...secret.stringData, ...appSecrets(), [name]: secret.stringData[name]! };
    expect(secret.stringData[name]).toMatch(/^REPLACE_ME/);
    const problems = (() => {
      try {
        loadConfig(podEnvironment(container(api), filledIn));
        return [];
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        return error.problems;
      }
    })();
    expect(problems.map((problem) => problem.split(':')[0])).toEqual([name]);
  });

  it('scales the worker Deployment with KEDA on queue depth from Prometheus, per WORKER_CONCURRENCY jobs, never to zero', () => {
    const scaled = find<K8sObject & { spec: Record<string, any> }>('ScaledObject', 'punctual-worker');
    expect(scaled.spec.scaleTargetRef.name).toBe(worker.metadata.name);
    expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
    expect(scaled.spec.maxReplicaCount).toBeGreaterThan(scaled.spec.minReplicaCount);
    expect(scaled.spec.fallback.replicas).toBeGreaterThanOrEqual(scaled.spec.minReplicaCount);
    expect(worker.spec.replicas).toBeUndefined(); // KEDA owns the count
    const [trigger, ...others] = scaled.spec.triggers as { type: string; metadata: Record<string, string> }[];
    expect(others).toEqual([]);
    expect(trigger!.type).toBe('prometheus');
    expect(trigger!.metadata.query).toMatch(/punctual_queue_jobs\{[^}]*state=~"waiting\|prioritized\|active"/);
    const concurrency = container(worker).env!.find(({ name }) => name === 'WORKER_CONCURRENCY')!.value;
    expect(trigger!.metadata.threshold).toBe(concurrency);
    expect(trigger!.metadata.ignoreNullValues).toBe('false');
  });

  describe('worker NetworkPolicy', () => {
    const policy = find<
      K8sObject & {
        spec: {
          podSelector: { matchLabels: Record<string, string> };
          policyTypes: string[];
          egress: {
            to: {
              ipBlock?: { cidr: string; except?: string[] };
              namespaceSelector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
              podSelector?: object;
            }[];
            ports?: { protocol: string; port: number }[];
          }[];
        };
      }
    >('NetworkPolicy', 'punctual-worker-egress');
    const ipBlocks = policy.spec.egress.flatMap(({ to }) => to.flatMap(({ ipBlock }) => (ipBlock ? [ipBlock] : [])));
    const reachable = (cidr: string) =>
      ipBlocks.some(({ cidr: allowed, except = [] }) => {
        const range = parseCidr(cidr);
        return cidrContains(parseCidr(allowed), range) && !except.some((excluded) => cidrOverlaps(parseCidr(excluded), range));
      });
    const touched = (cidr: string) =>
      ipBlocks.some(({ cidr: allowed, except = [] }) => {
        const range = parseCidr(cidr);
        return cidrOverlaps(parseCidr(allowed), range) && !except.some((excluded) => cidrContains(parseCidr(excluded), range));
      });

    it('restricts the egress of the worker pods only', () => {
      expect(policy.spec.policyTypes).toEqual(['Egress']);
      expect(matchesLabels(policy.spec.podSelector.matchLabels, worker.spec.template.metadata.labels)).toBe(true);
      expect(matchesLabels(policy.spec.podSelector.matchLabels, api.spec.template.metadata.labels)).toBe(false);
    });

    it('allows DNS, and Postgres, Redis, SMTP and OTLP in the cluster by pod selector', () => {
      const podPorts = policy.spec.egress
        .filter(({ to }) => to.every(({ podSelector }) => podSelector !== undefined))
        .flatMap(({ ports = [] }) => ports.map(({ protocol, port }) => `${port}/${protocol}`));
      expect(podPorts.sort()).toEqual(
        ['53/UDP', '53/TCP', '5432/TCP', '6379/TCP', '25/TCP', '465/TCP', '587/TCP', '4317/TCP', '4318/TCP'].sort(),
      );
    });

    it("pins every in-cluster peer to one namespace by name, never any namespace's pods with the same labels", () => {
      const peers = policy.spec.egress.flatMap(({ to }) => to.filter(({ ipBlock }) => ipBlock === undefined));
      expect(peers).toHaveLength(5);
      for (const peer of peers) {
        expect(peer.podSelector, JSON.stringify(peer)).toBeDefined();
        expect(peer.namespaceSelector?.matchExpressions, JSON.stringify(peer)).toBeUndefined();
        expect(Object.keys(peer.namespaceSelector?.matchLabels ?? {}), JSON.stringify(peer)).toEqual(['kubernetes.io/metadata.name']);
        expect(peer.namespaceSelector!.matchLabels!['kubernetes.io/metadata.name'], JSON.stringify(peer)).toMatch(/^[a-z0-9-]+$/);
      }
      // Each dependency's namespace is marked for the operator to set (DNS's is kube-system everywhere).
      const text = readRepoFile('infra/k8s/worker-network-policy.yaml');
      const namespaceLines = text.split('\n').filter((line) => line.includes('kubernetes.io/metadata.name:'));
      expect(namespaceLines.filter((line) => /# REPLACE: .*namespace/.test(line))).toHaveLength(4);
      expect(namespaceLines.filter((line) => line.includes('kube-system'))).toHaveLength(1);
    });

    it('allows the public internet on IPv4 and IPv6', () => {
      for (const address of ['1.1.1.1/32', '8.8.8.8/32', '2606:4700:4700::1111/128']) expect(reachable(address), address).toBe(true);
    });

    it('reaches no address of any range the address guard refuses (private, loopback, metadata, CGNAT, ...)', () => {
      const refused = [...IPV4_BLOCKED, ...IPV6_BLOCKED].map(([network, bits]) => `${network}/${bits}`);
      expect(refused).toEqual(expect.arrayContaining(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.169.254/32']));
      expect(refused).toEqual(expect.arrayContaining(['169.254.0.0/16', '100.64.0.0/10', 'fc00::/7', 'fe80::/10']));
      for (const range of refused) expect(touched(range), range).toBe(false);
      // IPv6 outside global unicast (2000::/3) is refused by the guard as a whole: the policy allows nothing outside it.
      for (const { cidr } of ipBlocks.filter(({ cidr }) => cidr.includes(':'))) {
        expect(cidrContains(parseCidr('2000::/3'), parseCidr(cidr)), cidr).toBe(true);
      }
    });

    it('keeps out nothing the guard would let a task call', () => {
      for (const { except = [] } of ipBlocks) {
        for (const excluded of except) expect(checkAddress(excluded.split('/')[0]!), excluded).not.toBeNull();
      }
    });
  });
});

describe('interpolate (compose variable syntax)', () => {
  it.for<{ value: string; variables: Record<string, string>; expected: string }>([
    { value: 'a ${X} b', variables: { X: '1' }, expected: 'a 1 b' },
    { value: '${X:-d}', variables: { X: '' }, expected: 'd' },
    { value: '${X-d}', variables: { X: '' }, expected: '' },
    { value: '${X-d}', variables: {}, expected: 'd' },
    { value: '${X:?need X}', variables: { X: 'v' }, expected: 'v' },
    { value: '$${X}', variables: { X: 'v' }, expected: '${X}' },
    { value: '${X}', variables: {}, expected: '' },
  ])('reads $value with $variables as $expected', ({ value, variables, expected }) => {
    expect(interpolate(value, variables)).toBe(expected);
  });

  it('throws on a missing required variable, naming it', () => {
    expect(() => interpolate('${X:?set X}', { X: '' })).toThrow('required variable X is missing: set X');
    expect(() => interpolate('${X?set X}', {})).toThrow('required variable X is missing: set X');
  });
});
