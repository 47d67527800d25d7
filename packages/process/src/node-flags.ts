/**
 * The Node flags the API and the worker run with, wherever they are started: `pnpm start:api`/`start:worker`,
 * `pnpm start`, the Docker image, the compose file and the Kubernetes manifests (a test keeps those in step with this
 * list), and the test and bench processes of @punctual/testing.
 *
 * `--max-semi-space-size=1` (MiB): Node 24 lets the young generation grow to 32 MiB per semi-space under allocation
 * (start-up, a burst of requests), and V8 keeps those pages once touched; capped, an idle API or worker stays ~60 MiB
 * smaller (measured: API 180 → 119 MiB, worker 135 → 110 MiB RSS idle). V8 reads it only when the heap is created,
 * so it must be a command-line flag: `v8.setFlagsFromString` at run time has no effect on it.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];
