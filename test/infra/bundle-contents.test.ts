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
  return Object.entries((await bundleOf(entry)).inputs).filter(([, i]) => i.bytesInOutput > 0).map(([file]) => file);
}

async function bundleOf(entry: string): Promise<{ inputs: Record<string, { bytesInOutput: number }>; imports: { path: string; kind: string; external?: boolean }[] }> {
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
  const imports = Object.values(result.metafile.inputs).flatMap((input) => input.imports);
  return { inputs: output.inputs, imports };
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

  // A dynamic import() of our own code inside a one-file bundle makes esbuild wrap that module and all it
  // shares with the rest (the SDK's core, client-dynamodb's index) in lazy initialisers it cannot
  // tree-shake: the aggregated `DynamoDB` client and every operation's schema came along (52-64 KB and
  // import time in every function that queued runs; docs/metrics.md "Bundle budget").
  it('no function imports our own modules dynamically, so the SDK stays tree-shaken', async () => {
    for (const entry of [HTTP_FUNCTIONS.code.entry, HTTP_FUNCTIONS.sessions.entry, WS_FUNCTIONS.message.entry, PIPELINE_FUNCTIONS.watchdog.entry]) {
      const { inputs, imports } = await bundleOf(entry);
      const lazy = imports.filter((i) => i.kind === 'dynamic-import' && !i.external && !i.path.includes('node_modules/')).map((i) => i.path);
      expect(lazy, entry).toEqual([]);
      const bundled = Object.keys(inputs).filter((f) => inputs[f]!.bytesInOutput > 0);
      expect(bundled.filter((f) => f.endsWith('client-dynamodb/dist-es/DynamoDB.js')), entry).toEqual([]);
    }
  });

  it('http-meta carries no DynamoDB client', async () => {
    const inputs = await inputsOf(HTTP_FUNCTIONS.meta.entry);
    expect(has(inputs, '@aws-sdk/client-dynamodb')).toBe(false);
    expect(stores(inputs)).toEqual([]);
  });
});
