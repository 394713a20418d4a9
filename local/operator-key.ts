/**
 * The local stack's operator key (docs/protocol.md §2): INTERVIEW_API_KEY, or `local-dev-key` when it is unset, and
 * the latter only while the stack listens on a loopback address: a well-known key on a network interface
 * would let anyone on the network run code on this machine.
 */
import { isIP } from 'node:net';

export const DEFAULT_OPERATOR_KEY = 'local-dev-key';
export const OPERATOR_KEY_ENV = 'INTERVIEW_API_KEY';

/** The key a client of a local stack started from this environment sends (tests, benches, README). */
export const localOperatorKey = (): string => process.env[OPERATOR_KEY_ENV] || DEFAULT_OPERATOR_KEY;

export interface OperatorKey {
  key: string;
  /** `default`: INTERVIEW_API_KEY was unset and `local-dev-key` is in use. */
  source: 'env' | 'default';
}

/** 127.0.0.0/8, ::1, `localhost` (resolved by Node to a loopback address), IPv4-mapped loopback. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

/**
 * `host` undefined means the stack's default, 127.0.0.1. Throws when the well-known key (default or set
 * explicitly) would be reachable beyond loopback.
 */
export function resolveOperatorKey(fromEnv: string | undefined, host: string | undefined): OperatorKey {
  const resolved: OperatorKey = fromEnv ? { key: fromEnv, source: 'env' } : { key: DEFAULT_OPERATOR_KEY, source: 'default' };
  if (resolved.key === DEFAULT_OPERATOR_KEY && host !== undefined && !isLoopbackHost(host)) {
    throw new Error(
      `refusing to listen on ${host} with the well-known operator key "${DEFAULT_OPERATOR_KEY}": ` +
        `set ${OPERATOR_KEY_ENV} to a secret of your own (e.g. ${OPERATOR_KEY_ENV}=$(openssl rand -hex 32))`,
    );
  }
  return resolved;
}
