/**
 * An in-memory table behind the mocked DocumentClient, for unit tests that follow a feature through
 * several store modules (the question bank, a session's question revisions, starter code written
 * through the document path, PATCH flags): every partition, GetItem, Query (key conditions, order,
 * Limit, paging), Put/Update/Delete with their conditions, BatchWrite and TransactWriteItems (all or
 * nothing, reasons with ALL_OLD). Expressions are evaluated by a small interpreter of the subset the
 * store writes (=, <>, <, >, IN, AND, OR, parentheses, attribute_exists/not_exists; SET with `+` and
 * if_not_exists, ADD, REMOVE). FilterExpressions are ignored. Integration tests run the same store
 * against DynamoDB Local.
 */
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { connectionItem, ddb, docItems, sessionItem, type Item } from './fixtures.js';

type Names = Record<string, string> | undefined;
type Values = Record<string, unknown> | undefined;

const id = (key: { PK: unknown; SK: unknown }) => `${String(key.PK)}\u0000${String(key.SK)}`;

/**
 * A table holding the fixtures' session, its document `print(1)\n` and two joined text clients: `c-int`
 * (interviewer `ivy`) and `c-cand` (candidate `cody`).
 */
export function roomTable(): MemoryTable {
  const table = new MemoryTable();
  table.set(sessionItem());
  for (const item of docItems('print(1)\n')) table.set(item);
  table.set(connectionItem('c-int', { joined: true, userId: 'ivy', role: 'interviewer', format: 'text' }));
  table.set(connectionItem('c-cand', { joined: true, userId: 'cody', role: 'candidate', format: 'text' }));
  return table;
}

export class MemoryTable {
  readonly items = new Map<string, Item>();

  constructor() {
    ddb.on(GetCommand).callsFake((i) => ({ Item: this.copy(i.Key) }));
    ddb.on(PutCommand).callsFake((i) => this.put(i));
    ddb.on(UpdateCommand).callsFake((i) => this.update(i));
    ddb.on(DeleteCommand).callsFake((i) => this.delete(i));
    ddb.on(QueryCommand).callsFake((i) => this.query(i));
    ddb.on(BatchWriteCommand).callsFake((i) => this.batch(i));
    ddb.on(TransactWriteCommand).callsFake((i) => this.transact(i));
  }

  set(item: object): void {
    this.items.set(id(item as { PK: unknown; SK: unknown }), structuredClone(item) as Item);
  }

  get(PK: string, SK: string): Item | undefined {
    return this.items.get(id({ PK, SK }));
  }

  /** Items of one partition whose SK starts with `prefix`, in SK order. */
  list(PK: string, prefix = ''): Item[] {
    return [...this.items.values()].filter((i) => i.PK === PK && String(i.SK).startsWith(prefix)).sort((a, b) => String(a.SK).localeCompare(String(b.SK)));
  }

  /**
   * The next `command` is applied and its answer lost; the SDK's retry applies it again and the caller
   * gets the retry's answer (a write that the first attempt already made, seen by its own retry).
   */
  loseNextAnswer(command: typeof PutCommand | typeof UpdateCommand | typeof DeleteCommand): void {
    const apply = (i: any) => (command === PutCommand ? this.put(i) : command === UpdateCommand ? this.update(i) : this.delete(i));
    let lost = false;
    ddb.on(command as typeof PutCommand).callsFake((i) => {
      if (!lost) {
        lost = true;
        apply(i); // a refused first attempt throws here: nothing was lost, the caller gets that answer
      }
      return apply(i);
    });
  }

  private copy(key: Item): Item | undefined {
    const item = this.items.get(id(key as { PK: unknown; SK: unknown }));
    return item ? structuredClone(item) : undefined;
  }

  private put(i: any) {
    if (i.ConditionExpression && !evaluate(i.ConditionExpression, this.copy(i.Item), i.ExpressionAttributeNames, i.ExpressionAttributeValues)) {
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    }
    const old = this.copy(i.Item);
    this.set(i.Item);
    return i.ReturnValues === 'ALL_OLD' ? { Attributes: old } : {};
  }

  private update(i: any) {
    const old = this.copy(i.Key);
    if (i.ConditionExpression && !evaluate(i.ConditionExpression, old, i.ExpressionAttributeNames, i.ExpressionAttributeValues)) {
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    }
    const next = applyUpdate(old ?? { ...i.Key }, i.UpdateExpression, i.ExpressionAttributeNames, i.ExpressionAttributeValues);
    this.set(next);
    return i.ReturnValues === 'ALL_OLD' ? { Attributes: old } : i.ReturnValues === 'ALL_NEW' ? { Attributes: structuredClone(next) } : {};
  }

  private delete(i: any) {
    const old = this.copy(i.Key);
    if (i.ConditionExpression && !evaluate(i.ConditionExpression, old, i.ExpressionAttributeNames, i.ExpressionAttributeValues)) {
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    }
    this.items.delete(id(i.Key));
    return i.ReturnValues === 'ALL_OLD' ? { Attributes: old } : {};
  }

  private query(i: any) {
    const v = i.ExpressionAttributeValues ?? {};
    const kc: string = i.KeyConditionExpression;
    const pk = v[/PK = (:\w+)/.exec(kc)?.[1] ?? ''];
    const prefix = /begins_with\(SK, (:\w+)\)/.exec(kc)?.[1];
    const between = /SK BETWEEN (:\w+) AND (:\w+)/.exec(kc);
    let rows = [...this.items.values()].filter((item) => {
      if (item.PK !== pk) return false;
      const sk = String(item.SK);
      if (prefix) return sk.startsWith(String(v[prefix]));
      if (between) return sk >= String(v[between[1]!]) && sk <= String(v[between[2]!]);
      return true;
    });
    rows.sort((a, b) => String(a.SK).localeCompare(String(b.SK)));
    if (i.ScanIndexForward === false) rows.reverse();
    if (i.ExclusiveStartKey) {
      const at = rows.findIndex((r) => r.SK === i.ExclusiveStartKey.SK);
      rows = rows.slice(at + 1);
    }
    const page = i.Limit ? rows.slice(0, i.Limit) : rows;
    const more = i.Limit !== undefined && rows.length > page.length;
    return { Items: page.map((r) => structuredClone(r)), ...(more ? { LastEvaluatedKey: { PK: pk, SK: page[page.length - 1]!.SK } } : {}) };
  }

  private batch(i: any) {
    for (const requests of Object.values(i.RequestItems) as any[]) {
      for (const r of requests) {
        if (r.PutRequest) this.set(r.PutRequest.Item);
        if (r.DeleteRequest) this.items.delete(id(r.DeleteRequest.Key));
      }
    }
    return { UnprocessedItems: {} };
  }

  private transact(i: any) {
    const reasons = i.TransactItems.map((t: any) => {
      const op = t.Put ?? t.Update ?? t.Delete ?? t.ConditionCheck;
      const key = t.Put ? t.Put.Item : op.Key;
      const old = this.copy(key);
      if (!op.ConditionExpression || evaluate(op.ConditionExpression, old, op.ExpressionAttributeNames, op.ExpressionAttributeValues)) return { Code: 'None' };
      return { Code: 'ConditionalCheckFailed', ...(op.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' && old ? { Item: marshall(old, { removeUndefinedValues: true }) } : {}) };
    });
    if (reasons.some((r: { Code: string }) => r.Code !== 'None')) {
      throw new TransactionCanceledException({ message: 'Transaction cancelled', $metadata: {}, CancellationReasons: reasons });
    }
    for (const t of i.TransactItems) {
      if (t.Put) this.set(t.Put.Item);
      if (t.Update) this.set(applyUpdate(this.copy(t.Update.Key) ?? { ...t.Update.Key }, t.Update.UpdateExpression, t.Update.ExpressionAttributeNames, t.Update.ExpressionAttributeValues));
      if (t.Delete) this.items.delete(id(t.Delete.Key));
    }
    return {};
  }
}

// ---- the expression interpreter ----------------------------------------------------------------

const path = (token: string, names: Names) => (token.startsWith('#') ? (names?.[token] ?? token) : token);

function operand(token: string, item: Item | undefined, names: Names, values: Values): unknown {
  const t = token.trim();
  if (t.startsWith(':')) return values?.[t];
  return item?.[path(t, names)];
}

/** Splits on a keyword at parenthesis depth 0. */
function splitTop(expr: string, keyword: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let k = 0; k < expr.length; k++) {
    const c = expr[k];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && expr.startsWith(` ${keyword} `, k)) {
      parts.push(expr.slice(start, k));
      start = k + keyword.length + 2;
      k = start - 1;
    }
  }
  parts.push(expr.slice(start));
  return parts.map((p) => p.trim());
}

export function evaluate(expr: string, item: Item | undefined, names: Names, values: Values): boolean {
  const e = expr.trim();
  const ors = splitTop(e, 'OR');
  if (ors.length > 1) return ors.some((p) => evaluate(p, item, names, values));
  const ands = splitTop(e, 'AND');
  if (ands.length > 1) return ands.every((p) => evaluate(p, item, names, values));
  if (e.startsWith('(') && e.endsWith(')')) return evaluate(e.slice(1, -1), item, names, values);
  let m = /^attribute_exists\(([#\w]+)\)$/.exec(e);
  if (m) return item !== undefined && item[path(m[1]!, names)] !== undefined;
  m = /^attribute_not_exists\(([#\w]+)\)$/.exec(e);
  if (m) return item === undefined || item[path(m[1]!, names)] === undefined;
  m = /^([#:\w]+) IN \((.+)\)$/.exec(e);
  if (m) return m[2]!.split(',').some((v) => operand(v, item, names, values) === operand(m![1]!, item, names, values));
  m = /^([#:\w]+) (=|<>|<|>|<=|>=) ([#:\w]+)$/.exec(e);
  if (!m) throw new Error(`memory table: unsupported condition "${e}"`);
  const a = operand(m[1]!, item, names, values) as any;
  const b = operand(m[3]!, item, names, values) as any;
  switch (m[2]) {
    case '=': return a === b;
    case '<>': return a !== b;
    case '<': return a !== undefined && a < b;
    case '>': return a !== undefined && a > b;
    case '<=': return a !== undefined && a <= b;
    default: return a !== undefined && a >= b;
  }
}

function applyUpdate(item: Item, expr: string, names: Names, values: Values): Item {
  const next = structuredClone(item);
  const clauses = expr.split(/\b(SET|ADD|REMOVE)\b/).map((s) => s.trim()).filter(Boolean);
  for (let k = 0; k < clauses.length; k += 2) {
    const kind = clauses[k];
    const body = clauses[k + 1] ?? '';
    if (kind === 'REMOVE') {
      for (const p of body.split(',')) delete next[path(p.trim(), names)];
      continue;
    }
    if (kind === 'ADD') {
      for (const p of body.split(',')) {
        const [target, v] = p.trim().split(/\s+/);
        const name = path(target!, names);
        next[name] = Number(next[name] ?? 0) + Number(values?.[v!]);
      }
      continue;
    }
    for (const assignment of body.split(/,(?![^(]*\))/)) {
      const [lhs, rhs] = assignment.split('=').map((s) => s.trim());
      const name = path(lhs!, names);
      const ifNot = /^if_not_exists\(([#\w]+),\s*(:\w+)\)$/.exec(rhs!);
      const plus = /^([#\w]+) \+ (:\w+)$/.exec(rhs!);
      // Every right-hand side reads the item as it was before this update, as in DynamoDB.
      if (ifNot) next[name] = item[path(ifNot[1]!, names)] ?? values?.[ifNot[2]!];
      else if (plus) next[name] = Number(item[path(plus[1]!, names)] ?? 0) + Number(values?.[plus[2]!]);
      else next[name] = structuredClone(operand(rhs!, item, names, values));
    }
  }
  return next;
}
