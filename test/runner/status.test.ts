/** The verdict rules of runner/status.ts and the output cap of runner/sandbox/output.ts, without processes. */
import { describe, expect, it } from 'vitest';
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
});
