/**
 * The one DynamoDB table of the product, defined once. The CDK stack (infra/constructs/data.ts) and the
 * local stack (local/dynamodb.ts) both build the table from TABLE_DEFINITION, and the data-access layer
 * (shared/aws/store/) builds every key with the functions below.
 *
 * Single-table layout, one partition per session:
 *
 *   PK               SK                        item
 *   S#<sessionId>    META                      session: title, language, status, expiresAt, token hashes, version
 *   S#<sessionId>    DOC#<version:12>#U        the Yjs update that made `version` (the document's log: kept
 *                                              for the session's retention; playback reads it)
 *   S#<sessionId>    DOC#<version:12>#S<n:3>   part n of a compacted state holding versions 1..version
 *                                              (a state over one item's 400 KB is split across parts)
 *   S#<sessionId>    NOTE#<version:12>#U       the interviewers' notes (docs/protocol.md §10): a second document, same
 *   S#<sessionId>    NOTE#<version:12>#S<n:3>  layout as DOC#, its version counter `notesVersion` on META
 *   S#<sessionId>    H#<ulid>                  history entry
 *   S#<sessionId>    R#<linkId>                review link: SHA-256 of its token, expiry, revokedAt (docs/protocol.md §10)
 *   S#<sessionId>    P#<ulid>                  snapshot (with its code)
 *   S#<sessionId>    C#<connectionId>          live WebSocket connection (presence)
 *   S#<sessionId>    U#<userId>                the role a userId joined with first: no other role may claim it
 *   S#<sessionId>    X#<ulid>                  execution
 *   S#<sessionId>    I#<idempotencyKey>        idempotency record of a run request
 *   S#<sessionId>    Q#<revision:6>            a revision of the session's question (head: title, prompt, counts);
 *   S#<sessionId>    Q#<revision:6>#C#<lang>   its starter code per language, and its tests (one item each:
 *   S#<sessionId>    Q#<revision:6>#T#<n:3>    50 tests of 128 KiB do not fit one 400 KB item); never rewritten
 *   CONN#<connId>    CONN                      connection -> session lookup for $disconnect / messages
 *   RL#<scope>#<who> W#<window>                fixed-window rate-limit counter
 *   LEASE#<language> LEASE                     runner launch lease (execution pipeline)
 *   RUNNERS#<lang>   <runnerId>                live runner registry (heartbeats)
 *   APIKEYS          K#<sha256 of the key>     operator API key: name, id, createdAt, revokedAt (never the key)
 *   OP#<operator>    S#<createdAt>#<sessionId> the operator's session index (GET /api/sessions, newest first),
 *                                              written with the session, kept in step with its status/title/language
 *   QB#<operator>    Q#<questionId>            the operator's bank question (head; names its parts' contentId)
 *   QB#<operator>    QP#<questionId>#<contentId>#C#<lang> / …#T#<n:3>   its starter code and tests (replaced
 *                                              whole: new parts, then the head, then the old parts go)
 *
 * Index `watch` (sparse): every execution that is not final carries `watchPk = "WATCH"` and
 * `watchDeadline` (epoch ms by which it must have moved on). The watchdog queries the index for
 * deadlines in the past; a final execution drops both attributes and leaves the index.
 *
 * Every item carries `ttl` (epoch seconds). TTL deletion runs up to ~2 days late, so every read in
 * shared/aws/store/ filters items whose `ttl` has passed (see `isLive`).
 */

import type { DocName } from '#contract/documents.js';
import { epochSeconds } from '#contract/limits.js';

export const TTL_ATTRIBUTE = 'ttl';

export const TABLE_DEFINITION = {
  partitionKey: { name: 'PK', type: 'S' },
  sortKey: { name: 'SK', type: 'S' },
  billingMode: 'PAY_PER_REQUEST',
  timeToLiveAttribute: TTL_ATTRIBUTE,
  globalSecondaryIndexes: [
    {
      indexName: 'watch',
      partitionKey: { name: 'watchPk', type: 'S' },
      sortKey: { name: 'watchDeadline', type: 'N' },
      // Only what the watchdog reads (shared/aws/store/executions.ts overdueExecutions): ALL would copy every
      // execution's code, stdin and output into the index, paying its write and storage twice.
      projection: 'INCLUDE',
      nonKeyAttributes: ['sessionId', 'executionId', 'status', 'language'],
    },
  ],
} as const;

export const WATCH_INDEX = 'watch';
export const WATCH_PK = 'WATCH';

/** Default physical name in the local stack; in AWS CloudFormation names the table. */
export const LOCAL_TABLE_NAME = 'interview-local';

const pad = (n: number) => n.toString().padStart(12, '0');
const DOC_PREFIX: Record<DocName, string> = { code: 'DOC#', notes: 'NOTE#' };

/**
 * The partitions a runner task reads and writes (IAM `dynamodb:LeadingKeys` on its role,
 * infra/constructs/runners.ts): its sessions' items (executions, connections, questions' tests, history),
 * the connection lookups it deletes when a push finds a socket gone, its language's registry and launch
 * lease. Not the operators' keys (`APIKEYS`), question banks or anything else: code that escaped the
 * sandbox to the runner's credentials cannot mint an operator key. The unit tests of the runner's paths
 * check every key they touch against this list (test/unit/pipeline/runner-partitions.ts).
 */
export const runnerPartitions = (language: string): string[] => ['S#*', 'CONN#*', `RUNNERS#${language}`, `LEASE#${language}`];

export const keys = {
  session: (sessionId: string) => ({ PK: `S#${sessionId}`, SK: 'META' }),
  sessionPk: (sessionId: string) => `S#${sessionId}`,
  /**
   * The document's items sort by version, and within a version the log item (`U`) after the state parts
   * (`S…`): a newest-first Query meets the log tail, then the newest state, and can stop there.
   */
  docUpdate: (sessionId: string, version: number, doc: DocName = 'code') => ({ PK: `S#${sessionId}`, SK: `${DOC_PREFIX[doc]}${pad(version)}#U` }),
  docState: (sessionId: string, version: number, part: number, doc: DocName = 'code') => ({
    PK: `S#${sessionId}`,
    SK: `${DOC_PREFIX[doc]}${pad(version)}#S${String(part).padStart(3, '0')}`,
  }),
  /** Lowest SK of a version's items (its first state part); `${docVersion(v)}~` is above all of them. */
  docVersion: (version: number, doc: DocName = 'code') => `${DOC_PREFIX[doc]}${pad(version)}#`,
  docPrefix: 'DOC#',
  /** The SK prefix of a document's items: the code's `DOC#` (as before notes existed), the notes' `NOTE#`. */
  docPrefixOf: (doc: DocName) => DOC_PREFIX[doc],
  /** The META attribute holding a document's newest version. */
  versionAttributeOf: (doc: DocName) => (doc === 'code' ? 'version' : 'notesVersion'),
  history: (sessionId: string, id: string) => ({ PK: `S#${sessionId}`, SK: `H#${id}` }),
  historyPrefix: 'H#',
  snapshot: (sessionId: string, id: string) => ({ PK: `S#${sessionId}`, SK: `P#${id}` }),
  snapshotPrefix: 'P#',
  reviewLink: (sessionId: string, linkId: string) => ({ PK: `S#${sessionId}`, SK: `R#${linkId}` }),
  reviewLinkPrefix: 'R#',
  connection: (sessionId: string, connectionId: string) => ({ PK: `S#${sessionId}`, SK: `C#${connectionId}` }),
  connectionPrefix: 'C#',
  /** Which role a self-declared WebSocket userId belongs to in this session (first join wins). */
  userBinding: (sessionId: string, userId: string) => ({ PK: `S#${sessionId}`, SK: `U#${userId}` }),
  connectionLookup: (connectionId: string) => ({ PK: `CONN#${connectionId}`, SK: 'CONN' }),
  execution: (sessionId: string, id: string) => ({ PK: `S#${sessionId}`, SK: `X#${id}` }),
  executionPrefix: 'X#',
  idempotency: (sessionId: string, key: string) => ({ PK: `S#${sessionId}`, SK: `I#${key}` }),
  rateLimit: (scope: string, who: string, window: number) => ({ PK: `RL#${scope}#${who}`, SK: `W#${window}` }),
  lease: (name: string) => ({ PK: `LEASE#${name}`, SK: 'LEASE' }),
  runnersPk: (language: string) => `RUNNERS#${language}`,
  runner: (language: string, runnerId: string) => ({ PK: `RUNNERS#${language}`, SK: runnerId }),
  /** All API keys share one partition: lookup by hash is a GetItem, listing is one Query (no Scan). */
  apiKeysPk: 'APIKEYS',
  apiKey: (keyHash: string) => ({ PK: 'APIKEYS', SK: `K#${keyHash}` }),
  operatorPk: (operator: string) => `OP#${operator}`,
  questionBankPk: (operator: string) => `QB#${operator}`,
  bankQuestion: (operator: string, questionId: string) => ({ PK: `QB#${operator}`, SK: `Q#${questionId}` }),
  /** Heads only: parts sort under `QP#`, so a listing never reads a test. */
  bankQuestionPrefix: 'Q#',
  questionPartsPrefix: (questionId: string, contentId: string) => `QP#${questionId}#${contentId}#`,
  /** Every part of a question, whichever content it belongs to. */
  questionAllPartsPrefix: (questionId: string) => `QP#${questionId}#`,
  sessionQuestion: (sessionId: string, revision: number) => ({ PK: `S#${sessionId}`, SK: `Q#${String(revision).padStart(6, '0')}` }),
  sessionQuestionPartsPrefix: (revision: number) => `Q#${String(revision).padStart(6, '0')}#`,
  operatorSession: (operator: string, createdAt: string, sessionId: string) => ({
    PK: `OP#${operator}`,
    SK: `S#${createdAt}#${sessionId}`,
  }),
};


/** An item is live while its TTL is in the future (or it has none). */
export function isLive(item: { ttl?: unknown } | undefined, nowMs: number = Date.now()): boolean {
  if (!item) return false;
  const ttl = item.ttl;
  return typeof ttl !== 'number' || ttl > epochSeconds(nowMs);
}
