import { createTestEnvironment, startApi } from '@punctual/testing';
import { expect, it } from 'vitest';
it('probe: /health is ok as soon as the API listens', async () => {
  const env = await createTestEnvironment();
  const api = await startApi(env.processEnv);
  const response = await fetch(`${api.url}/health`);
  console.log(response.status, await response.text());
  expect(response.status).toBe(200);
  await api.kill(); await env.cleanup();
});
