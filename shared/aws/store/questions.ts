/**
 * A session's question (docs/protocol.md §8) in the session's partition: revision r is a head `Q#<r>` and parts
 * `Q#<r>#C#…`, `Q#<r>#T#…` (question-parts.ts), written once and never changed; the session item's
 * `questionRevision` points at the newest complete one (moved only forward). A test run names its
 * revision, so it runs the tests it was queued with (`loadSessionTests`, read by the runner).
 */
import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#aws/clients.js';
import type { LanguageId } from '#contract/languages.js';
import type { QuestionInput, StarterCode, TestCase } from '#contract/questions.js';
import { isLive, keys } from '#aws/table.js';
import { historyItem } from './history.js';
import { isConditionFailure, isTransactionCanceled, queryAll, table } from './items.js';
import { assemble, batchPut, headOf, partItems, type Item } from './question-parts.js';
import type { SessionQuestion } from '#core/records.js';
import { epochSeconds } from '#contract/limits.js';

export interface SessionRef {
  sessionId: string;
  ttl: number;
}

/**
 * Writes revision `revision` of the session's question: the head claims the number (a concurrent
 * writer that claimed it first makes this one return false, to try the next), then the parts.
 * The session does not point at it yet (`pointSessionQuestion`).
 */
export async function writeSessionRevision(
  session: SessionRef,
  revision: number,
  q: QuestionInput,
  meta: { questionId?: string; userId: string },
  nowMs = Date.now(),
): Promise<boolean> {
  const at = new Date(nowMs).toISOString();
  try {
    await dynamo().send(new PutCommand({
      TableName: table(),
      Item: {
        ...keys.sessionQuestion(session.sessionId, revision),
        revision,
        ...headOf(q),
        ...(meta.questionId ? { questionId: meta.questionId } : {}),
        setBy: meta.userId,
        updatedAt: at,
        ttl: session.ttl,
      },
      ConditionExpression: 'attribute_not_exists(SK)',
    }));
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
  await batchPut(partItems(keys.sessionQuestionPartsPrefix(revision), q, { PK: keys.sessionPk(session.sessionId), ttl: session.ttl }));
  return true;
}

/**
 * Points the (active) session at `revision`, with its history entry, in one transaction. Only forward:
 * of two interviewers setting a question at once, the later revision stays. False when the session is
 * no longer active or already points at a newer revision.
 */
export async function pointSessionQuestion(
  session: SessionRef,
  revision: number,
  detail: { testCount: number } & Record<string, unknown>,
  userId: string,
  nowMs = Date.now(),
): Promise<boolean> {
  try {
    await dynamo().send(new TransactWriteCommand({
      TransactItems: [
        {
          Update: {
            TableName: table(),
            Key: keys.session(session.sessionId),
            UpdateExpression: 'SET questionRevision = :rev, questionTestCount = :count, lastActivity = :at',
            ConditionExpression: '#status = :active AND expiresAtEpoch > :nowSec AND (attribute_not_exists(questionRevision) OR questionRevision < :rev)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':rev': revision, ':count': detail.testCount, ':at': new Date(nowMs).toISOString(), ':active': 'active', ':nowSec': epochSeconds(nowMs) },
          },
        },
        { Put: { TableName: table(), Item: historyItem(session.sessionId, session.ttl, 'question-changed', { revision, ...detail }, userId, nowMs) } },
      ],
    }));
    return true;
  } catch (err) {
    if (isTransactionCanceled(err)) return false;
    throw err;
  }
}

/** Revision `revision` of the session's question, whole (the interviewer's view; views are the caller's job). */
export async function getSessionQuestion(sessionId: string, revision: number): Promise<SessionQuestion | undefined> {
  const items = await queryAll<Item>({
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
    ExpressionAttributeValues: { ':pk': keys.sessionPk(sessionId), ':prefix': keys.sessionQuestion(sessionId, revision).SK },
    ConsistentRead: true,
  });
  const head = items.find((i) => i.SK === keys.sessionQuestion(sessionId, revision).SK);
  if (!head) return undefined;
  const q = assemble(head, items.filter((i) => i !== head));
  // Revisions never change: missing parts are an interrupted write, never pointed at; or TTL at work.
  if (!q) return undefined;
  return {
    ...(head.questionId ? { questionId: String(head.questionId) } : {}),
    revision,
    ...q,
    updatedAt: String(head.updatedAt),
  };
}

/** The tests of one revision, in order: what a `mode:"tests"` run executes. */
export async function loadSessionTests(sessionId: string, revision: number): Promise<TestCase[] | undefined> {
  const [{ Item: head }, parts] = await Promise.all([
    dynamo().send(new GetCommand({ TableName: table(), Key: keys.sessionQuestion(sessionId, revision), ConsistentRead: true })),
    queryAll<Item>({
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.sessionPk(sessionId), ':prefix': `${keys.sessionQuestionPartsPrefix(revision)}T#` },
      ConsistentRead: true,
    }),
  ]);
  if (!head || !isLive(head)) return undefined;
  const tests = parts
    .sort((a, b) => Number(a.index) - Number(b.index))
    .map((p) => ({ name: String(p.name), stdin: String(p.stdin), expectedStdout: String(p.expectedStdout), hidden: p.hidden === true }));
  return tests.length === Number(head.testCount) ? tests : undefined;
}

/** The starter code of every language of a revision (one Query: the tests are not read). */
export async function getStarterCodes(sessionId: string, revision: number): Promise<StarterCode> {
  const parts = await queryAll<Item>({
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
    ExpressionAttributeValues: { ':pk': keys.sessionPk(sessionId), ':prefix': `${keys.sessionQuestionPartsPrefix(revision)}C#` },
    ConsistentRead: true,
  });
  const out: StarterCode = {};
  for (const p of parts) out[p.language as LanguageId] = String(p.code);
  return out;
}
