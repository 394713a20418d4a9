/**
 * Questions and tests (docs/protocol.md §8): the request schemas, the stored shapes, the per-test verdicts and the
 * role views. One module for the handlers, the runner, the WebSocket messages and the web app, so the
 * rule "a candidate sees a hidden test by name only" is written exactly once (`questionForRole`,
 * `testResultForRole`).
 *
 * Sizes are UTF-8 bytes, measured with TextEncoder so the module also loads in the browser.
 */
import * as z from 'zod/mini';
import { LANGUAGE_IDS, type LanguageId } from './languages.js';
import { LIMITS } from './limits.js';
import { seesHiddenTests } from './test-results.js';

// Verdicts and their role views live apart, free of zod: the execution view (every stored run) needs
// them, and a function that never parses a question should not carry its schemas.
export { TEST_STATUSES, seesHiddenTests, testResultForRole, normalizeOutput, outputMatches } from './test-results.js';
export type { TestStatus, TestResult, TestSummary } from './test-results.js';

const KIB = 1024;

export const QUESTION_LIMITS = {
  titleMaxLength: 200,
  promptMaxBytes: 20 * KIB,
  /** One starter program per language, each bounded like the session's document. */
  starterCodeMaxBytes: LIMITS.codeMaxBytes,
  maxTests: 50,
  /** A test's stdin is a run's stdin (docs/protocol.md §4), its expected output the same size. */
  testStdinMaxBytes: LIMITS.stdinMaxBytes,
  testExpectedMaxBytes: LIMITS.stdinMaxBytes,
  /** Not in the contract: a name identifies a test in verdicts, so keep it short and unique. */
  testNameMaxLength: 100,
  /**
   * Not in the contract, forced by Lambda: a request or response carries at most 6 MB, the body escaped
   * once more inside the event/response envelope. §8's per-field limits add up to more (50 × 128 KiB of
   * tests is 6.4 MiB), so a whole question is bounded as it travels: its JSON, JSON-escaped, in bytes.
   * Past it: 413 PAYLOAD_TOO_LARGE.
   */
  envelopeMaxBytes: 5 * 1024 * KIB,
  /** GET /api/questions pages. */
  list: { defaultPageSize: 20, maxPageSize: 100 },
} as const;

const encoder = new TextEncoder();
export const utf8Length = (s: string): number => encoder.encode(s).length;

/** A string bounded in UTF-8 bytes (the zod check counts UTF-16 units, which is not what storage pays). */
const bytes = (max: number, what: string) =>
  z.string().check(z.refine((s) => utf8Length(s) <= max, `${what} must be at most ${max} bytes (UTF-8)`));

const testName = z
  .string()
  .check(z.trim(), z.minLength(1, 'name must not be empty'), z.maxLength(QUESTION_LIMITS.testNameMaxLength));

export const testCaseSchema = z.strictObject({
  name: testName,
  stdin: bytes(QUESTION_LIMITS.testStdinMaxBytes, 'stdin'),
  expectedStdout: bytes(QUESTION_LIMITS.testExpectedMaxBytes, 'expectedStdout'),
  hidden: z._default(z.boolean(), false),
});

/** Body of POST/PUT /api/questions, and the inline form of PUT /api/sessions/{id}/question. */
export const questionInputSchema = z
  .strictObject({
    title: z.string().check(z.trim(), z.minLength(1), z.maxLength(QUESTION_LIMITS.titleMaxLength)),
    prompt: bytes(QUESTION_LIMITS.promptMaxBytes, 'prompt'),
    // partialRecord: a question need not have starter code for every language; unknown keys fail.
    starterCode: z._default(
      z.partialRecord(z.enum(LANGUAGE_IDS), bytes(QUESTION_LIMITS.starterCodeMaxBytes, 'starter code')),
      {},
    ),
    tests: z._default(
      z.array(testCaseSchema).check(z.maxLength(QUESTION_LIMITS.maxTests, `at most ${QUESTION_LIMITS.maxTests} tests`)),
      [],
    ),
  })
  .check(
    z.superRefine((q, ctx) => {
      const seen = new Set<string>();
      q.tests.forEach((t, i) => {
        if (seen.has(t.name)) {
          ctx.issues.push({ code: 'custom', input: t.name, path: ['tests', i, 'name'], message: 'test names must be unique' });
        }
        seen.add(t.name);
      });
    }),
  );

/** The bank reference form of PUT /api/sessions/{id}/question. */
export const questionRefSchema = z.strictObject({ questionId: z.string().check(z.minLength(1), z.maxLength(64)) });

/** PUT /api/sessions/{id}/question takes `{questionId}` or an inline question: the key decides which. */
export function sessionQuestionSchema(body: unknown): typeof questionRefSchema | typeof questionInputSchema {
  const isRef = typeof body === 'object' && body !== null && 'questionId' in body;
  return isRef ? questionRefSchema : questionInputSchema;
}

export const listQuestionsQuery = z.strictObject({
  limit: z.optional(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(QUESTION_LIMITS.list.maxPageSize))),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
});

export type QuestionInput = z.output<typeof questionInputSchema>;

export interface TestCase {
  name: string;
  stdin: string;
  expectedStdout: string;
  hidden: boolean;
}

/** What a candidate sees of a hidden test: its name, nothing it could be fitted to. */
export interface HiddenTestView {
  name: string;
  hidden: true;
}

export type StarterCode = Partial<Record<LanguageId, string>>;

/**
 * A question as stored and as an interviewer (or reviewer) sees it. A bank question has `questionId`,
 * `createdAt`, `updatedAt`; a session's question has `revision` (immutable once written: a test run names
 * the revision it was queued with) and `questionId` when it came from the bank.
 */
export interface Question {
  questionId?: string;
  revision?: number;
  title: string;
  prompt: string;
  starterCode: StarterCode;
  tests: TestCase[];
  createdAt?: string;
  updatedAt?: string;
}

/** A question as a given role sees it: hidden tests of a candidate's view carry only `name` and `hidden`. */
export interface QuestionView extends Omit<Question, 'tests'> {
  tests: Array<TestCase | HiddenTestView>;
}

/**
 * A question reduced to what fits in any WebSocket message (no prompt, starter code or test data): sent
 * when the whole view would pass 128 KiB, with `questionUrl` to fetch the view over HTTP.
 */
export interface QuestionDigest {
  questionId?: string;
  revision?: number;
  title: string;
  tests: Array<{ name: string; hidden: boolean }>;
  updatedAt?: string;
}

/** Server → client `question-updated` (per role): the whole view, or its digest and where to fetch it. */
export type QuestionUpdatedMessage =
  | { type: 'question-updated'; question: QuestionView }
  | { type: 'question-updated'; question: QuestionDigest; truncated: true; questionUrl: string };

/** Server → client `session-updated` (after a PATCH). */
export interface SessionUpdatedMessage {
  type: 'session-updated';
  title: string;
  language: LanguageId;
  runsDisabled: boolean;
  editingLocked: boolean;
  userId: string;
  /** Grows with every change of these settings: drop a message older than one applied. */
  revision?: number;
}

/** GET /api/questions items. */
export interface QuestionSummary {
  questionId: string;
  title: string;
  updatedAt: string;
  testCount: number;
}

export const EXECUTION_MODES = ['run', 'tests'] as const;
export type ExecutionMode = (typeof EXECUTION_MODES)[number];

export function questionForRole(question: Question, role: string): QuestionView {
  if (seesHiddenTests(role)) return question;
  return {
    ...question,
    tests: question.tests.map((t): TestCase | HiddenTestView => (t.hidden ? { name: t.name, hidden: true } : t)),
  };
}
