import { type TSchema, Type } from '@sinclair/typebox';

export const Uuid = Type.String({ format: 'uuid' });
export const Timestamp = Type.String({ format: 'date-time', description: 'ISO-8601, UTC' });
export const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);

/** Every error: Fastify's shape plus a stable `code`. */
export const ErrorResponse = Type.Object(
  {
    statusCode: Type.Integer(),
    error: Type.String(),
    message: Type.String({ description: 'names the offending field for a 4xx' }),
    code: Type.Optional(Type.String()),
  },
  { $id: 'ErrorResponse', title: 'Error' },
);

export const errorResponses = (...statuses: number[]): Record<number, TSchema> =>
  Object.fromEntries(statuses.map((status) => [status, Type.Ref(ErrorResponse)]));

export const PaginationQuery = {
  page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
};

export const Paginated = <T extends TSchema>(item: T) =>
  Type.Object({
    data: Type.Array(item),
    page: Type.Integer(),
    limit: Type.Integer(),
    total: Type.Integer({ description: 'items matching the filters, over all pages' }),
  });

export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });
