/**
 * How a question is stored (see shared/aws/table.ts for the keys): a head item (title, prompt, how many
 * tests, which languages) and one item per test and per starter program. A question can hold 50 tests
 * of 128 KiB and 8 starter programs of 100 KiB: far past DynamoDB's 400 KB item limit and its 4 MB
 * transaction limit. Parts are immutable: a change writes a new set, then points a head at it; a
 * reader that finds fewer parts than its head promises raced a replacement. Used by the bank
 * (question-bank.ts) and a session's revisions (questions.ts).
 */
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#aws/clients.js';
import type { LanguageId } from '#contract/languages.js';
import type { Question, QuestionInput, TestCase } from '#contract/questions.js';
import { table } from './items.js';

export type Item = Record<string, unknown>;

/** What a head item says about its parts: a read that finds fewer raced a replacement. */
interface Head {
  title: string;
  prompt: string;
  testCount: number;
  languages: LanguageId[];
}

export function partItems(prefix: string, q: QuestionInput, extra: Item): Item[] {
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

export const headOf = (q: QuestionInput): Head => ({
  title: q.title,
  prompt: q.prompt,
  testCount: q.tests.length,
  languages: Object.keys(q.starterCode) as LanguageId[],
});

/** The parts back into a question; undefined when they do not match the head (a replacement raced). */
export function assemble(head: Item, parts: Item[]): Pick<Question, 'title' | 'prompt' | 'starterCode' | 'tests'> | undefined {
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
export async function batchPut(items: Item[]): Promise<void> {
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
