import { Ajv, type ErrorObject, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import type { FastifyInstance, FastifySchemaCompiler } from 'fastify';

const base: Options = { allErrors: false, strict: false, useDefaults: true };

// RFC 3986 has no braces, but a template task's URL holds `{{runId}}` and the like (and without `template` they are
// sent as they are): each `{{…}}` counts as one ordinary character here, and core decides where placeholders may stand.
const PLACEHOLDER = /\{\{[^]*?\}\}/g;
const uri = fullFormats.uri as (value: string) => boolean;

function createAjv(options: Options): Ajv {
  const ajv = new Ajv({ ...base, ...options });
  addFormats.default(ajv);
  ajv.addFormat('uri', (value: string) => uri(value.includes('{{') ? value.replace(PLACEHOLDER, 'x') : value));
  return ajv;
}

// Bodies are JSON: types are strict and unknown properties are an error, never silently dropped (Fastify's
// default would strip them). Query strings and params are text: their numbers and booleans are coerced.
const bodyAjv = createAjv({ coerceTypes: false, removeAdditional: false });
const textAjv = createAjv({ coerceTypes: 'array', removeAdditional: false });

const compile: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;

/** Names the field in every message: `body/maxRetry is not allowed`, `body/url must match format "uri"`. */
function formatValidationError(errors: ErrorObject[], dataVar: string): Error {
  const first = errors[0];
  if (!first) return new Error(`${dataVar} is invalid`);
  const path = `${dataVar}${first.instancePath}`;
  let message: string;
  if (first.keyword === 'additionalProperties') {
    message = `${path}/${String(first.params.additionalProperty)} is not allowed`;
  } else if (first.keyword === 'required') {
    message = `${path}/${String(first.params.missingProperty)} is required`;
  } else {
    message = `${path} ${first.message ?? 'is invalid'}`;
  }
  return new Error(message);
}

export function registerValidation(app: FastifyInstance): void {
  app.setValidatorCompiler(compile);
  app.setSchemaErrorFormatter((errors, dataVar) => formatValidationError(errors as ErrorObject[], dataVar));
}
