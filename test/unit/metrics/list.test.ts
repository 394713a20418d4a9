/** The one list (shared/telemetry/metrics.ts): closed dimension values, EMF shape, and the local summary of it. */
import { INTERVIEWER_TOKEN, SESSION_ID } from '../fixtures.js';
import { describe, expect, it } from 'vitest';
import { summarise } from '../../../local/metrics.js';
import { DIMENSION_VALUES, emit, METRIC_NAMES, METRICS, parseEmfLine } from '#telemetry/metrics.js';
import { captureMetrics, emitted, expectNoneCarries } from './capture.js';

describe('the metric list', () => {
  captureMetrics();

  it('declares only dimensions with a closed value list (no id can be a dimension)', () => {
    for (const name of METRIC_NAMES) {
      for (const set of METRICS[name].dimensionSets) for (const d of set) expect(Object.keys(DIMENSION_VALUES)).toContain(d);
    }
  });

  it('turns any value outside the closed list into `other`: an id or token passed by mistake never leaves', () => {
    emit('Errors', 1, { Api: 'http', Code: SESSION_ID });
    emit('Messages', 1, { Action: INTERVIEWER_TOKEN });
    expect(emitted().map((m) => m.sets.at(-1))).toEqual([
      { service: 'interview-backend', Api: 'http', Code: 'other' },
      { service: 'interview-backend', Action: 'other' },
    ]);
    expectNoneCarries(SESSION_ID, INTERVIEWER_TOKEN);
  });

  it('parses back what it emits, and the local summary adds counts, keeps latest gauges and percentiles of durations', () => {
    emit('RunsFinished', 1, { Status: 'COMPLETED', Language: 'go' });
    emit('RunsFinished', 1, { Status: 'FAILED', Language: 'go' });
    emit('ConnectedUsers', 4, {});
    emit('ConnectedUsers', 3, {});
    for (const ms of [10, 20, 30, 40]) emit('RunDuration', ms, { Language: 'go' });
    const points = emitted().flatMap((m) => parseEmfLine(m.raw)!);
    const s = summarise(points);
    expect(s.RunsFinished).toEqual({ total: 2, by: { 'Status=COMPLETED,Language=go': 1, 'Status=FAILED,Language=go': 1 } });
    expect(s.ConnectedUsers?.total).toBe(3);
    expect(s.RunDuration).toMatchObject({ total: 4, p50: 20, p99: 40, max: 40 });
    expect(parseEmfLine('{"level":"INFO","message":"request"}')).toBeUndefined();
  });
});
