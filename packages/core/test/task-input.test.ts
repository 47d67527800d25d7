import { checkTargetUrl, InvalidInputError } from '@punctual/core';
import { describe, expect, it } from 'vitest';

const guarded = { allowPrivateTargets: false };
const open = { allowPrivateTargets: true };

function refusal(url: string): InvalidInputError {
  try {
    checkTargetUrl(url, guarded);
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error(`${url} was accepted`);
}

describe('checkTargetUrl and the address guard', () => {
  it.each([
    ['http://127.0.0.1:8080/hook', '127.0.0.1 (loopback)'],
    ['http://127.1/', '127.0.0.1 (loopback)'],
    ['http://0x7f.1/', '127.0.0.1 (loopback)'],
    ['http://2130706433/', '127.0.0.1 (loopback)'],
    ['http://017700000001/', '127.0.0.1 (loopback)'],
    ['http://0/', '0.0.0.0 (this network)'],
    ['http://[::1]:8080/x', '::1 (loopback)'],
    ['http://[0:0::1]/', '::1 (loopback)'],
    ['http://[::ffff:7f00:1]/', '::ffff:7f00:1 (loopback 127.0.0.1, IPv4-mapped)'],
    ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1 (loopback 127.0.0.1, IPv4-mapped)'],
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 (link-local (cloud metadata))'],
    ['http://10.1.2.3/', '10.1.2.3 (private)'],
    ['https://172.16.0.1/', '172.16.0.1 (private)'],
    ['https://192.168.1.1/', '192.168.1.1 (private)'],
    ['http://100.64.0.1/', '100.64.0.1 (carrier-grade NAT)'],
    ['http://[fd00::1]/', 'fd00::1 (unique local (private))'],
    ['http://[fe80::1]/', 'fe80::1 (link-local)'],
    ['http://224.0.0.1/', '224.0.0.1 (multicast)'],
    ['http://255.255.255.255/', '255.255.255.255 (broadcast)'],
  ])('refuses %s at create with a 400 naming body/url and the address %s', (url, blocked) => {
    const error = refusal(url);

    expect(error.statusCode).toBe(400);
    expect(error.field).toBe('body/url');
    expect(error.message).toBe(`body/url names the blocked address ${blocked}: workers only call public addresses`);
  });

  it.each(['http://127.0.0.1:8080/hook', 'http://0x7f.1/', 'http://[::1]:8080/x', 'http://169.254.169.254/'])(
    'accepts %s when private targets are allowed',
    (url) => {
      expect(checkTargetUrl(url, open)).toBe(new URL(url).href);
    },
  );

  it.each([
    'https://api.example.com/hook',
    'http://localhost:8080/',
    'http://internal.corp/',
    'http://8.8.8.8/',
    'http://[2606:4700:4700::1111]/',
  ])('accepts %s: public addresses, and host names (checked by the worker on the address it resolves to)', (url) => {
    expect(checkTargetUrl(url, guarded)).toBe(new URL(url).href);
  });
});
