import { AdminRequiredError, InsufficientScopeError, SessionRequiredError } from './errors.js';
import type { Actor } from './task-context.js';

/** How a request proved who it is: a JWT (a person's session) or an API key (a server or script). */
export type CredentialKind = 'jwt' | 'api-key';

/** What an API key may do: `read` only GET routes; `full` whatever its owner may. A JWT is always `full`. */
export type ApiKeyScope = 'full' | 'read';

/** The actor of an authenticated request: its role read from the database at this request, and its credential. */
export interface RequestActor extends Actor {
  credential: CredentialKind;
  scope: ApiKeyScope;
}

/** What a route requires beyond a valid credential. */
export interface RouteAccess {
  /** Refuses API keys (403): routes that manage credentials (API keys, the signing secret, the password). */
  sessionOnly?: boolean;
  /** Refuses users who are not admins (403). */
  adminOnly?: boolean;
  /** Refuses `read` API keys even on GET (403): routes that reveal a secret someone could act with. */
  fullScope?: boolean;
}

const READ_METHODS = new Set(['GET', 'HEAD']);

/** Throws the 403 for a request its credential or role does not allow: the one place these rules are written. */
export function checkAccess(actor: RequestActor, method: string, access: RouteAccess): void {
  if (access.sessionOnly && actor.credential !== 'jwt') throw new SessionRequiredError();
  if (actor.scope === 'read' && (access.fullScope || !READ_METHODS.has(method))) throw new InsufficientScopeError();
  if (access.adminOnly) requireAdmin(actor);
}

export function requireAdmin(actor: Actor): void {
  if (actor.role !== 'admin') throw new AdminRequiredError();
}
