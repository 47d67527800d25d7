import { describe, expect, it } from 'vitest';
import { EMAIL_EVENTS, type EmailEvent, type EmailFacts } from '../src/email-facts.js';
import { renderEmail, SUBJECT_MAX_LENGTH } from '../src/render-email.js';

const TASK_ID = '0b9f6a52-5c1e-4d7e-9a57-1f2a3b4c5d6e';

function factsFor(event: EmailEvent, overrides: Partial<EmailFacts> = {}): EmailFacts {
  return {
    event,
    taskId: TASK_ID,
    taskName: 'Ping billing',
    url: 'https://billing.example.com/ping?x=1',
    method: 'POST',
    runId: 'run-42',
    attempt: event === 'attempt.retrying' ? 2 : 4,
    maxAttempts: 4,
    statusCode: event === 'task.recovered' ? 200 : 503,
    error: event === 'task.recovered' ? null : 'HTTP 503 Service Unavailable',
    durationMs: 1234,
    finishedAt: '2026-12-03T07:00:05.123Z',
    nextRetryAt: event === 'attempt.retrying' ? '2026-12-03T07:00:25.000Z' : null,
    consecutiveFailures: event === 'task.failing' || event === 'task.recovered' ? 3 : null,
    ...overrides,
  };
}

const options = { publicUrl: 'https://punctual.example.com', to: 'owner@example.com', id: 'notification-7' };

describe('renderEmail', () => {
  it.each([
    [
      'attempt.retrying',
      '[Punctual] Ping billing: attempt 2 of 4 failed (503), retrying',
      'Attempt 2 of 4 of "Ping billing" failed, retrying at 2026-12-03T07:00:25.000Z.',
    ],
    ['run.failed', '[Punctual] Ping billing failed: 503 after 4 attempts', '"Ping billing" failed after 4 attempts.'],
    ['task.failing', '[Punctual] Ping billing: 3 runs in a row failed', '3 runs of "Ping billing" in a row failed.'],
    ['task.recovered', '[Punctual] Ping billing recovered after 3 failed runs', '"Ping billing" succeeded again after 3 failed runs.'],
  ] as const)('says what %s means in the subject and the first line', (event, subject, headline) => {
    const email = renderEmail(factsFor(event), options);

    expect(email.subject).toBe(subject);
    expect(email.text.split('\n')[0]).toBe(headline);
    expect(email.html).toContain(`<p>${headline.replaceAll('"', '&quot;')}</p>`);
    expect(email).toMatchObject({ to: 'owner@example.com', id: 'notification-7' });
  });

  it.each(EMAIL_EVENTS)('names every fact of %s in the text and the HTML', (event) => {
    const email = renderEmail(factsFor(event), options);

    const expected = [
      'Ping billing',
      'POST https://billing.example.com/ping?x=1',
      'run-42',
      `${event === 'attempt.retrying' ? 2 : 4} of 4`,
      event === 'task.recovered' ? '200' : '503',
      event === 'task.recovered' ? 'none' : 'HTTP 503 Service Unavailable',
      '1234 ms',
      '2026-12-03T07:00:05.123Z',
      `https://punctual.example.com/tasks/${TASK_ID}`,
    ];
    for (const fact of expected) {
      expect(email.text).toContain(fact);
      expect(email.html).toContain(fact);
    }
    expect(/^Next retry: +2026-12-03T07:00:25\.000Z$/m.test(email.text)).toBe(event === 'attempt.retrying');
    expect(email.html.includes('Next retry')).toBe(event === 'attempt.retrying');
  });

  it('says "no response" when the attempt got no status code, and normalizes times to ISO UTC', () => {
    const email = renderEmail(
      factsFor('run.failed', { statusCode: null, error: 'timed out after 10000 ms', finishedAt: '2026-12-03T08:00:05+01:00' }),
      options,
    );

    expect(email.subject).toBe('[Punctual] Ping billing failed: no response after 4 attempts');
    expect(email.text).toMatch(/^Status: +no response$/m);
    expect(email.text).toMatch(/^Finished: +2026-12-03T07:00:05\.000Z$/m);
  });

  it('escapes the user-controlled task name, URL and error in the HTML', () => {
    const hostile = '<script>alert("x")</script> & \'quoted\'';
    const email = renderEmail(
      factsFor('run.failed', { taskName: hostile, url: 'https://e.test/?a=<b>&c="d"', error: `<img src=x onerror='boom'>` }),
      options,
    );

    expect(email.html).not.toMatch(/<script|<img|<b>|onerror='/);
    expect(email.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39;');
    expect(email.html).toContain('https://e.test/?a=&lt;b&gt;&amp;c=&quot;d&quot;');
    expect(email.html).toContain('&lt;img src=x onerror=&#39;boom&#39;&gt;');
    // The text body is plain text: it keeps the values as they are.
    expect(email.text).toContain(hostile);
  });

  it('has no external assets: no src, no stylesheet link, only the link to the task', () => {
    const { html } = renderEmail(factsFor('run.failed'), options);

    expect(html).not.toMatch(/\ssrc=|<link|url\(/i);
    expect(html.match(/href="[^"]*"/g)).toEqual([`href="https://punctual.example.com/tasks/${TASK_ID}"`]);
  });

  it('links to the task only when a public URL is set, without doubling a trailing slash', () => {
    const withoutUrl = renderEmail(factsFor('run.failed'), { ...options, publicUrl: null });
    const withSlash = renderEmail(factsFor('run.failed'), { ...options, publicUrl: 'https://p.example.com/app/' });

    expect(withoutUrl.text).not.toContain('/tasks/');
    expect(withoutUrl.html).not.toContain('href=');
    expect(withSlash.text).toContain(`View the task: https://p.example.com/app/tasks/${TASK_ID}`);
  });

  it('keeps the subject on one line and at most SUBJECT_MAX_LENGTH characters', () => {
    const injected = renderEmail(factsFor('run.failed', { taskName: 'Ping\r\nBcc: victim@example.com\u0000\u2028x' }), options);
    const long = renderEmail(factsFor('task.failing', { taskName: 'n'.repeat(5_000) }), options);

    expect(injected.subject).toBe('[Punctual] Ping Bcc: victim@example.com x failed: 503 after 4 attempts');
    expect(injected.subject).not.toMatch(/[\p{Cc}\u2028\u2029]/u);
    expect(long.subject.length).toBeLessThanOrEqual(SUBJECT_MAX_LENGTH);
    // The event's words survive a very long name.
    expect(long.subject).toMatch(/…: 3 runs in a row failed$/);
  });

  it('counts in the singular for one attempt and one failed run', () => {
    expect(renderEmail(factsFor('run.failed', { attempt: 1, maxAttempts: 1 }), options).subject).toBe(
      '[Punctual] Ping billing failed: 503 after 1 attempt',
    );
    expect(renderEmail(factsFor('task.recovered', { consecutiveFailures: 1 }), options).subject).toBe(
      '[Punctual] Ping billing recovered after 1 failed run',
    );
  });
});
