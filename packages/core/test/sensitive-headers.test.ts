import { isSensitiveHeader, splitHeaders } from '@punctual/core';
import { describe, expect, it } from 'vitest';

describe('isSensitiveHeader', () => {
  it.each([
    'Authorization',
    'Proxy-Authorization',
    'Cookie',
    'X-Api-Key',
    'x-api-key',
    'Api-Key',
    'apikey',
    'Ocp-Apim-Subscription-Key',
    'X-Functions-Key',
    'X-Goog-Api-Key',
    'X-Auth-Token',
    'X-Amz-Security-Token',
    'X-Client-Secret',
    'X-Password',
    'X-Passwd',
    'X-Hub-Signature-256',
    'X-Session-Id',
    'X-Credential',
    'X-Custom-Auth',
    'OAuth-Nonce',
  ])('treats %s as a credential', (name) => {
    expect(isSensitiveHeader(name)).toBe(true);
  });

  it.each(['Accept', 'Content-Type', 'X-Request-Id', 'User-Agent', 'X-Plain', 'Cache-Control', 'If-None-Match', 'Prefer'])(
    'shows %s as it is',
    (name) => {
      expect(isSensitiveHeader(name)).toBe(false);
    },
  );

  it('splits headers into visible (sensitive values redacted) and sealed', () => {
    expect(
      splitHeaders({ 'X-Functions-Key': 'fn', 'Ocp-Apim-Subscription-Key': 'apim', Accept: 'text/plain' }, { hasToken: false }),
    ).toEqual({
      visible: { 'X-Functions-Key': '[redacted]', 'Ocp-Apim-Subscription-Key': '[redacted]', Accept: 'text/plain' },
      sensitive: { 'X-Functions-Key': 'fn', 'Ocp-Apim-Subscription-Key': 'apim' },
    });
  });
});
