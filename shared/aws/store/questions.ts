/**
 * Questions in the one table (see shared/aws/table.ts for the keys). A question can hold 50 tests of
 * 128 KiB and 8 starter programs of 100 KiB: far past DynamoDB's 400 KB item limit and its 4 MB
 * transaction limit, so a question is a head item plus one item per test and per starter program, and
 * the parts are immutable: a change writes a new set of parts, then points the head at it.
 *
 * - Bank (`QB#<operator>`): head `Q#<questionId>` names its parts' `contentId`; parts live under
 *   `QP#<questionId>#<contentId>#…`. PUT writes the new parts, swaps `contentId` in one conditional
 *   update (whose ALL_OLD names the parts it replaced) and deletes those. A reader that raced a swap sees
 *   fewer parts than the head promises and reads again.
 * - Session (`S#<sessionId>`): revision r is a head `Q#<r>` and parts `Q#<r>#C#…`, `Q#<r>#T#…`, written
 *   once and never changed; the session item's `questionRevision` points at the newest complete one
 *   (moved only forward). A test run names its revision, so it runs the tests it was queued with.
 */
import { BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#aws/clients.js';
import type { LanguageId } from '#contract/languages.js';
import type { Question, QuestionInput, QuestionSummary, StarterCode, TestCase } from '#contract/questions.js';
import { isLive, keys } from '#aws/table.js';
import { historyItem } from './history.js';
import { batchDelete } from './sessions.js';
import { isConditionFailure, isTransactionCanceled, queryAll, table } from './items.js';

type Item = Record<string, unknown>;

/** What a head item says about its parts: a read that finds fewer raced a replacement. */
interface Head {
  title: string;
  prompt: string;
  testCount: number;
  languages: LanguageId[];
}

function partItems(prefix: string, q: QuestionInput, extra: Item): Item[] {
  const code = Object.entries(q.starterCode).map(([language, source]) => ({
    PK: extra.PK,
    SK: `${prefix}C#${language}`,
    language,
    code: source,
    ...extra,
  }));
  const tests = q.tests.map((t, index) => ({
    PK: extra.PK,
    SK: `${prefix}T#${String(index).padStart(3, '0')}`,
    index,
    name: t.name,
    stdin: t.stdin,
    expectedStdout: t.expectedStdout,
    hidden: t.hidden,
    ...extra,
  }));
  return [...code, ...tests];
}

const headOf = (q: QuestionInput): Head => ({
  title: q.title,
  prompt: q.prompt,
  testCount: q.tests.length,
  languages: Object.keys(q.starterCode) as LanguageId[],
});

/** The parts back into a question; undefined when they do not match the head (a replacement raced). */
function assemble(head: Item, parts: Item[]): Pick<Question, 'title' | 'prompt' | 'starterCode' | 'tests'> | undefined {
  const starterCode: Question['starterCode'] = {};
  const tests: TestCase[] = [];
  for (const p of parts) {
    const sk = String(p.SK);
    if (/#C#[a-z]+$/.test(sk)) starterCode[p.language as LanguageId] = String(p.code);
    else if (/#T#\d{3}$/.test(sk)) tests[Number(p.index)] = { name: String(p.name), stdin: String(p.stdin), expectedStdout: String(p.expectedStdout), hidden: p.hidden === true };
  }
  const languages = (head.languages as string[] | undefined) ?? [];
  const complete = Object.keys(starterCode).length === languages.length && tests.filter(Boolean).length === Number(head.testCount);
  if (!complete || tests.length !== Number(head.testCount)) return undefined;
  return { title: String(head.title), prompt: String(head.prompt), starterCode, tests };
}

/** BatchWriteItem puts, 25 at a time (well under its 16 MB: an item is at most ~130 KiB here), retrying unprocessed ones. */
async function batchPut(items: Item[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    let requests = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
      const out = await dynamo().send(new BatchWriteCommand({ RequestItems: { [table()]: requests } }));
      requests = (out.UnprocessedItems?.[table()] ?? []) as typeof requests;
      if (attempt > 8 && requests.length > 0) throw new Error(`batchPut: ${requests.length} items left unprocessed`);
    }
  }
}

// ---- the operator's bank -----------------------------------------------------------------------

const bankPk = (operator: string) => keys.questionBankPk(operator);

export interface BankQuestion extends Question {
  questionId: string;
  createdAt: string;
  updatedAt: string;
}

export async function putBankQuestion(operator: string, questionId: string, q: QuestionInput, contentId: string, nowMs = Date.now()): Promise<BankQuestion> {
  const at = new Date(nowMs).toISOString();
  await batchPut(partItems(keys.questionPartsPrefix(questionId, contentId), q, { PK: bankPk(operator) }));
  await dynamo().send(new PutCommand({
    TableName: table(),
    Item: { ...keys.bankQuestion(operator, questionId), questionId, ...headOf(q), contentId, createdAt: at, updatedAt: at },
    ConditionExpression: 'attribute_not_exists(PK)',
  }));
  return { questionId, ...q, createdAt: at, updatedAt: at };
}

/**
 * Points the head at new parts. Returns undefined (and removes the new parts) when the question is gone.
 * The old parts are deleted after the swap: a reader holding the old head reads again (see `getBankQuestion`).
 */
export async function replaceBankQuestion(operator: string, questionId: string, q: QuestionInput, contentId: string, nowMs = Date.now()): Promise<BankQuestion | undefined> {
  const at = new Date(nowMs).toISOString();
  const fresh = partItems(keys.questionPartsPrefix(questionId, contentId), q, { PK: bankPk(operator) });
  await batchPut(fresh);
  const head = headOf(q);
  let old: Item | undefined;
  try {
    const out = await dynamo().send(new UpdateCommand({
      TableName: table(),
      Key: keys.bankQuestion(operator, questionId),
      UpdateExpression: 'SET title = :title, prompt = :prompt, testCount = :testCount, languages = :languages, contentId = :contentId, updatedAt = :at',
      ConditionExpression: 'attribute_exists(PK)',
      ExpressionAttributeValues: { ':title': head.title, ':prompt': head.prompt, ':testCount': head.testCount, ':languages': head.languages, ':contentId': contentId, ':at': at },
      ReturnValues: 'ALL_OLD',
    }));
    old = out.Attributes;
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    await batchDelete(fresh.map((i) => ({ PK: String(i.PK), SK: String(i.SK) })));
    return undefined;
  }
  if (old) await deleteParts(operator, questionId, String(old.contentId));
  return { questionId, ...q, createdAt: String(old?.createdAt ?? at), updatedAt: at };
}

export async function deleteBankQuestion(operator: string, questionId: string): Promise<boolean> {
  const out = await dynamo().send(new DeleteCommand({ TableName: table(), Key: keys.bankQuestion(operator, questionId), ReturnValues: 'ALL_OLD' }));
  if (!out.Attributes) return false;
  await deleteParts(operator, questionId, String(out.Attributes.contentId));
  return true;
}

async function deleteParts(operator: string, questionId: string, contentId: string): Promise<void> {
  const parts = await queryAll<{ PK: string; SK: string }>({
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
    ExpressionAttributeValues: { ':pk': bankPk(operator), ':prefix': keys.questionPartsPrefix(questionId, contentId) },
    ProjectionExpression: 'PK, SK',
  });
  await batchDelete(parts.map((p) => ({ PK: p.PK, SK: p.SK })));
}

/** Tries of a read that keeps meeting replacements before it gives up (the caller answers BUSY). */
const READ_TRIES = 4;

export class QuestionReadRaced extends Error {}

export async function getBankQuestion(operator: string, questionId: string): Promise<BankQuestion | undefined> {
  for (let attempt = 0; attempt < READ_TRIES; attempt++) {
    const { Item: head } = await dynamo().send(new GetCommand({ TableName: table(), Key: keys.bankQuestion(operator, questionId), ConsistentRead: true }));
    if (!head) return undefined;
    const parts = await queryAll<Item>({
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': bankPk(operator), ':prefix': keys.questionPartsPrefix(questionId, String(head.contentId)) },
      ConsistentRead: true,
    });
    const q = assemble(head, parts);
    if (q) return { questionId, ...q, createdAt: String(head.createdAt), updatedAt: String(head.updatedAt) };
  }
  throw new QuestionReadRaced(`question ${questionId} kept changing while it was read`);
}

/** One page of the operator's questions, newest first (question ids are ULIDs). */
export async function listBankQuestions(operator: string, limit: number, afterSk?: string): Promise<{ items: QuestionSummary[]; nextSk?: string }> {
  const out = await dynamo().send(new QueryCommand({
    TableName: table(),
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
    ExpressionAttributeValues: { ':pk': bankPk(operator), ':prefix': keys.bankQuestionPrefix },
    ProjectionExpression: 'SK, questionId, title, updatedAt, testCount',
    ScanIndexForward: false,
    // One more than a page: whether there is a next page is known without an empty last page.
    Limit: limit + 1,
    ...(afterSk ? { ExclusiveStartKey: { PK: bankPk(operator), SK: afterSk } } : {}),
  }));
  const rows = (out.Items ?? []) as Item[];
  const page = rows.slice(0, limit);
  return {
    items: page.map((r) => ({ questionId: String(r.questionId), title: String(r.title), updatedAt: String(r.updatedAt), testCount: Number(r.testCount) })),
    nextSk: rows.length > limit ? String(page[page.length - 1]!.SK) : undefined,
  };
}

// ---- a session's question revisions -----------------------------------------------------------

export interface SessionQuestion extends Question {
  revision: number;
  updatedAt: string;
}

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
            ExpressionAttributeValues: { ':rev': revision, ':count': detail.testCount, ':at': new Date(nowMs).toISOString(), ':active': 'active', ':nowSec': Math.floor(nowMs / 1000) },
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
