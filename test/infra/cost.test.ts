/**
 * The one cost model (bench/cost.ts) over the real template: a stage idles for ≤ $3/month, and every
 * document quotes the figures docs/cost.md was generated with (`npx tsx bench/cost.ts`).
 */
import { readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatUsd, idleModel, summarize, templateFacts, type TemplateFacts } from '../../bench/cost.js';
import { buildApp, type Built } from './harness.js';

let built: Built;
let facts: TemplateFacts;
beforeAll(() => {
  built = buildApp({ stage: 'dev', bundle: false });
  facts = templateFacts(Template.fromStack(built.stack).toJSON());
});
afterAll(() => built?.cleanup());

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

describe('idle cost of a stage', () => {
  it('stays at or under $3/month', () => {
    const { idleMonthly, dashboardsMonthly } = summarize(facts);
    expect(idleMonthly).toBeGreaterThan(1); // alarms and pollers are not free: the model counts them
    const lines = idleModel(facts).map((l) => `${l.item}: $${l.usd.toFixed(3)}`).join(', ');
    // The one operator dashboard is free within the account's 3 free dashboards (docs/cost.md says so);
    // everything else must fit the budget. Over it? The lines say what.
    expect(facts.dashboards, lines).toBeLessThanOrEqual(1);
    expect(idleMonthly - dashboardsMonthly, lines).toBeLessThanOrEqual(3);
  });

  it('reads what drives it from the template: alarm metrics, event-source pollers, the watchdog schedule', () => {
    expect(facts.alarmMetrics.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(20);
    expect(facts.sqsEventSources).toBe(2); // the shared DLQ and the launch queue
    expect(facts.schedules).toEqual([{ perMonth: 43_800, memoryMB: 512 }]);
    expect(facts.containerInsights).toBe(false);
    expect(idleModel(facts).map((l) => l.item)).toEqual(expect.arrayContaining(['CloudWatch alarms', 'SQS polls of the Lambda event sources', 'ECR image storage']));
  });
});

describe('docs quote the one model', () => {
  const figures = () => {
    const doc = read('docs/cost.md');
    const idle = /\| idle, per stage \| \*\*(\$[\d.]+\/month)\*\*/.exec(doc)?.[1];
    const hour = /\| one interview-hour[^|]*\| \*\*(\$[\d.]+)\*\*/.exec(doc)?.[1];
    const warm = /\| warm mode[^|]*\| \*\*\+(\$[\d]+\/month)\*\*/.exec(doc)?.[1];
    return { idle, hour, warm };
  };

  it('docs/cost.md is the output of bench/cost.ts for this stack (regenerate: npx tsx bench/cost.ts)', () => {
    const s = summarize(facts);
    const doc = figures();
    // A small tolerance so that one more alarm elsewhere does not fail everyone's tests before the regen.
    expect(Math.abs(Number(doc.idle?.slice(1, -6)) - (s.idleMonthly - s.dashboardsMonthly))).toBeLessThanOrEqual(0.3);
    expect(Math.abs(Number(doc.hour?.slice(1)) - s.interviewHour)).toBeLessThanOrEqual(0.005);
    expect(doc.warm).toBe(formatUsd.warm(s.warmMonthly));
  });

  it('README, docs/infra.md and docs/execution.md quote the figures of docs/cost.md', () => {
    const { idle, hour, warm } = figures();
    expect([idle, hour, warm].every(Boolean)).toBe(true);
    for (const file of ['README.md', 'docs/infra.md', 'docs/execution.md']) {
      const text = read(file);
      expect(text, `${file} quotes the idle cost`).toContain(idle!);
      expect(text, `${file} quotes the interview-hour`).toContain(hour!);
      expect(text, `${file} links docs/cost.md`).toMatch(/cost\.md/);
    }
    expect(read('docs/execution.md')).toContain(warm!);
    // The false claims the model replaced.
    for (const file of ['README.md', 'docs/infra.md', 'docs/execution.md']) expect(read(file), file).not.toMatch(/costs nothing while idle|Idle stage: \*\*\$0\*\*|cents per month\)/);
  });

  it('bench/pipeline.ts takes its prices from bench/cost.ts', () => {
    const bench = read('bench/pipeline.ts');
    expect(bench).toMatch(/from '\.\/cost\.js'/);
    expect(bench).not.toMatch(/0\.03238|0\.0000133334|0\.625 \/ 1e6/);
  });
});
