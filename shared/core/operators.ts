/**
 * Operators (docs/protocol.md §2): who may create and list sessions. Two credentials:
 *   - an API key (`Authorization: Bearer ik_...`): 256 random bits, stored only as a SHA-256 hash, named;
 *     created, listed and revoked with `npm run api-key` (infra/bin/api-key.ts);
 *   - a JWT, where the deployment is configured with an issuer and audience: API Gateway's JWT authorizer
 *     has verified it before the Lambda runs and hands over its claims; `sub` is the identity.
 * The identity is namespaced (`key:<name>`, `jwt:<sub>`) so a key can never be named into a JWT user's
 * sessions. Keys are identified by their name, so rotating a key (create a new one with the same name,
 * then revoke the old) keeps the operator's sessions theirs.
 */
import { errors } from '#contract/errors.js';
import { newId } from '#contract/ids.js';
import { logger } from '#telemetry/log.js';
import { stores } from './ports.js';
import type { ApiKeyItem } from './records.js';
import { hashToken, newToken } from './tokens.js';

export interface Operator {
  /** `key:<name>` or `jwt:<sub>`: stored as a session's `createdBy`, the rate-limit and listing identity. */
  id: string;
  via: 'api-key' | 'jwt';
  /** The API key used (not secret), for the logs. */
  keyId?: string;
}

/** Prefix of every key this project issues: recognisable in a leaked-secret scan. */
export const API_KEY_PREFIX = 'ik_';
export const API_KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
/** Longest presented credential we look up (keys are 46 characters; JWTs go through API Gateway). */
const MAX_KEY_LENGTH = 256;
/** A JWT `sub` longer than this is not an identity we key partitions by. */
const MAX_SUB_LENGTH = 256;

/** Says which credential is wanted: a session token would be the wrong one here. */
const unauthorized = () =>
  errors.unauthorized('Missing or invalid operator credential: send Authorization: Bearer <API key> (or a JWT where configured)');

export type JwtClaims = Record<string, unknown>;

/**
 * The operator making this request, or 401 UNAUTHORIZED. With JWT claims (the route has API Gateway's
 * JWT authorizer, which already refused anything unverified) the claims decide; otherwise the bearer
 * token must be a live, unrevoked API key.
 */
export async function authenticateOperator(bearer: string | undefined, jwtClaims: JwtClaims | undefined): Promise<Operator> {
  const operator = jwtClaims ? fromClaims(jwtClaims) : await fromApiKey(bearer);
  // Every later log line of this request carries who asked (the handler clears it at the end).
  logger.appendKeys({ operator: operator.id, ...(operator.keyId ? { apiKeyId: operator.keyId } : {}) });
  return operator;
}

function fromClaims(claims: JwtClaims): Operator {
  const sub = claims.sub;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_SUB_LENGTH) throw unauthorized();
  return { id: `jwt:${sub}`, via: 'jwt' };
}

async function fromApiKey(bearer: string | undefined): Promise<Operator> {
  if (!bearer || bearer.length > MAX_KEY_LENGTH) throw unauthorized();
  // Looked up by hash: the stored value reveals nothing, and a lookup by a hash leaks no timing about
  // how much of a guess matched.
  const item = await stores.apiKeys.getApiKey(hashToken(bearer));
  if (!item || item.revokedAt) throw unauthorized();
  return { id: `key:${item.name}`, via: 'api-key', keyId: item.keyId };
}

export interface NewApiKey {
  keyId: string;
  name: string;
  createdAt: string;
  /** The secret: shown once, never stored. */
  key: string;
}

export async function createApiKey(name: string, nowMs: number = Date.now()): Promise<NewApiKey> {
  if (!API_KEY_NAME.test(name)) {
    throw errors.validation([{ field: 'name', message: 'use 1-64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit' }]);
  }
  const key = `${API_KEY_PREFIX}${newToken()}`;
  const item: ApiKeyItem = {
    keyId: newId(),
    name,
    keyHash: hashToken(key),
    createdAt: new Date(nowMs).toISOString(),
    hint: key.slice(0, API_KEY_PREFIX.length + 4),
  };
  await stores.apiKeys.putApiKey(item);
  return { keyId: item.keyId, name, createdAt: item.createdAt, key };
}

/** What `npm run api-key -- list` shows: never the hash. */
export async function describeApiKeys(): Promise<Omit<ApiKeyItem, 'keyHash' | 'ttl'>[]> {
  return (await stores.apiKeys.listApiKeys()).map(({ keyHash: _hash, ttl: _ttl, ...rest }) => rest);
}

/** The name of the local stack's key from INTERVIEW_API_KEY: sessions it creates are `key:local`'s. */
export const LOCAL_KEY_NAME = 'local';

/**
 * Makes `key` the local stack's operator key: stored (hashed) like any key, replacing the one a previous
 * start stored (with `--data` the table outlives the process, and the variable may have changed). Keys
 * made with `npm run api-key -- --local create` are left alone.
 */
export async function installLocalKey(key: string, nowMs: number = Date.now()): Promise<void> {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || /\s/.test(key)) {
    throw new Error(`INTERVIEW_API_KEY must be 1-${MAX_KEY_LENGTH} characters without spaces`);
  }
  const keyHash = hashToken(key);
  for (const old of await stores.apiKeys.listApiKeys()) {
    // A revoked local key is installed afresh: the variable, not the table, says what the key is.
    if (old.localEnv && (old.keyHash !== keyHash || old.revokedAt)) await stores.apiKeys.deleteApiKey(old.keyHash);
  }
  const existing = await stores.apiKeys.getApiKey(keyHash);
  if (existing?.localEnv) return;
  if (existing) throw new Error('INTERVIEW_API_KEY equals a key created with `npm run api-key`; pick another value');
  await stores.apiKeys.putApiKey({
    keyId: 'local',
    name: LOCAL_KEY_NAME,
    keyHash,
    createdAt: new Date(nowMs).toISOString(),
    hint: '(INTERVIEW_API_KEY)',
    localEnv: true,
  });
}
