import { SealedSecretError, type JsonValue, type SecretKeys, type TaskRow } from '@punctual/db';
import {
  bodyTemplateProblem,
  fillBodyTemplate,
  fillTextTemplate,
  fillUrlTemplate,
  templateProblem,
  templateText,
  urlTemplateProblem,
  type TemplateValues,
} from '@punctual/scheduling';
import { InvalidInputError } from './errors.js';
import { REDACTED, type UpdateTaskInput } from './task-input.js';
import { openTaskSecrets } from './task-secrets.js';

/** What a template task may hold placeholders in: the URL's query, header values (sealed ones too) and the body. */
export interface TemplateParts {
  url: string;
  headers: Record<string, string>;
  body: JsonValue | undefined;
}

/**
 * Refuses (400 naming the field) a template task whose URL, header values or body hold an unknown or misspelt
 * placeholder, or a placeholder where none is filled: outside the URL's query, in a JSON object key. Check the URL
 * as the client wrote it: normalizing percent-encodes braces in the path.
 */
export function checkTemplate(parts: Partial<TemplateParts>): void {
  if (parts.url !== undefined) {
    const problem = urlTemplateProblem(parts.url);
    if (problem !== null) throw new InvalidInputError('body/url', problem);
  }
  for (const [name, value] of Object.entries(parts.headers ?? {})) {
    const problem = templateProblem(value);
    if (problem !== null) throw new InvalidInputError(`body/headers/${name}`, problem);
  }
  if (parts.body !== undefined) {
    const problem = bodyTemplateProblem(parts.body);
    if (problem !== null) throw new InvalidInputError('body/body', problem);
  }
}

/**
 * checkTemplate for an update of a task that is (or becomes) a template: what the update gives, and when it turns
 * `template` on, what is stored too (the sealed header values opened; ones that no longer open are not sent anyway).
 */
export function checkTemplateOnUpdate(keys: SecretKeys, task: TaskRow, input: UpdateTaskInput): void {
  if (!(input.template ?? task.template)) return;
  const turningOn = input.template === true && !task.template;
  checkTemplate({
    url: input.url ?? (turningOn ? task.url : undefined),
    headers: input.headers === undefined ? (turningOn ? storedHeaders(keys, task) : undefined) : (input.headers ?? {}),
    body: input.body === undefined ? (turningOn ? (task.body ?? undefined) : undefined) : (input.body ?? undefined),
  });
}

function storedHeaders(keys: SecretKeys, task: TaskRow): Record<string, string> {
  const visible = Object.fromEntries(Object.entries(task.headers).filter(([, value]) => value !== REDACTED));
  try {
    return { ...visible, ...openTaskSecrets(keys, task).headers };
  } catch (error) {
    if (error instanceof SealedSecretError) return visible;
    throw error;
  }
}

/**
 * One attempt's URL, headers and body with the placeholders filled in: percent-encoded in the URL's query (the rest of
 * the URL is kept, so its origin cannot change), as they are in header values and a text body, and inside the string
 * values of a JSON body (JSON.stringify escapes them). `headers` is filled in place.
 */
export function fillTemplate(parts: TemplateParts, values: TemplateValues): TemplateParts {
  const text = templateText(values);
  for (const name of Object.keys(parts.headers)) parts.headers[name] = fillTextTemplate(parts.headers[name]!, text);
  return { url: fillUrlTemplate(parts.url, text), headers: parts.headers, body: fillBodyTemplate(parts.body, text) };
}
