/**
 * The operator's question bank (`QB#<operator>`, docs/protocol.md §8): head `Q#<questionId>` names its parts'
 * `contentId`; parts live under `QP#<questionId>#<contentId>#…` (question-parts.ts). PUT writes the new
 * parts, swaps `contentId` in one conditional update (whose ALL_OLD names the parts it replaced) and
 * deletes those. A reader that raced a swap sees fewer parts than the head promises and reads again.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#aws/clients.js';
import type { QuestionInput } from '#contract/questions.js';
import { keys } from '#aws/table.js';
import { batchDelete } from './sessions.js';
import { isConditionFailure, queryAll, table } from './items.js';
import { assemble, batchPut, headOf, partItems, type Item } from './question-parts.js';
import { QuestionReadRaced, type BankPage, type BankQuestion } from '#core/records.js';

const bankPk = (operator: string) => keys.questionBankPk(operator);

export async function putBankQuestion(operator: string, questionId: string, q: QuestionInput, contentId: string, nowMs = Date.now()): Promise<BankQuestion> {
  const at = new Date(nowMs).toISOString();
  await batchPut(partItems(keys.questionPartsPrefix(questionId, contentId), q, { PK: bankPk(operator) }));
  const key = keys.bankQuestion(operator, questionId);
  try {
    await dynamo().send(new PutCommand({
      TableName: table(),
      Item: { ...key, questionId, ...headOf(q), contentId, createdAt: at, updatedAt: at },
      ConditionExpression: 'attribute_not_exists(PK)',
    }));
  } catch (err) {
    // The SDK's retry of a put whose response was lost meets the head the first attempt wrote.
    if (!isConditionFailure(err) || (await headContentId(key)) !== contentId) throw err;
  }
  return { questionId, ...q, createdAt: at, updatedAt: at };
}

async function headContentId(key: { PK: string; SK: string }): Promise<string | undefined> {
  const { Item } = await dynamo().send(new GetCommand({ TableName: table(), Key: key, ConsistentRead: true }));
  return Item ? String(Item.contentId) : undefined;
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
  const key = keys.bankQuestion(operator, questionId);
  let replaced: string | undefined;
  let createdAt = at;
  try {
    const out = await dynamo().send(new UpdateCommand({
      TableName: table(),
      Key: key,
      // The head keeps the content it replaced: a retry that finds its own swap still knows what to delete.
      UpdateExpression:
        'SET previousContentId = contentId, title = :title, prompt = :prompt, testCount = :testCount, languages = :languages, contentId = :contentId, updatedAt = :at',
      // `contentId <> :contentId`: the SDK's retry of a swap whose response was lost must not swap again
      // (its ALL_OLD would name the new parts, and they would be deleted).
      ConditionExpression: 'attribute_exists(PK) AND contentId <> :contentId',
      ExpressionAttributeValues: { ':title': head.title, ':prompt': head.prompt, ':testCount': head.testCount, ':languages': head.languages, ':contentId': contentId, ':at': at },
      ReturnValues: 'ALL_OLD',
    }));
    replaced = out.Attributes ? String(out.Attributes.contentId) : undefined;
    createdAt = String(out.Attributes?.createdAt ?? at);
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    const { Item: now } = await dynamo().send(new GetCommand({ TableName: table(), Key: key, ConsistentRead: true }));
    if (!now) {
      await batchDelete(fresh.map((i) => ({ PK: String(i.PK), SK: String(i.SK) })));
      return undefined;
    }
    if (String(now.contentId) !== contentId) throw err;
    // Our own swap, whose answer was lost: what it replaced is on the head.
    replaced = now.previousContentId === undefined ? undefined : String(now.previousContentId);
    createdAt = String(now.createdAt ?? at);
  }
  if (replaced !== undefined && replaced !== contentId) await deleteParts(operator, keys.questionPartsPrefix(questionId, replaced));
  return { questionId, ...q, createdAt, updatedAt: at };
}

/**
 * Deletes the head, then every part of the question (whichever content: parts a lost answer left
 * behind go too). True when this call or an earlier attempt whose answer was lost deleted the head:
 * the SDK's retry finds no head but still the parts.
 */
export async function deleteBankQuestion(operator: string, questionId: string): Promise<boolean> {
  const out = await dynamo().send(new DeleteCommand({ TableName: table(), Key: keys.bankQuestion(operator, questionId), ReturnValues: 'ALL_OLD' }));
  const parts = await deleteParts(operator, keys.questionAllPartsPrefix(questionId));
  return out.Attributes !== undefined || parts > 0;
}

/** Deletes the parts under `prefix`; returns how many there were. */
async function deleteParts(operator: string, prefix: string): Promise<number> {
  const parts = await queryAll<{ PK: string; SK: string }>({
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
    ExpressionAttributeValues: { ':pk': bankPk(operator), ':prefix': prefix },
    ProjectionExpression: 'PK, SK',
    ConsistentRead: true,
  });
  await batchDelete(parts.map((p) => ({ PK: p.PK, SK: p.SK })));
  return parts.length;
}

/** Tries of a read that keeps meeting replacements before it gives up (the caller answers BUSY). */
const READ_TRIES = 4;

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
export async function listBankQuestions(operator: string, limit: number, afterSk?: string): Promise<BankPage> {
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
