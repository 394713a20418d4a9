/**
 * The operator's session index (`GET /api/sessions`, docs/protocol.md §3): one item per session in the partition
 * `OP#<operator>`, sort key `S#<createdAt>#<sessionId>`, so "the operator's own, newest first" is a Query
 * read backwards: no Scan, no GSI (whose eventual consistency would hide a session created a moment ago).
 * The item is written in the session's creation transaction and updated in the same transactions that
 * end the session or change its title or language (shared/aws/store/sessions.ts), so it never disagrees with
 * META. It carries the session's TTL: it disappears with the session.
 */
import { QueryCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#aws/clients.js';
import type { LanguageId } from '#contract/languages.js';
import { isLive, keys } from '#aws/table.js';
import { table } from './items.js';
import type { ListStatus, OperatorSessionItem, OperatorSessionPage, SessionItem, SessionStatus } from '#core/records.js';
import { epochSeconds } from '#contract/limits.js';

type UpdateItem = NonNullable<NonNullable<TransactWriteCommandInput['TransactItems']>[number]['Update']>;

type Indexed = Pick<SessionItem, 'sessionId' | 'createdAt'> & { createdBy: string };

export const operatorIndexKey = (s: Indexed) => keys.operatorSession(s.createdBy, s.createdAt, s.sessionId);

export function operatorIndexItem(session: SessionItem): Record<string, unknown> {
  const item: OperatorSessionItem = {
    sessionId: session.sessionId,
    title: session.title,
    language: session.language,
    status: session.status,
    createdAt: session.createdAt,
    expiresAt: session.expiresAt,
    expiresAtEpoch: session.expiresAtEpoch,
    createdBy: session.createdBy!,
    ttl: session.ttl,
  };
  return { ...operatorIndexKey(item), ...item };
}

/**
 * The index item's part of a transaction that changes the session. Unconditional: the META update in the
 * same transaction carries the condition, and an index item exists for every session with `createdBy`
 * (both are written together and share their TTL).
 */
export function operatorIndexUpdate(
  session: SessionItem,
  changed: { title?: string; language?: LanguageId; status?: SessionStatus },
): UpdateItem {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets = Object.entries(changed)
    .filter(([, value]) => value !== undefined)
    .map(([field, value]) => {
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      return `#${field} = :${field}`;
    });
  return {
    TableName: table(),
    Key: operatorIndexKey(session as Indexed),
    UpdateExpression: `SET ${sets.join(', ')}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** Status as docs/protocol.md §3 reports it, evaluated on the index item the way effectiveStatus does on META. */
const STATUS_FILTERS: Record<ListStatus, string> = {
  active: '#status = :active AND expiresAtEpoch > :nowSec',
  expired: '#status = :active AND expiresAtEpoch <= :nowSec',
  ended: '#status = :ended',
};

/** Items DynamoDB evaluates per Query page when a status filter may skip many. */
const FILTERED_PAGE = 100;
/** Query pages one request may read before it answers with what it has and a cursor. */
const MAX_PAGES = 10;

/**
 * One page of the operator's sessions, newest first, at most `limit` live items, after `afterSk` if given.
 * With a status filter a page may come back short (bounded work per request); the cursor then says where
 * the next read starts.
 */
export async function listOperatorSessions(
  operator: string,
  options: { limit: number; afterSk?: string; status?: ListStatus },
  nowMs: number = Date.now(),
): Promise<OperatorSessionPage> {
  const pk = keys.operatorPk(operator);
  const items: OperatorSessionItem[] = [];
  let start: Record<string, unknown> | undefined = options.afterSk ? { PK: pk, SK: options.afterSk } : undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const remaining = options.limit - items.length;
    const out = await dynamo().send(
      new QueryCommand({
        TableName: table(),
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :s)',
        ScanIndexForward: false,
        // Limit counts items evaluated before the filter: with a filter, read more than we need.
        Limit: options.status ? Math.max(remaining, FILTERED_PAGE) : remaining,
        ExclusiveStartKey: start,
        ...(options.status
          ? {
              FilterExpression: STATUS_FILTERS[options.status],
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':pk': pk,
                ':s': 'S#',
                ...(options.status === 'ended' ? { ':ended': 'ended' } : { ':active': 'active', ':nowSec': epochSeconds(nowMs) }),
              },
            }
          : { ExpressionAttributeValues: { ':pk': pk, ':s': 'S#' } }),
      }),
    );
    const found = (out.Items ?? []).filter((i) => isLive(i, nowMs) && typeof i.sessionId === 'string');
    for (let i = 0; i < found.length; i++) {
      items.push(found[i] as OperatorSessionItem);
      if (items.length === options.limit) {
        const more = i < found.length - 1 || out.LastEvaluatedKey !== undefined;
        return { items, nextSk: more ? (found[i]!.SK as string) : undefined };
      }
    }
    if (!out.LastEvaluatedKey) return { items, nextSk: undefined };
    start = out.LastEvaluatedKey;
  }
  // Work bound reached with a short page: continue where DynamoDB stopped evaluating.
  return { items, nextSk: start?.SK as string };
}

/** A cursor is only ever an index SK: `S#<ISO time>#<UUID>`. */
const OPERATOR_SESSION_SK = /^S#\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const isOperatorSessionCursor = (sk: string): boolean => OPERATOR_SESSION_SK.test(sk);
