/** The pure rules of a test run's verdicts (runner/test-results.ts): status, comparison, stored size. */
import { describe, expect, it } from 'vitest';
import { marshall } from '@aws-sdk/util-dynamodb';
import { QUESTION_LIMITS, type TestCase } from '#contract/questions.js';
import { LIMITS } from '#contract/limits.js';
import {
  clip,
  fieldShare,
  overallStatus,
  summarize,
  TEST_DETAIL_BUDGET_BYTES,
  TEST_FIELD_MAX_BYTES,
  TRUNCATION_MARK,
  testResult,
  testStatus,
} from '../../runner/test-results.js';

const ok = (stdout: string, truncated = false) => ({ status: 'COMPLETED' as const, stdout, truncated: { stdout: truncated, stderr: false } });

describe('testStatus', () => {
  it('passes equal output modulo trailing whitespace per line and trailing blank lines', () => {
    expect(testStatus(ok('1 2 \t\n3\r\n\n\n'), '1 2\n3')).toBe('PASSED');
    expect(testStatus(ok('1 2\n3'), '1 2   \n3\n\n')).toBe('PASSED');
    expect(testStatus(ok(''), '\n\n')).toBe('PASSED');
  });

  // The output is the candidate's program's: `/\s+$/` took 1.8 s on 32 KB of spaces and an "x", and
  // about 100 s on these 256 KB; linear normalisation takes milliseconds, far inside the test's timeout.
  it('compares hostile output (a long run of whitespace before one character) in linear time', () => {
    const spaces = ' \t'.repeat(128 * 1024);
    expect(testStatus(ok(`${spaces}x`), 'x')).toBe('FAILED'); // leading whitespace counts
    expect(testStatus(ok(`x${spaces}\n${'\n'.repeat(256 * 1024)}`), 'x')).toBe('PASSED');
    expect(testStatus(ok(`${'\n'.repeat(256 * 1024)}x`), 'x')).toBe('FAILED');
    expect(testStatus(ok(`x\n${spaces}y`), `x\n${spaces}y  `)).toBe('PASSED');
  }, 5_000);

  it('fails on leading whitespace, inner blank lines and other text', () => {
    expect(testStatus(ok(' 1\n'), '1\n')).toBe('FAILED');
    expect(testStatus(ok('1\n\n2\n'), '1\n2\n')).toBe('FAILED');
    expect(testStatus(ok('12\n'), '1\n')).toBe('FAILED');
  });

  it('fails an output cut at the capture size, even when the kept part matches', () => {
    expect(testStatus(ok('x', true), 'x')).toBe('FAILED');
  });

  it('maps the run statuses', () => {
    const run = (status: 'FAILED' | 'TIMEOUT' | 'MEMORY_LIMIT' | 'OUTPUT_LIMIT') => ({ status, stdout: '6\n', truncated: { stdout: false, stderr: false } });
    // A crash is a RUNTIME_ERROR even when what it printed before was right.
    expect(testStatus(run('FAILED'), '6\n')).toBe('RUNTIME_ERROR');
    expect(testStatus(run('TIMEOUT'), '6\n')).toBe('TIMEOUT');
    expect(testStatus(run('MEMORY_LIMIT'), '6\n')).toBe('MEMORY_LIMIT');
    expect(testStatus(run('OUTPUT_LIMIT'), '6\n')).toBe('OUTPUT_LIMIT');
    expect(() => testStatus({ ...run('FAILED'), status: 'SYSTEM_ERROR' }, '')).toThrow();
  });
});

describe('overall status and summary', () => {
  const r = (status: 'PASSED' | 'FAILED') => ({ name: status, hidden: false, status, durationMs: 1 });
  it('is COMPLETED only when every test passed', () => {
    expect(overallStatus([r('PASSED'), r('PASSED')], false, false)).toBe('COMPLETED');
    expect(overallStatus([r('PASSED'), r('FAILED')], false, false)).toBe('FAILED');
    expect(overallStatus([], true, false)).toBe('COMPILE_ERROR');
    expect(overallStatus([r('PASSED')], false, true)).toBe('SYSTEM_ERROR');
    expect(summarize([r('PASSED'), r('FAILED'), r('PASSED')])).toEqual({ passed: 2, total: 3 });
  });
});

describe('what the stored execution keeps', () => {
  it('clips by UTF-8 bytes without splitting a character, and says so', () => {
    expect(clip('short', 100)).toBe('short');
    const clipped = clip('é'.repeat(100), 51);
    expect(Buffer.byteLength(clipped)).toBeLessThanOrEqual(51);
    expect(clipped.endsWith(TRUNCATION_MARK)).toBe(true);
    expect(clipped).not.toContain('\uFFFD');
  });

  it('shares the detail budget evenly, at most 8 KiB a field', () => {
    expect(fieldShare(2)).toBe(TEST_FIELD_MAX_BYTES);
    expect(fieldShare(50)).toBe(Math.floor(TEST_DETAIL_BUDGET_BYTES / 150));
    expect(3 * 50 * fieldShare(50)).toBeLessThanOrEqual(TEST_DETAIL_BUDGET_BYTES);
  });

  it('keeps the largest possible execution item under DynamoDB’s 400 KB', () => {
    // Worst case: the largest code and stdin, a full compile output and 50 tests with the longest
    // names (4-byte characters), 64 KiB of expected output each and 32 KiB of stdout and stderr each.
    const n = QUESTION_LIMITS.maxTests;
    const big = (bytes: number) => '𝄞'.repeat(bytes / 4);
    const tests = Array.from({ length: n }, (_, i) => {
      // A 100-character name is largest in 3-byte characters (one UTF-16 unit each).
      const test: TestCase = { name: '€'.repeat(QUESTION_LIMITS.testNameMaxLength - 3) + String(i).padStart(3, '0'), stdin: '', expectedStdout: big(QUESTION_LIMITS.testExpectedMaxBytes), hidden: i % 2 === 0 };
      return testResult(test, 'FAILED', 10_000, n, { stdout: big(LIMITS.outputMaxBytesPerStream), stderr: big(LIMITS.outputMaxBytesPerStream) });
    });
    const item = {
      PK: `S#${'0'.repeat(36)}`, SK: `X#${'0'.repeat(26)}`, executionId: '0'.repeat(26), sessionId: '0'.repeat(36), status: 'FAILED',
      language: 'typescript', userId: 'u'.repeat(64), code: 'c'.repeat(LIMITS.codeMaxBytes), stdin: 's'.repeat(LIMITS.stdinMaxBytes),
      stdout: '', stderr: '', compileOutput: 'o'.repeat(LIMITS.outputMaxBytesPerStream), exitCode: null, signal: null, durationMs: 1e6,
      cpuTimeMs: 1e6, memoryKb: 1e6, truncated: { stdout: false, stderr: false }, createdAt: new Date().toISOString(),
      startedAt: new Date().toISOString(), finishedAt: new Date().toISOString(), attempts: 3, claimedBy: 'w'.repeat(64), ttl: 2e9,
      idempotencyKey: 'k'.repeat(128), mode: 'tests', questionRevision: 1e6, tests, summary: { passed: 0, total: n },
    };
    // DynamoDB's item size: attribute names plus values, strings in UTF-8; JSON of the marshalled item overstates it.
    const size = Buffer.byteLength(JSON.stringify(marshall(item, { removeUndefinedValues: true })));
    expect(size).toBeLessThan(400 * 1000);
  });
});
