/**
 * The Node flags the API and the worker run with, wherever they are started: `pnpm start:api`/`start:worker`,
 * `pnpm start`, the Docker image, the compose file and the Kubernetes manifests (a test keeps those in step with this
 * list), and the test and bench processes of @punctual/testing.
 *
 * `--max-semi-space-size=16` (MiB) bounds V8's young generation below Node 24's default of 32 MiB per semi-space.
 * Under load it must stay roomy: capped at 1 MiB, a worker's scavenges promoted the objects of the attempts still in
 * flight, and a drain cost 0.82 ms of worker CPU per attempt instead of 0.58 (921 instead of 1,235 attempts/s). The
 * pages start-up grows it to are given back once the process is ready (releaseStartupMemory). V8 reads the flag only
 * when the heap is created, so it must be a command-line flag: `v8.setFlagsFromString` at run time has no effect on it.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=16'];
