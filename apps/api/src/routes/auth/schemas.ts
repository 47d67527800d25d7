import { Type } from '@sinclair/typebox';
import { Timestamp, Uuid } from '../../schemas/common.js';

export const User = Type.Object(
  {
    id: Uuid,
    email: Type.String({ format: 'email' }),
    role: Type.Union([Type.Literal('user'), Type.Literal('admin')]),
    createdAt: Timestamp,
  },
  { $id: 'User', title: 'User' },
);

export const CredentialsBody = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 254 }),
    password: Type.String({ minLength: 8, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

export const LoginBody = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

export const Session = Type.Object({
  user: Type.Ref(User),
  token: Type.String({ description: 'JWT (HS256) carrying sub, role and sv (session version)' }),
});
