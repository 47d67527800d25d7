/** Whose rows a query may see: a user sees their own; an admin sees everyone's, or one user's when `userId` is set. */
export type Scope = { kind: 'user'; userId: string } | { kind: 'admin'; userId?: string };

/** The user id a query must filter on, or undefined for an admin looking at everyone. */
export function scopedUserId(scope: Scope): string | undefined {
  return scope.userId;
}
