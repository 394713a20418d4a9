/** Ids, tokens and the table items of one session as the store reads them: session, document, snapshot, connection. */
import * as Y from 'yjs';
import type { SessionItem } from '#aws/store/sessions.js';
import { hashToken } from '#core/tokens.js';

// ---------------------------------------------------------------- ids and tokens

export const SESSION_ID = '3f0c6a0e-9b7e-4c1a-8d2f-5a6b7c8d9e0f';
export const INTERVIEWER_TOKEN = 'iTok_VGhpcyBpcyB0aGUgaW50ZXJ2aWV3ZXIgdG9rZW4';
export const CANDIDATE_TOKEN = 'cTok_VGhpcyBpcyB0aGUgY2FuZGlkYXRlIHRva2VuISE';
export const SNAPSHOT_ID = '01JABCDEFGHJKMNPQRSTVWXYZ0';
/** The operator API key every mocked table knows (fixtures.ts `useMockedDynamo`): identity `key:acme-hiring`. */
export const OPERATOR_KEY = 'ik_T3BlcmF0b3Iga2V5IG9mIHRoZSB1bml0IHRlc3RzISE';
export const OPERATOR_ID = 'key:acme-hiring';

const HOUR = 3600;
export const nowSec = () => Math.floor(Date.now() / 1000);
export const iso = (epochSec: number) => new Date(epochSec * 1000).toISOString();

export type StoredSession = SessionItem & { PK: string; SK: string };

/** The session's META item: active, python, expiring in 4 h. */
export function sessionItem(overrides: Partial<SessionItem> = {}): StoredSession {
  const created = nowSec() - 600;
  const expires = created + 4 * HOUR;
  const sessionId = overrides.sessionId ?? SESSION_ID;
  return {
    PK: `S#${sessionId}`,
    SK: 'META',
    sessionId,
    title: 'Backend pairing',
    language: 'python',
    status: 'active',
    createdAt: iso(created),
    lastActivity: iso(created + 60),
    expiresAt: iso(expires),
    expiresAtEpoch: expires,
    version: 1,
    interviewerTokenHash: hashToken(INTERVIEWER_TOKEN),
    candidateTokenHash: hashToken(CANDIDATE_TOKEN),
    ttl: expires + 7 * 24 * HOUR,
    ...overrides,
  };
}

export const endedSession = () => sessionItem({ status: 'ended', endedAt: iso(nowSec() - 60) });
export const expiredSession = () => sessionItem({ expiresAt: iso(nowSec() - 60), expiresAtEpoch: nowSec() - 60 });
/** Past its retention: DynamoDB has not deleted it yet, but it must read as absent. */
export const pastTtlSession = () => sessionItem({ status: 'ended', ttl: nowSec() - 5 });

export type Item = Record<string, unknown>;

/** An operator API key item (`APIKEYS` / `K#<hash>`), as `npm run api-key -- create` stores it. */
export const apiKeyItem = (key = OPERATOR_KEY, overrides: Item = {}): Item => ({
  PK: 'APIKEYS',
  SK: `K#${hashToken(key)}`,
  keyId: '01JKEYKEYKEYKEYKEYKEYKEYKE',
  name: 'acme-hiring',
  keyHash: hashToken(key),
  createdAt: iso(nowSec() - 86_400),
  hint: key.slice(0, 7),
  ...overrides,
});

/** A Yjs document holding `text`, the way the server names its text. */
export function yDoc(text: string): Y.Doc {
  const doc = new Y.Doc();
  doc.getText('code').insert(0, text);
  return doc;
}

/** Text of the document built from a state and updates, in any order. */
export function textFrom(...updates: Uint8Array[]): string {
  const doc = new Y.Doc();
  for (const u of updates) Y.applyUpdate(doc, u);
  const text = doc.getText('code').toString();
  doc.destroy();
  return text;
}

export const stateItem = (state: Uint8Array, version: number, overrides: Item = {}): Item => ({
  PK: `S#${SESSION_ID}`,
  SK: `DOC#${String(version).padStart(12, '0')}#S000`,
  state,
  version,
  part: 0,
  parts: 1,
  at: iso(nowSec() - 300),
  ttl: nowSec() + 30 * 24 * HOUR,
  ...overrides,
});

export const logItem = (version: number, update: Uint8Array, overrides: Item = {}): Item => ({
  PK: `S#${SESSION_ID}`,
  SK: `DOC#${String(version).padStart(12, '0')}#U`,
  version,
  update,
  at: iso(nowSec() - 100 + version),
  userId: 'candidate',
  ttl: nowSec() + 30 * 24 * HOUR,
  ...overrides,
});

/** The `DOC` range of a session whose text is `text`, compacted at `version`, with no log. */
export function docItems(text: string, opts: { version?: number } = {}): Item[] {
  const doc = yDoc(text);
  const items = [stateItem(Y.encodeStateAsUpdate(doc), opts.version ?? 1)];
  doc.destroy();
  return items;
}

/**
 * A document compacted at `stateVersion` with text `texts[0]`, then one log update per further text
 * (versions stateVersion+1, +2, ...). Items come newest first, as the store's Query asks for.
 */
export function docWithLog(texts: string[], stateVersion = 1): { items: Item[]; version: number; updates: Uint8Array[] } {
  const doc = yDoc(texts[0] ?? '');
  const items: Item[] = [stateItem(Y.encodeStateAsUpdate(doc), stateVersion)];
  const updates: Uint8Array[] = [];
  let version = stateVersion;
  for (const next of texts.slice(1)) {
    const before = Y.encodeStateVector(doc);
    const text = doc.getText('code');
    doc.transact(() => {
      text.delete(0, text.length);
      text.insert(0, next);
    });
    const update = Y.encodeStateAsUpdate(doc, before);
    updates.push(update);
    items.push(logItem(++version, update));
  }
  doc.destroy();
  return { items: items.reverse(), version, updates };
}

export const snapshotItem = (overrides: Item = {}): Item => ({
  PK: `S#${SESSION_ID}`,
  SK: `P#${SNAPSHOT_ID}`,
  snapshotId: SNAPSHOT_ID,
  label: 'before refactor',
  language: 'python',
  createdAt: iso(nowSec() - 200),
  createdBy: 'candidate',
  size: 12,
  version: 3,
  code: 'print("v1")\n',
  ttl: nowSec() + 30 * 24 * HOUR,
  ...overrides,
});

export const connectionItem = (connectionId: string, overrides: Item = {}): Item => ({
  PK: `S#${SESSION_ID}`,
  SK: `C#${connectionId}`,
  sessionId: SESSION_ID,
  connectionId,
  role: 'candidate',
  connectedAt: iso(nowSec() - 120),
  ttl: nowSec() + 2 * HOUR,
  ...overrides,
});


/** The `CONN#` lookup item a message handler reads to learn its sender's session and role. */
export const lookupItem = (connectionId: string, overrides: Item = {}): Item => ({
  PK: `CONN#${connectionId}`,
  SK: 'CONN',
  connectionId,
  sessionId: SESSION_ID,
  role: 'candidate',
  sessionTtl: nowSec() + 30 * 24 * HOUR,
  ttl: nowSec() + 2 * HOUR,
  ...overrides,
});

// ---------------------------------------------------------------- executions and runners

export const EXECUTION_ID = '01JEXEC0T10NABCDEFGHJKMNPQ';

/** A stored execution (SK `X#<id>`), QUEUED by default, with its code and stdin. */
export const executionItem = (overrides: Item = {}): Item => ({
  PK: `S#${SESSION_ID}`,
  SK: `X#${(overrides.executionId as string | undefined) ?? EXECUTION_ID}`,
  executionId: EXECUTION_ID,
  sessionId: SESSION_ID,
  status: 'QUEUED',
  language: 'python',
  userId: 'candidate',
  code: 'print(input())\n',
  stdin: 'hi\n',
  stdout: '',
  stderr: '',
  compileOutput: '',
  exitCode: null,
  signal: null,
  durationMs: 0,
  truncated: { stdout: false, stderr: false },
  createdAt: iso(nowSec() - 5),
  startedAt: null,
  finishedAt: null,
  attempts: 0,
  watchPk: 'WATCH',
  watchDeadline: Date.now() + 60_000,
  ttl: nowSec() + 30 * 24 * HOUR,
  ...overrides,
});

/** A runner's heartbeat item (`RUNNERS#<language>`). */
export const runnerItem = (runnerId: string, overrides: Item = {}): Item => ({
  PK: 'RUNNERS#python',
  SK: runnerId,
  runnerId,
  language: 'python',
  slots: 2,
  busy: 0,
  heartbeatAt: Date.now() - 5_000,
  ...overrides,
});
