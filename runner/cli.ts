/**
 * Runs one job from the command line: `node /opt/runner/runner-cli.mjs < job.json` (in the image) or
 * `npx tsx runner/cli.ts < job.json`. Prints live output to stderr as NDJSON and the RunResult as
 * JSON on stdout: the image's smoke test (its entrypoint is the SQS worker, runner/main.ts).
 */
import { readFileSync } from 'node:fs';
import { isLanguageId } from '#contract/languages.js';
import type { RunJob } from '#contract/execution-types.js';
import { SlotPool } from './slot-pool.js';

const raw = JSON.parse(readFileSync(0, 'utf8')) as Partial<RunJob>;
if (!isLanguageId(raw.language) || typeof raw.code !== 'string') {
  console.error('usage: runner < {"language":"python","code":"print(1)","stdin":""}');
  process.exit(2);
}
const job: RunJob = { executionId: raw.executionId ?? 'cli', language: raw.language, code: raw.code, stdin: raw.stdin ?? '' };
const runner = new SlotPool({ slots: 1 });
const result = await runner.run(job, {
  onOutput: (stream, chunk) => process.stderr.write(`${JSON.stringify({ stream, chunk })}\n`),
});
await runner.close();
console.log(JSON.stringify(result, null, 2));
