import { Type } from '@sinclair/typebox';
import { PaginationQuery, Timestamp, Uuid } from '../../schemas/common.js';

const Role = Type.Union([Type.Literal('user'), Type.Literal('admin')]);

/** `User` with whether the account is disabled: what admins see. */
export const ManagedUser = Type.Object(
  {
    id: Uuid,
    email: Type.String({ format: 'email' }),
    role: Role,
    createdAt: Timestamp,
    disabled: Type.Boolean({ description: 'no JWT or API key of a disabled account works, and it cannot log in' }),
  },
  { $id: 'ManagedUser', title: 'ManagedUser' },
);

export const UserListQuery = Type.Object(
  {
    ...PaginationQuery,
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 254, description: 'part of the email, any case' })),
  },
  { additionalProperties: false },
);

export const UpdateUserBody = Type.Object(
  {
    role: Type.Optional(Role),
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
