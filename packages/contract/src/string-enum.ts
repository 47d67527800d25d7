import { type TSchemaOptions, type TUnsafe, Type } from 'typebox';

/**
 * A string that is one of `values`, built from the constant that defines them (TASK_STATUSES, HTTP_METHODS …).
 * It renders as `{ type: 'string', enum: [...] }`: one readable enum in the OpenAPI document and one AJV error
 * ("must be equal to one of the allowed values") instead of an anyOf of one-value branches.
 */
export function StringEnum<const T extends string>(values: readonly T[], options: TSchemaOptions = {}): TUnsafe<T> {
  return Type.Unsafe<T>({ ...options, type: 'string', enum: [...values] });
}
