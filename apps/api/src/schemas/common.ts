import { ErrorResponse, RefTo } from '@punctual/contract';
import type { TSchema } from 'typebox';

/** The error shape for each status a route may answer with (the shapes themselves live in @punctual/contract). */
export const errorResponses = (...statuses: number[]): Record<number, TSchema> =>
  Object.fromEntries(statuses.map((status) => [status, RefTo(ErrorResponse)]));
