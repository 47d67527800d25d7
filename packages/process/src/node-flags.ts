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
 *
 * `--max-old-space-size=1024` (MiB): V8 lets the old generation grow to up to 4 × what survived the last full
 * collection before collecting again when the heap may reach gigabytes (Node's default on a large machine), and only
 * ~1.6 × with a 1 GiB limit. A worker at concurrency 100 taking 5 MB responses keeps ~35 MiB alive but let garbage pile
 * up to 130 MiB: RSS peaked at 345 MiB and still grew after a minute; with the limit, 216 MiB and flat (1.08 × over the
 * run), at the same CPU per attempt in a drain. Both processes keep a few tens of MiB alive, far below the limit.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=16', '--max-old-space-size=1024'];
