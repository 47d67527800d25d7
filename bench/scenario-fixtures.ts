import { startApi, startTargetServer, startWorker, type PunctualProcess, type TargetServer } from '@punctual/testing';
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
