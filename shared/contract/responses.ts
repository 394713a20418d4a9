/**
 * zod schemas of what the HTTP API answers (docs/protocol.md §3, §6, §8, §10): the bodies handlers return, as
 * a client may rely on them. The handlers build these bodies in shared/core; these schemas describe
 * them for the generated OpenAPI document (docs/generate/openapi.ts), and the contract conformance
 * test (test/unit/contract/) parses real handler answers with them, so a drift fails a test.
 *
 * Objects are open (`looseObject`): a client must ignore fields it does not know, since new ones may be
 * added; the conformance test makes sure every field the product sends today is named here.
 */
import * as z from 'zod/mini';
import { ERROR_STATUS } from './errors.js';
import { EXECUTION_STATUSES } from './execution-types.js';
import { LANGUAGE_IDS } from './languages.js';
import { TEST_STATUSES } from './questions.js';

const time = z.iso.datetime();
const language = z.enum(LANGUAGE_IDS);
const count = z.int().check(z.minimum(0));
const cursor = z.nullable(z.string());
const role = z.enum(['interviewer', 'candidate']);

/** Every error: `error` is the stable part, `message` is for humans and may change. */
export const errorResponse = z.looseObject({
  error: z.enum(Object.keys(ERROR_STATUS) as [keyof typeof ERROR_STATUS]),
  message: z.string(),
  details: z.optional(z.unknown()),
});

export const healthResponse = z.looseObject({ status: z.literal('ok'), timestamp: time, version: z.string() });

export const languagesResponse = z.looseObject({
  languages: z.array(
    z.looseObject({
      id: language,
      name: z.string(),
      version: z.string(),
      compiled: z.boolean(),
      limits: z.looseObject({
        wallMs: count,
        cpuMs: count,
        memoryBytes: count,
        processes: count,
        fileBytes: count,
        outputBytesPerStream: count,
        codeBytes: count,
        stdinBytes: count,
        /** Compiled languages only: the compile step's own limits. */
        compileWallMs: z.optional(count),
        compileCpuMs: z.optional(count),
      }),
    }),
  ),
});

const sessionStatus = z.enum(['active', 'ended', 'expired']);

export const createdSessionResponse = z.looseObject({
  sessionId: z.uuid(),
  title: z.string(),
  language,
  status: z.literal('active'),
  createdAt: time,
  expiresAt: time,
  interviewerToken: z.string(),
  candidateToken: z.string(),
  wsUrl: z.string(),
});

export const sessionListResponse = z.looseObject({
  sessions: z.array(
    z.looseObject({ sessionId: z.uuid(), title: z.string(), language, status: sessionStatus, createdAt: time, expiresAt: time, createdBy: z.string() }),
  ),
  nextCursor: cursor,
});

export const sessionResponse = z.looseObject({
  sessionId: z.uuid(),
  title: z.string(),
  language,
  status: sessionStatus,
  createdAt: time,
  lastActivity: time,
  expiresAt: time,
  userCount: count,
  version: count,
  runsDisabled: z.boolean(),
  editingLocked: z.boolean(),
});

export const endedSessionResponse = z.looseObject({ sessionId: z.uuid(), status: z.literal('ended') });

export const codeResponse = z.looseObject({
  code: z.string(),
  language,
  version: count,
  updatedAt: time,
  /** With `?format=yjs`: the whole Yjs state, base64. */
  yjsState: z.optional(z.string()),
});

export const versionResponse = z.looseObject({ version: count });

const snapshot = {
  snapshotId: z.string(),
  label: z.string(),
  language,
  createdAt: time,
  createdBy: z.string(),
  /** UTF-8 bytes of the code. */
  size: count,
  version: z.optional(count),
};
export const snapshotResponse = z.looseObject(snapshot);
export const snapshotListResponse = z.looseObject({ snapshots: z.array(snapshotResponse) });
export const snapshotWithCodeResponse = z.looseObject({ ...snapshot, code: z.string() });

export const participantsResponse = z.looseObject({
  users: z.array(z.looseObject({ id: z.string(), username: z.string(), role, joinedAt: time })),
  userCount: count,
});

export const historyResponse = z.looseObject({
  entries: z.array(z.looseObject({ at: time, type: z.string(), userId: z.optional(z.string()), detail: z.record(z.string(), z.unknown()) })),
  nextCursor: cursor,
});

export const queuedResponse = z.looseObject({ executionId: z.string(), status: z.literal('QUEUED') });

export const testResult = z.looseObject({
  name: z.string(),
  hidden: z.boolean(),
  status: z.enum(TEST_STATUSES),
  durationMs: count,
  stdout: z.optional(z.string()),
  stderr: z.optional(z.string()),
  expectedStdout: z.optional(z.string()),
});

export const executionResponse = z.looseObject({
  executionId: z.string(),
  sessionId: z.uuid(),
  status: z.enum(EXECUTION_STATUSES),
  language,
  userId: z.string(),
  stdout: z.string(),
  stderr: z.string(),
  compileOutput: z.string(),
  exitCode: z.nullable(z.int()),
  signal: z.nullable(z.string()),
  durationMs: count,
  cpuTimeMs: z.optional(count),
  memoryKb: z.optional(count),
  truncated: z.looseObject({ stdout: z.boolean(), stderr: z.boolean() }),
  createdAt: time,
  startedAt: z.nullable(time),
  finishedAt: z.nullable(time),
  mode: z.optional(z.enum(['run', 'tests'])),
  tests: z.optional(z.array(testResult)),
  summary: z.optional(z.looseObject({ passed: count, total: count })),
});
export const executionListResponse = z.looseObject({ executions: z.array(executionResponse) });

const testCase = z.looseObject({ name: z.string(), hidden: z.boolean(), stdin: z.optional(z.string()), expectedStdout: z.optional(z.string()) });

/** A question as the caller's role may see it: a candidate gets hidden tests as `{name, hidden}` only. */
export const questionResponse = z.looseObject({
  questionId: z.optional(z.string()),
  revision: z.optional(count),
  title: z.string(),
  prompt: z.string(),
  starterCode: z.partialRecord(language, z.string()),
  tests: z.array(testCase),
  createdAt: z.optional(time),
  updatedAt: z.optional(time),
});

export const questionListResponse = z.looseObject({
  questions: z.array(z.looseObject({ questionId: z.string(), title: z.string(), updatedAt: time, testCount: count })),
  nextCursor: cursor,
});

export const notesResponse = z.looseObject({ notes: z.string(), version: count, updatedAt: time, yjsState: z.optional(z.string()) });

export const reviewLinkCreatedResponse = z.looseObject({ linkId: z.string(), reviewToken: z.string(), expiresAt: time });
export const reviewLinkResponse = z.looseObject({
  linkId: z.string(),
  createdAt: time,
  createdBy: z.string(),
  expiresAt: time,
  status: z.enum(['active', 'expired', 'revoked']),
  revokedAt: z.optional(time),
});
export const reviewLinkListResponse = z.looseObject({ reviewLinks: z.array(reviewLinkResponse) });

/** An `edit` replays a document; other events carry the fields of their history entry (by type). */
const timelineEvent = z.union([
  z.looseObject({ at: time, type: z.literal('edit'), userId: z.optional(z.string()), doc: z.enum(['code', 'notes']), update: z.string(), version: count }),
  z.looseObject({ at: time, type: z.string(), userId: z.optional(z.string()) }),
]);
export const timelineResponse = z.looseObject({ events: z.array(timelineEvent), nextCursor: cursor });
