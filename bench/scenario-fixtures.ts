import { startApi, startTargetServer, startWorker, type PunctualProcess, type TargetServer } from '@punctual/testing';
import { registerUser, type ApiSession } from './api-session.js';
import { createBenchEnvironment, type BenchEnvironment } from './bench-environment.js';
import type { ScenarioContext } from './scenario.js';

/** Generous: on a shared two-core machine a process may take a minute to boot, which is not what is measured. */
const READY_TIMEOUT_MS = 120_000;

/**
 * The pieces a scenario run starts, each removed by the run's teardown: a database and queue prefix of its own, the
 * local HTTP target (in this process, so its receive times share the bench's clock), the API and workers.
 */

export async function useEnvironment(context: ScenarioContext): Promise<BenchEnvironment> {
  const environment = await createBenchEnvironment(context.options);
  context.teardown.push(() => environment.cleanup());
  return environment;
}

export async function useTarget(context: ScenarioContext): Promise<TargetServer> {
  const target = await startTargetServer();
  context.teardown.push(() => target.close());
  return target;
}

/** The API with production settings, compiled, as a deployment runs it. */
export async function useApi(context: ScenarioContext, environment: BenchEnvironment): Promise<PunctualProcess & { url: string }> {
  const api = await startApi(environment.processEnv, { readyTimeoutMs: READY_TIMEOUT_MS });
  context.teardown.push(() => stopQuietly(api));
  return api;
}

/** A worker at its default settings (WORKER_CONCURRENCY included) unless `env` says otherwise. */
export async function useWorker(
  context: ScenarioContext,
  environment: BenchEnvironment,
  env: Record<string, string> = {},
  name = 'worker',
): Promise<PunctualProcess> {
  const worker = await startWorker({ ...environment.processEnv, ...env }, { name, readyTimeoutMs: READY_TIMEOUT_MS });
  context.teardown.push(() => stopQuietly(worker));
  return worker;
}

/** Stops a process that may already have been stopped; a slow exit is killed rather than failing the teardown. */
async function stopQuietly(child: PunctualProcess): Promise<void> {
  await child.stop('SIGTERM', 15_000).catch(() => child.kill());
}

/** What the end-to-end scenarios (burst, steady, sustained) run against: the API and one worker, a target, a user. */
export interface EndToEnd {
  environment: BenchEnvironment;
  target: TargetServer;
  api: PunctualProcess & { url: string };
  session: ApiSession;
}

/** The API and one worker (default settings) started together, the target, and a registered user. */
export async function useEndToEnd(context: ScenarioContext): Promise<EndToEnd> {
  const environment = await useEnvironment(context);
  const target = await useTarget(context);
  const [api] = await Promise.all([useApi(context, environment), useWorker(context, environment)]);
  return { environment, target, api, session: await registerUser(api.url) };
}

/**
 * The body of the `index`-th bench task calling `path` on the target with `{ hello: 'world' }`, no retries; `query`
 * adds parameters the scenario reads back from the call (the time its create was due to go out, say).
 */
export function benchTask(
  scenario: string,
  target: TargetServer,
  path: string,
  index: number,
  extra: { query?: string; scheduledAt?: string } = {},
) {
  return {
    name: `bench ${scenario} ${index}`,
    url: `${target.url}${path}?i=${index}${extra.query ?? ''}`,
    method: 'POST',
    body: { hello: 'world' },
    ...(extra.scheduledAt ? { scheduledAt: extra.scheduledAt } : {}),
    maxRetries: 0,
  };
}
