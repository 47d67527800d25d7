import { describe, expect, it } from 'vitest';
import {
  bodyTemplateProblem,
  fillBodyTemplate,
  fillTextTemplate,
  fillUrlTemplate,
  templateProblem,
  templateText,
  urlTemplateProblem,
} from '../src/index.js';

const text = templateText({
  taskId: '6f1c2b4e-0000-4000-8000-000000000001',
  runId: '9a8b7c6d-0000-4000-8000-000000000002',
  attempt: 3,
  scheduledFor: new Date('2026-11-22T10:30:00Z'),
  now: new Date('2026-11-22T10:30:00.123Z'),
});

describe('templateText', () => {
  it('writes the attempt in decimal and times as ISO 8601 UTC with milliseconds', () => {
    expect(text).toEqual({
      taskId: '6f1c2b4e-0000-4000-8000-000000000001',
      runId: '9a8b7c6d-0000-4000-8000-000000000002',
      attempt: '3',
      scheduledFor: '2026-11-22T10:30:00.000Z',
      now: '2026-11-22T10:30:00.123Z',
    });
  });
});

describe('filling', () => {
  it.each([
    [
      'https://api.example.com/hook?run={{runId}}&n={{attempt}}',
      'https://api.example.com/hook?run=9a8b7c6d-0000-4000-8000-000000000002&n=3',
    ],
    // Percent-encoded in the query: ":" of the times.
    ['https://api.example.com/hook?at={{scheduledFor}}', 'https://api.example.com/hook?at=2026-11-22T10%3A30%3A00.000Z'],
    ['https://api.example.com/hook?at={{now}}#{{now}}', 'https://api.example.com/hook?at=2026-11-22T10%3A30%3A00.123Z#{{now}}'],
    ['https://api.example.com/{{taskId}}?x=1', 'https://api.example.com/{{taskId}}?x=1'],
    ['https://api.example.com/hook', 'https://api.example.com/hook'],
    ['https://api.example.com/hook?{{attempt}}', 'https://api.example.com/hook?3'],
    ['https://api.example.com/hook?x={{foo}}&y={{ attempt }}', 'https://api.example.com/hook?x={{foo}}&y={{ attempt }}'],
  ])('fills the query of %s only', (url, filled) => {
    expect(fillUrlTemplate(url, text)).toBe(filled);
  });

  it('never changes the origin of a URL, whatever its query holds', () => {
    const url = 'https://api.example.com/hook?next=@evil.example/&x={{now}}';
    const filled = new URL(fillUrlTemplate(url, text));
    expect(filled.origin).toBe('https://api.example.com');
    expect(filled.searchParams.get('x')).toBe('2026-11-22T10:30:00.123Z');
  });

  it('fills header values and text bodies as they are', () => {
    expect(fillTextTemplate('{{runId}}-{{attempt}}', text)).toBe('9a8b7c6d-0000-4000-8000-000000000002-3');
    expect(fillTextTemplate('at {{scheduledFor}} (now {{now}})', text)).toBe('at 2026-11-22T10:30:00.000Z (now 2026-11-22T10:30:00.123Z)');
    expect(fillTextTemplate('no placeholders { } {{', text)).toBe('no placeholders { } {{');
    expect(fillBodyTemplate('task {{taskId}}\nattempt {{attempt}}', text)).toBe('task 6f1c2b4e-0000-4000-8000-000000000001\nattempt 3');
  });

  it('fills string values of a JSON body, JSON-escaped on the way out, and keeps other values', () => {
    const body = {
      id: '{{runId}}',
      attempt: '{{attempt}}',
      n: 3,
      ok: true,
      none: null,
      nested: [{ at: 'due {{scheduledFor}}' }, 'x'],
      quote: '"{{now}}"',
    };
    const filled = fillBodyTemplate(body, text);
    expect(filled).toEqual({
      id: '9a8b7c6d-0000-4000-8000-000000000002',
      attempt: '3',
      n: 3,
      ok: true,
      none: null,
      nested: [{ at: 'due 2026-11-22T10:30:00.000Z' }, 'x'],
      quote: '"2026-11-22T10:30:00.123Z"',
    });
    expect(JSON.stringify(filled)).toContain('"quote":"\\"2026-11-22T10:30:00.123Z\\""');
    // The stored body is not changed; unchanged parts are shared.
    expect(body.id).toBe('{{runId}}');
    const plain = { a: [1, 2], b: 'x' };
    expect(fillBodyTemplate(plain, text)).toBe(plain);
  });

  it('keeps a key named __proto__ as data', () => {
    const body = JSON.parse('{"__proto__": "{{attempt}}", "a": "{{attempt}}"}') as Record<string, unknown>;
    const filled = fillBodyTemplate(body, text);
    expect(Object.getPrototypeOf(filled)).toBe(Object.prototype);
    expect(JSON.stringify(filled)).toBe('{"__proto__":"3","a":"3"}');
  });
});

describe('refusal', () => {
  it.each([
    ['{{taskId}} {{runId}} {{attempt}} {{scheduledFor}} {{now}}', null],
    ['plain text, { braces } and a lone {{', null],
    ['lone }} too', null],
    ['{{foo}}', 'has an unknown placeholder {{foo}}'],
    ['{{ taskId }}', 'has an unknown placeholder {{ taskId }}'],
    ['{{TaskId}}', 'has an unknown placeholder {{TaskId}}'],
    ['{{}}', 'has an unknown placeholder {{}}'],
    ['{{{taskId}}}', 'has an unknown placeholder {{{taskId}}'],
    ['ok {{runId}} then {{run\nId}}', 'has an unknown placeholder {{run\nId}}'],
  ])('%j: %s', (value, problem) => {
    const found = templateProblem(value);
    if (problem === null) expect(found).toBeNull();
    else expect(found).toBe(`${problem}: the placeholders are {{taskId}}, {{runId}}, {{attempt}}, {{scheduledFor}}, {{now}}`);
  });

  it.each([
    ['https://api.example.com/hook?run={{runId}}', null],
    ['https://api.example.com/hook?a={{x}}', 'has an unknown placeholder {{x}}'],
    ['https://{{taskId}}.example.com/hook', 'may hold placeholders only in its query'],
    ['https://api.example.com/{{taskId}}/hook?x=1', 'may hold placeholders only in its query'],
    ['https://api.example.com/hook#{{now}}', 'may hold placeholders only in its query'],
    ['https://api.example.com/hook#x?{{now}}', 'may hold placeholders only in its query'],
    ['https://api.example.com:{{attempt}}/', 'may hold placeholders only in its query'],
  ])('url %s: %s', (url, problem) => {
    const found = urlTemplateProblem(url);
    if (problem === null) expect(found).toBeNull();
    else expect(found).toContain(problem);
  });

  it.each<[unknown, string | null]>([
    [{ a: '{{runId}}', b: [1, '{{now}}'] }, null],
    ['text {{attempt}}', null],
    [42, null],
    [null, null],
    [
      { a: { b: ['ok', '{{nope}}'] } },
      'has an unknown placeholder {{nope}}: the placeholders are {{taskId}}, {{runId}}, {{attempt}}, {{scheduledFor}}, {{now}} (at /a/b/1)',
    ],
    [{ '{{runId}}': 1 }, 'has a placeholder in an object key (at /{{runId}}): placeholders are filled in string values only'],
    [{ 'a/b': { '{{x}}': 1 } }, 'has a placeholder in an object key (at /a~1b/{{x}}): placeholders are filled in string values only'],
  ])('body %j: %s', (body, problem) => {
    expect(bodyTemplateProblem(body)).toBe(problem);
  });
});
