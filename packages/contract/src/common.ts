import { type Static, type TSchema, type TUnsafe, Type } from 'typebox';

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
export type ErrorResponse = Static<typeof ErrorResponse>;

/**
 * A `$ref` to a shape registered by its `$id`, typed as that shape (TypeBox 1.x types a bare `Type.Ref('Task')` as
 * unknown), so a route answering with a reference is still type-checked against the shape.
 */
export function RefTo<T extends TSchema>(schema: T, options: { description?: string } = {}): TUnsafe<Static<T>> {
  const id = (schema as { $id?: unknown }).$id;
  if (typeof id !== 'string') throw new Error('RefTo: the schema has no $id to refer to');
  return Type.Unsafe<Static<T>>(Type.Ref(id, options));
}

/** A JSON object of string values (header maps); typed as a record, which `Type.Object({}, …)` alone is not. */
export function StringMap(values: TSchema = Type.String(), options: Record<string, unknown> = {}): TUnsafe<Record<string, string>> {
  return Type.Unsafe<Record<string, string>>(Type.Object({}, { ...options, additionalProperties: values }));
}

export const PaginationQuery = {
  page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
};

/** One page of a list: the envelope of every list response. */
export const Paginated = <T extends TSchema>(item: T) =>
  Type.Object({
    data: Type.Array(item),
    page: Type.Integer(),
    limit: Type.Integer(),
    total: Type.Integer({
      description:
        'items matching the filters, over all pages: counted exactly up to 1,000 matches; beyond, a task list gives ' +
        "Postgres' estimate, flagged by totalExact: false",
    }),
    totalExact: Type.Optional(
      Type.Literal(false, {
        description:
          'present, and false, only when total is an estimate: more than 1,000 tasks match (total is then more than ' +
          '1,000, and at least up to the end of this page). Absent when total is exact, as it always is on the last ' +
          'page of a list and for logs and users.',
      }),
    ),
  });
/** One page of `T`s, as `Paginated` describes it. */
export type Page<T> = Static<ReturnType<typeof Paginated<TUnsafe<T>>>>;

export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });
