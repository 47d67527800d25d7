import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { useSessionControls } from '../api/session';

/** Pages behind sign-in: a visitor without a session goes to sign-in, and comes back here afterwards. */
export function RequireSession({ children }: { children: ReactNode }) {
  const { session } = useSessionControls();
  const location = useLocation();
  if (!session) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={next === '/' ? '/sign-in' : `/sign-in?next=${encodeURIComponent(next)}`} replace />;
  }
  return children;
}
