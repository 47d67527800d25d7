import { type Static, Type } from 'typebox';
import { RefTo, Timestamp, Uuid } from './common.js';
import { StringEnum } from './string-enum.js';

export const USER_ROLES = ['user', 'admin'] as const;

export const User = Type.Object(
  {
    id: Uuid,
    email: Type.String({ format: 'email' }),
    role: StringEnum(USER_ROLES),
    createdAt: Timestamp,
  },
  { $id: 'User', title: 'User' },
);
export type User = Static<typeof User>;

export const CredentialsBody = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 254 }),
    password: Type.String({ minLength: 8, maxLength: 1024 }),
  },
  { additionalProperties: false },
);
export type CredentialsBody = Static<typeof CredentialsBody>;

export const LoginBody = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

/** What register and login answer. */
export const Session = Type.Object({ user: RefTo(User), token: Type.String({ description: 'JWT (HS256) carrying sub and role' }) });
export type Session = Static<typeof Session>;
