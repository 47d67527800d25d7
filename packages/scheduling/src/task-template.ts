/**
 * Templates (`template: true`): the placeholders a task's URL query, header values and body may hold, filled in at each
 * attempt. Every `{{…}}` in a template task's text must be one of these names, written exactly (no spaces, case as
 * here); anything else is refused when the task is created or updated. A lone `{{` or `}}` stays as it is.
 */
export const TEMPLATE_PLACEHOLDERS = ['taskId', 'runId', 'attempt', 'scheduledFor', 'now'] as const;
export type TemplatePlaceholder = (typeof TEMPLATE_PLACEHOLDERS)[number];

/** What one attempt fills in. */
export interface TemplateValues {
  taskId: string;
  runId: string;
  /** 1-based number of the attempt within its run. */
  attempt: number;
  /** When this attempt was due (the task's `nextRunAt` when it was claimed, as its log's `scheduledFor`). */
  scheduledFor: Date;
  /** When this attempt started. */
  now: Date;
}

/** The values as text: `attempt` in decimal, times as ISO 8601 UTC with milliseconds. */
export type TemplateText = Record<TemplatePlaceholder, string>;

// Shortest match, across lines: `{{{taskId}}}` is the unknown `{{{taskId}}`, not a placeholder in braces.
const PLACEHOLDER = /\{\{([^]*?)\}\}/g;
const KNOWN = new Set<string>(TEMPLATE_PLACEHOLDERS);
const PLACEHOLDER_LIST = TEMPLATE_PLACEHOLDERS.map((name) => `{{${name}}}`).join(', ');

export function templateText(values: TemplateValues): TemplateText {
  return {
    taskId: values.taskId,
    runId: values.runId,
    attempt: String(values.attempt),
    scheduledFor: values.scheduledFor.toISOString(),
    now: values.now.toISOString(),
  };
}

/** Why `text` is no valid template (an unknown or misspelt placeholder), as the rest of a sentence; null when it is. */
export function templateProblem(text: string): string | null {
  if (!text.includes('{{')) return null;
  for (const match of text.matchAll(PLACEHOLDER)) {
    if (!KNOWN.has(match[1]!)) return `has an unknown placeholder ${shorten(match[0])}: the placeholders are ${PLACEHOLDER_LIST}`;
  }
  return null;
}

/**
 * Why a template task's URL cannot be filled, or null: placeholders may stand in the query only (after `?`, before
 * `#`), so filling can never change where the call goes; the scheme, host, port and path are fixed.
 */
export function urlTemplateProblem(url: string): string | null {
  const { start, end } = queryRange(url);
  if (hasPlaceholder(url.slice(0, start)) || hasPlaceholder(url.slice(end))) {
    return 'may hold placeholders only in its query (after ?): the scheme, host, port, path and fragment are fixed';
  }
  return templateProblem(url.slice(start, end));
}

/**
 * Why a template task's JSON body cannot be filled, or null. Placeholders are filled inside string values only: the
 * body is stored as a JSON value, so `{"n": {{attempt}}}` is no JSON at all, and `{"n": "{{attempt}}"}` sends a string.
 * A placeholder in an object key is refused (keys are not filled).
 */
export function bodyTemplateProblem(body: unknown): string | null {
  return jsonTemplateProblem(body, '');
}

function jsonTemplateProblem(value: unknown, pointer: string): string | null {
  if (typeof value === 'string') {
    const problem = templateProblem(value);
    return problem === null ? null : pointer === '' ? problem : `${problem} (at ${pointer})`;
  }
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const problem = jsonTemplateProblem(item, `${pointer}/${index}`);
      if (problem !== null) return problem;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const at = `${pointer}/${escapePointer(key)}`;
      if (hasPlaceholder(key)) return `has a placeholder in an object key (at ${at}): placeholders are filled in string values only`;
      const problem = jsonTemplateProblem(item, at);
      if (problem !== null) return problem;
    }
  }
  return null;
}

/** Fills the placeholders of a URL's query, each value percent-encoded; the rest of the URL is kept as it is. */
export function fillUrlTemplate(url: string, text: TemplateText): string {
  const { start, end } = queryRange(url);
  if (start === end) return url;
  const query = url.slice(start, end);
  const filled = fill(query, text, encodeURIComponent);
  return filled === query ? url : `${url.slice(0, start)}${filled}${url.slice(end)}`;
}

/** Fills the placeholders of a header value or a text body (the values are header-safe: ASCII letters, digits, `-:.`). */
export function fillTextTemplate(value: string, text: TemplateText): string {
  return fill(value, text, asIs);
}

/**
 * Fills the placeholders inside a JSON body's string values (JSON.stringify escapes them on the way out); objects and
 * arrays are copied only where something changed. A string body is a text body: filled as is.
 */
export function fillBodyTemplate<T>(body: T, text: TemplateText): T {
  if (typeof body === 'string') return fill(body, text, asIs) as T;
  if (Array.isArray(body)) {
    let copy: unknown[] | null = null;
    for (const [index, item] of body.entries()) {
      const filled = fillBodyTemplate(item as unknown, text);
      if (filled !== item) (copy ??= [...(body as unknown[])])[index] = filled;
    }
    return (copy ?? body) as T;
  }
  if (body !== null && typeof body === 'object') {
    let copy: Record<string, unknown> | null = null;
    for (const [key, item] of Object.entries(body)) {
      const filled = fillBodyTemplate(item as unknown, text);
      // A data property even for a key named `__proto__`, which assignment would take as the prototype.
      if (filled !== item) Object.defineProperty((copy ??= { ...(body as Record<string, unknown>) }), key, ownValue(filled));
    }
    return (copy ?? body) as T;
  }
  return body;
}

function fill(value: string, text: TemplateText, encode: (value: string) => string): string {
  if (!value.includes('{{')) return value;
  return value.replace(PLACEHOLDER, (match, name: string) => (KNOWN.has(name) ? encode(text[name as TemplatePlaceholder]) : match));
}

/** Where a URL's query is: from after the first `?` to the first `#` after it (start === end when there is none). */
function queryRange(url: string): { start: number; end: number } {
  const hash = url.indexOf('#');
  const question = url.indexOf('?');
  const end = hash === -1 ? url.length : hash;
  if (question === -1 || question > end) return { start: end, end };
  return { start: question + 1, end };
}

function hasPlaceholder(text: string): boolean {
  return text.includes('{{') && /\{\{[^]*?\}\}/.test(text);
}

function ownValue(value: unknown): PropertyDescriptor {
  return { value, writable: true, enumerable: true, configurable: true };
}

function asIs(value: string): string {
  return value;
}

function escapePointer(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}
