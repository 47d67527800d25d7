import { Type } from '@sinclair/typebox';
import { NullableTimestamp, Timestamp, Uuid } from '../../schemas/common.js';

const Scope = Type.Union([Type.Literal('full'), Type.Literal('read')], {
  description: '`read`: GET routes only (anything else is 403 insufficient scope); `full`: whatever the owner may do',
});

export const ApiKey = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    scope: Scope,
    prefix: Type.String({ description: 'the first 8 characters after `pk_`, to tell keys apart' }),
    createdAt: Timestamp,
    expiresAt: NullableTimestamp,
    lastUsedAt: Type.Union([Timestamp, Type.Null()], { description: 'updated at most once a minute' }),
  },
  { $id: 'ApiKey', title: 'ApiKey' },
);

export const CreateApiKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    scope: Scope,
    expiresAt: Type.Optional(
      Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'in the future; absent or null: never' }),
    ),
  },
  { additionalProperties: false },
);

export const CreatedApiKey = Type.Intersect([
  Type.Ref(ApiKey),
  Type.Object({ key: Type.String({ description: 'the key (`pk_…`): shown in this answer only, never again' }) }),
]);
