/**
 * A small model of the DynamoDB semantics the document store relies on, installed on the mocked
 * DocumentClient: one session partition, GetItem, Query over SK ranges (order, Limit, paging),
 * TransactWriteItems with the store's conditions, ALL_OLD on failed conditions and ClientRequestToken
 * idempotency, conditional Put and BatchWrite deletes. Each command runs at once, in call order, unless
 * a test's `gate` holds it: that is how a test makes one request slow, or lets it commit and lose its
 * response, and interleaves the others around it.
 *
 * It models only what shared/aws/store/documents.ts and connections use: integration tests run the same
 * code against DynamoDB Local.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, type Item } from '../fixtures.js';

type Phase = 'before' | 'after';
/** Return a promise to hold the command there; throw in 'after' to lose the response of a committed write. */
export type Gate = (phase: Phase, command: string, input: any) => Promise<void> | void;

export class TableModel {
  readonly items = new Map<string, Item>();
  private tokens = new Set<string>();
  gate: Gate = () => {};
  /** Every command the client sent, in order. */
  readonly calls: string[] = [];

  constructor(readonly pk: string) {
    ddb.on(GetCommand).callsFake((input) => this.run('GetItem', input, () => ({ Item: this.copy(input.Key.SK) })));
    ddb.on(QueryCommand).callsFake((input) => this.run('Query', input, () => this.query(input)));
    ddb.on(PutCommand).callsFake((input) => this.run('PutItem', input, () => this.put(input)));
    ddb.on(BatchWriteCommand).callsFake((input) => this.run('BatchWriteItem', input, () => this.batch(input)));
    ddb.on(TransactWriteCommand).callsFake((input) => this.run('TransactWriteItems', input, () => this.transact(input)));
  }

  private async run<T>(command: string, input: any, apply: () => T): Promise<T> {
    this.calls.push(command);
    await this.gate('before', command, input);
    const out = apply();
    await this.gate('after', command, input);
    return out;
  }

  private copy(sk: string): Item | undefined {
    const item = this.items.get(sk);
    return item ? structuredClone(item) : undefined;
  }

  private query(input: any) {
    const v = input.ExpressionAttributeValues;
    const inRange = (sk: string) =>
      v[':lo'] !== undefined ? sk >= v[':lo'] && sk <= v[':hi'] : sk.startsWith(v[':c'] ?? v[':doc'] ?? '');
    let keys = [...this.items.keys()].filter(inRange).sort();
    if (input.ScanIndexForward === false) keys.reverse();
    if (input.ExclusiveStartKey) keys = keys.slice(keys.indexOf(input.ExclusiveStartKey.SK) + 1);
    const page = input.Limit ? keys.slice(0, input.Limit) : keys;
    const more = input.Limit && keys.length > page.length;
    return { Items: page.map((k) => this.copy(k)!), LastEvaluatedKey: more ? { PK: this.pk, SK: page[page.length - 1] } : undefined };
  }

  private put(input: any) {
    if (input.ConditionExpression === 'attribute_not_exists(SK)' && this.items.has(input.Item.SK)) {
      throw Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
    }
    this.items.set(input.Item.SK, structuredClone(input.Item));
    return {};
  }

  private batch(input: any) {
    for (const requests of Object.values(input.RequestItems) as any[]) {
      for (const r of requests) this.items.delete(r.DeleteRequest.Key.SK);
    }
    return { UnprocessedItems: {} };
  }

  /** The store's transactions: Update META (version and active conditions) + conditional Puts. */
  private transact(input: any) {
    if (input.ClientRequestToken && this.tokens.has(input.ClientRequestToken)) return {};
    const reasons = input.TransactItems.map((t: any) => {
      if (t.Update) {
        const meta = this.items.get(t.Update.Key.SK);
        const v = t.Update.ExpressionAttributeValues;
        const ok = meta && meta.version === v[':expected'] && meta.status === 'active' && Number(meta.expiresAtEpoch) > v[':nowSec'];
        return ok ? { Code: 'None' } : { Code: 'ConditionalCheckFailed', ...(meta ? { Item: marshall(meta) } : {}) };
      }
      if (t.Put?.ConditionExpression === 'attribute_not_exists(SK)' && this.items.has(t.Put.Item.SK)) {
        return { Code: 'ConditionalCheckFailed', Item: marshall(this.items.get(t.Put.Item.SK)!, { removeUndefinedValues: true }) };
      }
      return { Code: 'None' };
    });
    if (reasons.some((r: any) => r.Code !== 'None')) {
      throw new TransactionCanceledException({ message: 'Transaction cancelled', $metadata: {}, CancellationReasons: reasons });
    }
    for (const t of input.TransactItems) {
      if (t.Put) this.items.set(t.Put.Item.SK, structuredClone(t.Put.Item));
      if (t.Update) {
        const meta = this.items.get(t.Update.Key.SK)!;
        const v = t.Update.ExpressionAttributeValues;
        meta.version = v[':next'];
        meta.lastActivity = v[':at'];
        if (v[':language']) meta.language = v[':language'];
      }
    }
    if (input.ClientRequestToken) this.tokens.add(input.ClientRequestToken);
    return {};
  }

  /** The log's versions and the versions of complete states, ascending. */
  versions(): { log: number[]; states: number[] } {
    const log: number[] = [];
    const parts = new Map<number, { have: number; of: number }>();
    for (const item of this.items.values()) {
      if (typeof item.SK !== 'string') continue;
      if (item.SK.endsWith('#U')) log.push(Number(item.version));
      if (/#S\d{3}$/.test(item.SK)) {
        const p = parts.get(Number(item.version)) ?? { have: 0, of: Number(item.parts) };
        p.have++;
        parts.set(Number(item.version), p);
      }
    }
    const states = [...parts.entries()].filter(([, p]) => p.have === p.of).map(([v]) => v);
    return { log: log.sort((a, b) => a - b), states: states.sort((a, b) => a - b) };
  }
}

/** A network failure after the request reached the table: what a lost response looks like to the SDK. */
export const lostResponse = () => Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} });

/** A promise and the function that settles it: lets a test hold one request while others run. */
export function latch(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}
