import type { EmailFacts, EmailMessage } from './email-facts.js';

/** Where the email comes from and goes to, besides the facts it states. */
export interface RenderEmailOptions {
  /** The dashboard's base address (PUBLIC_URL); null: the email links nowhere. */
  publicUrl: string | null;
  to: string;
  /** The notification's id: the Message-ID's local part, the same for every delivery of one event. */
  id: string;
}

/** Longest subject, in characters (mail clients cut far shorter; RFC 5322 lines stop at 998). */
export const SUBJECT_MAX_LENGTH = 200;
/** A task name is cut to this in the subject, so the event's words still fit after a very long name. */
const SUBJECT_NAME_MAX_LENGTH = 100;

interface Row {
  label: string;
  value: string;
}

/**
 * Renders an outcome email: a short subject naming the task and what happened, and the same facts as plain text and as
 * HTML (everything escaped: names, URLs and errors are the user's; inline styles only, no external assets).
 */
export function renderEmail(facts: EmailFacts, options: RenderEmailOptions): EmailMessage {
  const headline = headlineOf(facts);
  const rows = rowsOf(facts);
  const link = options.publicUrl === null ? null : taskLink(options.publicUrl, facts.taskId);
  return {
    to: options.to,
    subject: subjectOf(facts),
    text: textOf(headline, rows, link),
    html: htmlOf(headline, rows, link),
    id: options.id,
  };
}

function subjectOf(facts: EmailFacts): string {
  const name = truncate(oneLine(facts.taskName), SUBJECT_NAME_MAX_LENGTH);
  const outcome = facts.statusCode === null ? 'no response' : String(facts.statusCode);
  let subject: string;
  switch (facts.event) {
    case 'attempt.retrying':
      subject = `${name}: attempt ${facts.attempt} of ${facts.maxAttempts} failed (${outcome}), retrying`;
      break;
    case 'run.failed':
      subject = `${name} failed: ${outcome} after ${plural(facts.attempt, 'attempt')}`;
      break;
    case 'task.failing':
      subject = `${name}: ${plural(streakOf(facts), 'run')} in a row failed`;
      break;
    case 'task.recovered':
      subject = `${name} recovered after ${plural(streakOf(facts), 'failed run')}`;
      break;
  }
  return truncate(oneLine(`[Punctual] ${subject}`), SUBJECT_MAX_LENGTH);
}

function headlineOf(facts: EmailFacts): string {
  const name = `"${oneLine(facts.taskName)}"`;
  switch (facts.event) {
    case 'attempt.retrying':
      return `Attempt ${facts.attempt} of ${facts.maxAttempts} of ${name} failed, retrying at ${isoTime(facts.nextRetryAt)}.`;
    case 'run.failed':
      return `${name} failed after ${plural(facts.attempt, 'attempt')}.`;
    case 'task.failing':
      return `${plural(streakOf(facts), 'run')} of ${name} in a row failed.`;
    case 'task.recovered':
      return `${name} succeeded again after ${plural(streakOf(facts), 'failed run')}.`;
  }
}

function rowsOf(facts: EmailFacts): Row[] {
  const rows: Row[] = [
    { label: 'Task', value: facts.taskName },
    { label: 'Request', value: `${facts.method} ${facts.url}` },
    { label: 'Run', value: facts.runId },
    { label: 'Attempt', value: `${facts.attempt} of ${facts.maxAttempts}` },
    { label: 'Status', value: facts.statusCode === null ? 'no response' : String(facts.statusCode) },
    { label: 'Error', value: facts.error ?? 'none' },
    { label: 'Duration', value: facts.durationMs === null ? 'unknown' : `${facts.durationMs} ms` },
    { label: 'Finished', value: isoTime(facts.finishedAt) },
  ];
  if (facts.event === 'attempt.retrying') rows.push({ label: 'Next retry', value: isoTime(facts.nextRetryAt) });
  if (facts.event === 'task.failing' || facts.event === 'task.recovered') {
    rows.push({ label: 'Failed runs in a row', value: String(streakOf(facts)) });
  }
  return rows;
}

function textOf(headline: string, rows: Row[], link: string | null): string {
  const width = Math.max(...rows.map((row) => row.label.length)) + 2;
  const lines = rows.map((row) => `${`${row.label}:`.padEnd(width)}${row.value}`);
  return [headline, '', ...lines, ...(link === null ? [] : ['', `View the task: ${link}`]), ''].join('\n');
}

function htmlOf(headline: string, rows: Row[], link: string | null): string {
  const cell = 'padding:4px 12px 4px 0;vertical-align:top;text-align:left';
  const body = rows
    .map(
      (row) =>
        `<tr><th style="${cell};font-weight:600;white-space:nowrap">${escapeHtml(row.label)}</th>` +
        `<td style="${cell};white-space:pre-wrap;word-break:break-word">${escapeHtml(row.value)}</td></tr>`,
    )
    .join('\n');
  const linkParagraph = link === null ? '' : `\n<p><a href="${escapeHtml(link)}">View the task</a></p>`;
  return `<!doctype html>
<html>
<head><meta charset="utf-8"><title>${escapeHtml(headline)}</title></head>
<body style="font-family:sans-serif;font-size:14px;color:#111">
<p>${escapeHtml(headline)}</p>
<table style="border-collapse:collapse">
${body}
</table>${linkParagraph}
</body>
</html>
`;
}

function taskLink(publicUrl: string, taskId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/tasks/${encodeURIComponent(taskId)}`;
}

/** Escapes text for HTML content and quoted attribute values. */
function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char as keyof typeof HTML_ENTITIES]);
}
const HTML_ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' } as const;

/** Control characters (CR/LF, tabs, NUL, the C1 range) and Unicode line/paragraph separators become single spaces. */
function oneLine(value: string): string {
  return value
    .replace(/[\p{Cc}\u2028\u2029]+/gu, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
}

/** Cuts at a code point boundary, ending with an ellipsis when cut. */
function truncate(value: string, max: number): string {
  const chars = Array.from(value);
  return chars.length <= max ? value : `${chars.slice(0, max - 1).join('')}…`;
}

/** An ISO time in UTC as the facts hold it, normalized when it parses. */
function isoTime(value: string | null): string {
  if (value === null) return 'unknown';
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? value : time.toISOString();
}

function streakOf(facts: EmailFacts): number {
  return facts.consecutiveFailures ?? 0;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
