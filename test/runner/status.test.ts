/** The verdict rules of runner/status.ts and the output cap of runner/sandbox/output.ts, without processes. */
import { describe, expect, it, vi } from 'vitest';
import { CappedOutput } from '../../runner/sandbox/output.js';
import type { StepReport } from '../../runner/sandbox/step.js';
import { compileVerdict, runVerdict } from '../../runner/status.js';

const limits = { wallMs: 10_000, cpuMs: 5_000, memoryBytes: 256 << 20, fileSizeBytes: 16 << 20, diskBytes: 16 << 20 };
const out = () => new CappedOutput(10, 100);
function report(over: Partial<StepReport>): StepReport {
  return {
    exitCode: 0, signal: null, reason: 'exit', cpuMs: 1, peakRssKb: 1, wallMs: 1, diskBytes: 0, maxFileBytes: 0,
    leftProcesses: 0, leftFiles: 0, stdout: out(), stderr: out(), flooded: false, ...over,
  };
}

describe('runVerdict', () => {
  it.each([
    [{}, 'COMPLETED'],
    [{ exitCode: 1 }, 'FAILED'],
    [{ exitCode: null, signal: 'SIGSEGV' }, 'FAILED'],
    [{ reason: 'memory' as const, signal: 'SIGKILL' }, 'MEMORY_LIMIT'],
    [{ reason: 'wall' as const }, 'TIMEOUT'],
    [{ reason: 'cpu' as const }, 'TIMEOUT'],
    [{ exitCode: null, signal: 'SIGXCPU' }, 'TIMEOUT'],
    [{ reason: 'disk' as const }, 'OUTPUT_LIMIT'],
    [{ exitCode: null, signal: 'SIGXFSZ' }, 'OUTPUT_LIMIT'],
    // Python ignores SIGXFSZ and fails with EFBIG: the file at the limit gives it away.
    [{ exitCode: 1, maxFileBytes: 16 << 20 }, 'OUTPUT_LIMIT'],
    [{ flooded: true, reason: 'killed' as const }, 'OUTPUT_LIMIT'],
    [{ reason: 'killed' as const }, 'SYSTEM_ERROR'],
    [{ error: 'exec: No such file or directory' }, 'SYSTEM_ERROR'],
  ])('%o -> %s', (over, status) => {
    expect(runVerdict(report(over), limits).status).toBe(status);
  });
});

describe('runtime memory failures (docs/protocol.md §6)', () => {
  const failedWith = (text: string, exitCode: number | null = 1) => {
    const stderr = new CappedOutput(32 * 1024, 1 << 20);
    stderr.push(Buffer.from(text));
    return report({ exitCode, signal: exitCode === null ? 'SIGABRT' : null, stderr });
  };
  it.each([
    ['java', 'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space\n'],
    ['python', 'Traceback (most recent call last):\n  File "main.py", line 1\nMemoryError\n'],
    ['go', 'fatal error: runtime: out of memory\n\ngoroutine 1 [running]:\n' + 'frame\n'.repeat(2000)],
    ['rust', 'memory allocation of 3221225472 bytes failed\n'],
    ['cpp', "terminate called after throwing an instance of 'std::bad_alloc'\n"],
  ] as const)('%s: its out-of-memory failure is MEMORY_LIMIT', (language, text) => {
    const exit = language === 'rust' || language === 'cpp' ? null : language === 'go' ? 2 : 1;
    expect(runVerdict(failedWith(text, exit), limits, language).status).toBe('MEMORY_LIMIT');
  });
  it('keeps a program that merely prints the words, or exits 0, as it was', () => {
    expect(runVerdict(failedWith('MemoryError\n', 0), limits, 'python').status).toBe('COMPLETED');
    expect(runVerdict(failedWith('some other error\n'), limits, 'python').status).toBe('FAILED');
    expect(runVerdict(failedWith('MemoryError\n'), limits, 'javascript').status).toBe('FAILED');
  });
});

describe('compileVerdict', () => {
  it('passes a successful compile and turns failures and limits into COMPILE_ERROR with a reason', () => {
    expect(compileVerdict(report({}), limits)).toBeUndefined();
    expect(compileVerdict(report({ exitCode: 1 }), limits)).toEqual({ status: 'COMPILE_ERROR' });
    expect(compileVerdict(report({ reason: 'memory' }), limits)).toEqual({
      status: 'COMPILE_ERROR',
      note: 'compilation stopped: memory limit of 256 MiB exceeded',
    });
    expect(compileVerdict(report({ error: 'setuid: EPERM' }), limits)?.status).toBe('SYSTEM_ERROR');
  });
});

describe('CappedOutput', () => {
  it('keeps the first maxBytes, reports truncation and flooding, never splits a character in chunks', () => {
    const chunks: string[] = [];
    const o = new CappedOutput(8, 20, (t) => chunks.push(t));
    const euro = Buffer.from('€'); // 3 bytes
    expect(o.push(Buffer.concat([Buffer.from('ab'), euro.subarray(0, 2)]))).toBe(true);
    expect(o.push(Buffer.concat([euro.subarray(2), Buffer.from('cdefgh')]))).toBe(true);
    expect(chunks).toEqual(['ab', '€cde']);
    expect(o.text()).toBe('ab€cde');
    expect(o.truncated).toBe(true);
    expect(o.push(Buffer.alloc(10))).toBe(false);
  });

  it('keeps the last 4 KiB written, kept or not, whatever the chunk sizes', () => {
    let seed = 11;
    const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
    const o = new CappedOutput(100, 1 << 30);
    const all: Buffer[] = [];
    for (let i = 0; i < 3_000; i++) {
      const size = rnd() < 0.1 ? Math.floor(rnd() * 20_000) : Math.floor(rnd() * 40);
      const chunk = Buffer.from(Array.from({ length: size }, () => 97 + Math.floor(rnd() * 26)));
      all.push(chunk);
      o.push(chunk);
      if (i % 97 === 0) expect(o.tail()).toBe(Buffer.concat(all).subarray(-4096).toString());
    }
    expect(o.tail()).toBe(Buffer.concat(all).subarray(-4096).toString());
    expect(o.text()).toBe(Buffer.concat(all).subarray(0, 100).toString());
  });

  // A program that writes its 1 MiB flood allowance a byte at a time: copying the tail on every chunk
  // took 7 µs a chunk (7 s of the runner's CPU); the tail is now cut back once per 4 KiB or so.
  it('does work per byte, not per chunk times the tail, for a program writing one byte at a time', () => {
    const o = new CappedOutput(32 * 1024, 1 << 20);
    const concat = vi.spyOn(Buffer, 'concat');
    const copy = vi.spyOn(Buffer, 'from');
    try {
      const byte = Buffer.from('x');
      concat.mockClear();
      copy.mockClear();
      let pushed = 0;
      while (o.push(byte)) pushed++;
      expect(pushed).toBe((1 << 20) - 1);
      expect(concat.mock.calls.length).toBeLessThan(pushed / 1_000);
      expect(copy.mock.calls.length).toBeLessThan(pushed / 1_000);
    } finally {
      concat.mockRestore();
      copy.mockRestore();
    }
    expect(o.tail()).toBe('x'.repeat(4096));
  });
});

describe('CappedOutput at the cap', () => {
  it('leaves out a character the cap cuts in two, in the kept text as in the live text', () => {
    const live: string[] = [];
    const o = new CappedOutput(10, 100, (t) => live.push(t));
    o.push(Buffer.from('abcdefgh€€', 'utf8')); // 8 + 3 + 3 bytes: the cap (10) falls inside the first €
    expect(o.truncated).toBe(true);
    expect(o.text()).toBe('abcdefgh');
    expect(live.join('')).toBe('abcdefgh');
    expect(Buffer.byteLength(o.text())).toBeLessThanOrEqual(10);
  });

  it('keeps a character that ends exactly at the cap, and shows bytes that were never UTF-8 as U+FFFD', () => {
    const exact = new CappedOutput(10, 100);
    exact.push(Buffer.from('abcdefg€x', 'utf8')); // the € ends at byte 10
    expect(exact.text()).toBe('abcdefg€');
    const invalid = new CappedOutput(10, 100);
    invalid.push(Buffer.from([0x61, 0xff, 0x62]));
    expect(invalid.text()).toBe('a\uFFFDb');
  });
});
