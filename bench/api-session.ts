import { randomUUID } from 'node:crypto';
import { Pool } from 'undici';

/** A signed-in account on the API under test. */
export interface ApiSession {
  baseUrl: string;
  token: string;
  userId: string;
  /** Authorization and content type, for hand-made and autocannon requests alike. */
  headers: Record<string, string>;
}

const PASSWORD = 'bench password, long enough';

/** Registers a fresh account (a unique email). */
export async function registerUser(baseUrl: string): Promise<ApiSession> {
  return signIn(baseUrl, '/api/v1/auth/register', { email: `bench-${randomUUID()}@example.com`, password: PASSWORD }, 201);
}

export async function logIn(baseUrl: string, email: string, password: string): Promise<ApiSession> {
  return signIn(baseUrl, '/api/v1/auth/login', { email, password }, 200);
}

async function signIn(
  baseUrl: string,
  path: string,
  credentials: { email: string; password: string },
  expected: number,
): Promise<ApiSession> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(credentials),
  });
  const text = await response.text();
  if (response.status !== expected) throw new Error(`POST ${path}: ${response.status} ${text}`);
  const body = JSON.parse(text) as { token: string; user: { id: string } };
  return {
    baseUrl,
    token: body.token,
    userId: body.user.id,
    headers: { authorization: `Bearer ${body.token}`, 'content-type': 'application/json' },
  };
}

/**
 * Creates one task per body through `POST /api/v1/tasks`, `concurrency` requests in flight (closed loop), and resolves
 * with their ids in the order of `bodies`. Any answer but 201 rejects.
 */
export async function createTasks(session: ApiSession, bodies: readonly object[], concurrency: number): Promise<string[]> {
  const ids = new Array<string>(bodies.length);
  const pool = new Pool(session.baseUrl, { connections: concurrency, pipelining: 1 });
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < bodies.length) {
      const index = next++;
      const response = await pool.request({
        path: '/api/v1/tasks',
        method: 'POST',
        headers: session.headers,
        body: JSON.stringify(bodies[index]),
      });
      const text = await response.body.text();
      if (response.statusCode !== 201) throw new Error(`POST /api/v1/tasks: ${response.statusCode} ${text}`);
      ids[index] = (JSON.parse(text) as { id: string }).id;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, bodies.length) }, lane));
  } finally {
    await pool.close();
  }
  return ids;
}
