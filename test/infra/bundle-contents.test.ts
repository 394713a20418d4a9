/**
 * What a function's deployed bundle carries (esbuild with the stack's own options, infra/bundling.ts):
 * the functions that wire only a few ports (docs/architecture.md) must not carry the others' stores,
 * and code that never parses a question must not carry zod's question schemas. Sizes are measured by
 * bench/bundles.ts; this checks the composition, which does not depend on the machine.
 */
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { LAMBDA_BUNDLE } from '../../infra/bundling.js';
import { HTTP_FUNCTIONS, PIPELINE_FUNCTIONS, WS_FUNCTIONS } from '#contract/routes.js';

/** The repository files and packages a function's bundle is made of. */
async function inputsOf(entry: string): Promise<string[]> {
  const result = await build({
    ...LAMBDA_BUNDLE,
    entryPoints: [entry],
    bundle: true,
    write: false,
    outfile: 'out.mjs',
    banner: { js: LAMBDA_BUNDLE.banner },
    metafile: true,
    logLevel: 'error',
  });
  const output = Object.values(result.metafile.outputs)[0]!;
  return Object.entries(output.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([file]) => file);
}

const stores = (inputs: string[]) => inputs.map((f) => /shared\/aws\/store\/([\w-]+)\.ts$/.exec(f)?.[1]).filter(Boolean).sort();
const has = (inputs: string[], pkg: string) => inputs.some((f) => f.includes(`node_modules/${pkg}/`));

describe('bundle contents', () => {
  it('ws-connect carries only the stores it wires, and no zod', async () => {
    const inputs = await inputsOf(WS_FUNCTIONS.connect.entry);
    for (const store of ['executions', 'question-bank', 'questions', 'snapshots', 'timeline', 'documents']) {
      expect(stores(inputs), store).not.toContain(store);
    }
    expect(stores(inputs)).toEqual(expect.arrayContaining(['connections', 'sessions', 'review-links']));
    expect(has(inputs, 'zod')).toBe(false);
  });

  it('the pipeline functions that wire only the documents port carry none of the stores they do not use', async () => {
    for (const entry of [PIPELINE_FUNCTIONS.deadLetter.entry, PIPELINE_FUNCTIONS.watchdog.entry]) {
      const inputs = await inputsOf(entry);
      for (const store of ['question-bank', 'questions', 'snapshots', 'timeline', 'review-links', 'api-keys', 'rate-limit']) {
        expect(stores(inputs), `${entry}: ${store}`).not.toContain(store);
      }
      expect(stores(inputs), entry).toContain('documents');
    }
  });

  it('http-meta carries no DynamoDB client', async () => {
    const inputs = await inputsOf(HTTP_FUNCTIONS.meta.entry);
    expect(has(inputs, '@aws-sdk/client-dynamodb')).toBe(false);
    expect(stores(inputs)).toEqual([]);
  });
});
