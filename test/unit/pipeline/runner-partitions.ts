/**
 * The runner task's role may touch only the partitions `runnerPartitions` names (IAM
 * `dynamodb:LeadingKeys`, infra/constructs/runners.ts): a key outside them fails in AWS only. The unit
 * tests of the runner's paths (claim, output, results, test runs, gone sockets, scale-out) call
 * `onlyRunnerPartitions()` so every key their mocked DynamoDB saw is checked against that list.
 */
import { afterEach, expect } from 'vitest';
import { runnerPartitions } from '#aws/table.js';
import { ddb, ddbBase } from '../fixtures.js';

type Input = Record<string, any>;

/** Every partition key value in a DynamoDB command's input (DocumentClient or marshalled). */
function partitionsOf(input: Input): string[] {
  const pk = (item: Input | undefined): string[] => {
    const v = item?.PK;
    return v === undefined ? [] : [typeof v === 'string' ? v : v.S];
  };
  const out = [...pk(input.Key), ...pk(input.Item)];
  const values = input.ExpressionAttributeValues ?? {};
  if (input.KeyConditionExpression && !input.IndexName) {
    const name = /PK\s*=\s*(:\w+)/.exec(input.KeyConditionExpression)?.[1];
    if (name) out.push(typeof values[name] === 'string' ? values[name] : values[name]?.S);
  }
  for (const t of input.TransactItems ?? []) {
    const op = t.Put ?? t.Update ?? t.Delete ?? t.ConditionCheck;
    out.push(...pk(op.Key), ...pk(op.Item));
  }
  for (const requests of Object.values(input.RequestItems ?? {}) as Input[][]) {
    for (const r of requests) out.push(...pk(r.PutRequest?.Item), ...pk(r.DeleteRequest?.Key), ...((r.Keys ?? []) as Input[]).flatMap(pk));
  }
  return out;
}

const matches = (pattern: string, value: string) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\#]/g, '\\$&')).join('.*')}$`).test(value);

export function partitionsTouched(): string[] {
  return [...ddb.calls(), ...ddbBase.calls()].flatMap((c) => partitionsOf((c.args[0] as { input: Input }).input));
}

/** After each test of the file: nothing outside the runner's partitions for `language`. */
export function onlyRunnerPartitions(language = 'python'): void {
  afterEach(() => {
    const allowed = runnerPartitions(language);
    const outside = [...new Set(partitionsTouched())].filter((pk) => !allowed.some((p) => matches(p, pk)));
    expect(outside, `partitions outside runnerPartitions(${language}) = ${allowed.join(', ')}`).toEqual([]);
  });
}
