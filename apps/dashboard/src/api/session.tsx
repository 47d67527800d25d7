import { createPunctualClient, type PunctualClient, type User, unwrap } from '@punctual/client';
import { useQueryClient } from '@tanstack/react-query';
import { createContext, use, useCallback, useMemo, useRef, useState, type ReactNode } from 'react';

/** A signed-in person: the JWT lives here, in memory only, so a reload signs them out. */
export interface Session {
  token: string;
  user: User;
}

interface SessionContextValue {
  session: Session | null;
  /** Why the last session ended without the person signing out (an expired or revoked token), for the sign-in page. */
  endedBecause: string | null;
  client: PunctualClient;
  signIn: (email: string, password: string) => Promise<void>;
  register: (email: string, password: string) => Promise<void>;
  signOut: () => void;
}

const SessionContext = createContext<SessionContextValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [session, setSession] = useState<Session | null>(null);
  const [endedBecause, setEndedBecause] = useState<string | null>(null);
  // The client reads the token at each request; a ref lets one client outlive every session.
  const token = useRef<string | null>(null);

  const end = useCallback(
    (reason: string | null) => {
      token.current = null;
      setSession(null);
      setEndedBecause(reason);
      queryClient.clear();
    },
    [queryClient],
  );

  const client = useMemo(() => {
    const created = createPunctualClient({ baseUrl: window.location.origin, token: () => token.current });
    created.use({
      onResponse({ request, response }) {
        // A 401 to a request that carried the token: it expired, or the account was disabled or changed its password.
        if (response.status === 401 && token.current !== null && request.headers.get('authorization') === `Bearer ${token.current}`) {
          end('Your session has ended. Sign in again.');
        }
        return response;
      },
    });
    return created;
  }, [end]);

  const start = useCallback((next: Session) => {
    token.current = next.token;
    setEndedBecause(null);
    setSession(next);
  }, []);

  const value = useMemo<SessionContextValue>(
    () => ({
      session,
      endedBecause,
      client,
      signIn: async (email, password) => start(await unwrap(client.POST('/api/v1/auth/login', { body: { email, password } }))),
      register: async (email, password) => start(await unwrap(client.POST('/api/v1/auth/register', { body: { email, password } }))),
      signOut: () => end(null),
    }),
    [session, endedBecause, client, start, end],
  );

  return <SessionContext value={value}>{children}</SessionContext>;
}

function useSessionContext(): SessionContextValue {
  const value = use(SessionContext);
  if (!value) throw new Error('useSession outside <SessionProvider>');
  return value;
}

/** The session controls: signing in and out, and the current session if any. */
export const useSessionControls = useSessionContext;

/** The signed-in session; only inside the pages behind <RequireSession>. */
export function useSession(): Session & { client: PunctualClient; isAdmin: boolean } {
  const { session, client } = useSessionContext();
  if (!session) throw new Error('useSession without a session: render it behind <RequireSession>');
  return { ...session, client, isAdmin: session.user.role === 'admin' };
}
