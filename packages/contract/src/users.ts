import { type Static, Type } from 'typebox';
import { PaginationQuery, RefTo, Timestamp, Uuid } from './common.js';
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

/** A password being set: at least 8 characters; the upper bound keeps hashing it cheap. */
const NewPassword = Type.String({ minLength: 8, maxLength: 1024 });
/** A password being checked: any non-empty one (a wrong one is refused by the check, not the schema). */
const GivenPassword = Type.String({ minLength: 1, maxLength: 1024 });

export const CredentialsBody = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 254 }),
    password: NewPassword,
  },
  { additionalProperties: false },
);
export type CredentialsBody = Static<typeof CredentialsBody>;

export const LoginBody = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 254 }),
    password: GivenPassword,
  },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

/** What register and login answer. */
export const Session = Type.Object({
  user: RefTo(User),
  token: Type.String({ description: 'JWT (HS256) carrying sub, role and sv (session version)' }),
});
export type Session = Static<typeof Session>;

/** `GET /auth/signing-secret` and its rotation: the Standard Webhooks secret that signs the user's outbound calls. */
export const SigningSecret = Type.Object(
  {
    secret: Type.String({
      pattern: '^whsec_[A-Za-z0-9+/]+={0,2}$',
      description:
        'Standard Webhooks secret: `whsec_` and base64. Every call carries `webhook-signature: v1,<base64 HMAC-SHA256 of ' +
        '"<webhook-id>.<webhook-timestamp>.<body>">` keyed with the base64-decoded part after `whsec_`',
    }),
  },
  { additionalProperties: false },
);
export type SigningSecret = Static<typeof SigningSecret>;

/** `User` with whether the account is disabled: what admins see. */
export const ManagedUser = Type.Object(
  {
    id: Uuid,
    email: Type.String({ format: 'email' }),
    role: StringEnum(USER_ROLES),
    createdAt: Timestamp,
    disabled: Type.Boolean({ description: 'no JWT or API key of a disabled account works, and it cannot log in' }),
  },
  { $id: 'ManagedUser', title: 'ManagedUser' },
);
export type ManagedUser = Static<typeof ManagedUser>;

export const UserListQuery = Type.Object(
  {
    ...PaginationQuery,
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 254, description: 'part of the email, any case' })),
  },
  { additionalProperties: false },
);
export type UserListQuery = Static<typeof UserListQuery>;

export const UpdateUserBody = Type.Object(
  {
    role: Type.Optional(StringEnum(USER_ROLES)),
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateUserBody = Static<typeof UpdateUserBody>;

export const ChangePasswordBody = Type.Object(
  {
    currentPassword: GivenPassword,
    newPassword: NewPassword,
  },
  { additionalProperties: false },
);
export type ChangePasswordBody = Static<typeof ChangePasswordBody>;
