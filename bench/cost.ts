/**
 * THE cost model of the project (the one README, docs/infra.md, docs/execution.md and bench/pipeline.ts
 * quote): what a stage costs while idle, per interview-hour, and with warm runners.
 *   npx tsx bench/cost.ts        prints it and writes docs/cost.md
 * The model is in cost-model.ts (counts read from the synthesized template, usage assumptions), the
 * prices in cost-prices.ts, the rendering in cost-doc.ts; this module re-exports them.
 */
import { templateFacts } from './cost-model.js';

export * from './cost-model.js';

/** Synthesizes the app (no bundling, no cdk-nag), reads the template and renders docs/cost.md. */
export async function main(): Promise<void> {
  const { mkdtempSync, readFileSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const { Template } = await import('aws-cdk-lib/assertions');
  const { createApp } = await import('../infra/app.js');
  const { consoleReport, costDocument } = await import('./cost-doc.js');
  const root = path.resolve(import.meta.dirname, '..');
  const cdkContext = (JSON.parse(readFileSync(path.join(root, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> }).context ?? {};
  const outdir = mkdtempSync(path.join(tmpdir(), 'cost-'));
  try {
    const stage = 'dev';
    const { stack } = createApp({ stage, nag: false, outdir, context: { ...cdkContext, 'aws:cdk:bundling-stacks': [] } });
    const facts = templateFacts(Template.fromStack(stack).toJSON());
    console.log(consoleReport(facts));
    writeFileSync(path.join(root, 'docs/cost.md'), costDocument(facts, stage));
    console.log('\nwrote docs/cost.md');
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
