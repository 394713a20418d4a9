/**
 * Where emit()'s Powertools line goes: stdout in Lambda (Powertools' own Console), the local stack's
 * INTERVIEW_METRICS_FILE otherwise, the same EMF document either way; and its `service` dimension is
 * the product's, not the function's POWERTOOLS_SERVICE_NAME (which labels logs).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { logger } from '#telemetry/log.js';
import { emit, METRICS_FILE_ENV } from '#telemetry/metrics.js';
import { captureMetrics, emitted } from '../metrics/capture.js';

const strip = (doc: Record<string, any>) => ({ ...doc, _aws: { ...doc._aws, Timestamp: 0 } });

describe('metric sink', () => {
  captureMetrics();
  const serviceName = process.env.POWERTOOLS_SERVICE_NAME;
  afterEach(() => {
    delete process.env[METRICS_FILE_ENV];
    if (serviceName === undefined) delete process.env.POWERTOOLS_SERVICE_NAME;
    else process.env.POWERTOOLS_SERVICE_NAME = serviceName;
  });

  it('writes the same EMF document to stdout, or to the local metrics file and not stdout', () => {
    process.env.POWERTOOLS_SERVICE_NAME = 'interview-ws-message'; // as the stack sets it, before the first emit
    emit('RunsQueued', 1, { Language: 'python', Runner: 'cold' });
    const [stdoutLine] = emitted();
    expect(stdoutLine?.sets).toEqual([
      { service: 'interview-backend' },
      { service: 'interview-backend', Language: 'python', Runner: 'cold' },
    ]);

    const file = join(mkdtempSync(join(tmpdir(), 'metrics-sink-')), 'metrics.log');
    process.env[METRICS_FILE_ENV] = file;
    emit('RunsQueued', 1, { Language: 'python', Runner: 'cold' });
    expect(emitted()).toHaveLength(1); // nothing more on stdout
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(strip(JSON.parse(lines[0]!))).toEqual(strip(JSON.parse(stdoutLine!.raw)));
  });

  it('flushes each event on its own line: no dimension or value of one event leaks into the next', () => {
    emit('Errors', 1, { Api: 'websocket', Code: 'BUSY' });
    emit('SessionsCreated', 1, {});
    const [first, second] = emitted();
    expect(first!.sets).toEqual([{ service: 'interview-backend', Api: 'websocket', Code: 'BUSY' }]);
    expect(second!.sets).toEqual([{ service: 'interview-backend' }]);
    expect(JSON.parse(second!.raw)).not.toHaveProperty('Errors');
    expect(JSON.parse(second!.raw)).not.toHaveProperty('Code');
  });

  it('a metric in nested dimension sets (Status, Status+Language) logs no warning (Powertools warned once per finished run)', () => {
    const logged: string[] = [];
    const spy = vi.spyOn(logger, 'warn').mockImplementation(((message: string) => void logged.push(message)) as typeof logger.warn);
    try {
      emit('RunsFinished', 1, { Status: 'FAILED', Language: 'python' });
      const [line] = emitted();
      expect(line!.sets).toEqual([
        { service: 'interview-backend' },
        { service: 'interview-backend', Status: 'FAILED' },
        { service: 'interview-backend', Status: 'FAILED', Language: 'python' },
      ]);
      expect(logged).toEqual([]);
    } finally {
      spy.mockRestore();
    }
  });
});
