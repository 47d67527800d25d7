import { type Static, Type } from 'typebox';
import { NullableTimestamp, RefTo, Timestamp, Uuid } from './common.js';
import { StringEnum } from './string-enum.js';

export const API_KEY_SCOPES = ['full', 'read'] as const;

const Scope = StringEnum(API_KEY_SCOPES, {
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
export type ApiKey = Static<typeof ApiKey>;

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
export type CreateApiKeyBody = Static<typeof CreateApiKeyBody>;

/** A new key: the listing plus the key itself, shown in this answer only. */
export const CreatedApiKey = Type.Intersect([
  RefTo(ApiKey),
  Type.Object({ key: Type.String({ description: 'the key (`pk_…`): shown in this answer only, never again' }) }),
]);
export type CreatedApiKey = Static<typeof CreatedApiKey>;
