/** The local stack's operator key (docs/protocol.md §2): INTERVIEW_API_KEY, else `local-dev-key` on loopback only. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_OPERATOR_KEY, isLoopbackHost, resolveOperatorKey } from '../../../local/operator-key.js';

describe('resolveOperatorKey', () => {
  it('takes INTERVIEW_API_KEY when set, on any interface', () => {
    expect(resolveOperatorKey('s3cret-of-mine', '0.0.0.0')).toEqual({ key: 's3cret-of-mine', source: 'env' });
  });

  it.each([[undefined], ['127.0.0.1'], ['localhost'], ['::1'], ['127.3.4.5'], ['[::1]']])(
    'falls back to local-dev-key, and says so, on loopback (host %s)',
    (host) => {
      expect(resolveOperatorKey(undefined, host)).toEqual({ key: DEFAULT_OPERATOR_KEY, source: 'default' });
      expect(resolveOperatorKey('', host).source).toBe('default');
    },
  );

  it.each([['0.0.0.0'], ['::'], ['192.168.1.20'], ['my-laptop.example.com']])('refuses the well-known key on %s', (host) => {
    expect(() => resolveOperatorKey(undefined, host)).toThrow(/INTERVIEW_API_KEY/);
    // Set explicitly to the well-known value is no better.
    expect(() => resolveOperatorKey(DEFAULT_OPERATOR_KEY, host)).toThrow(/refusing/);
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['::ffff:127.0.0.1', true],
    ['LOCALHOST', true],
    ['128.0.0.1', false],
    ['::2', false],
    ['localhost.evil.example', false],
  ])('%s -> %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});
