import { call, commandNames, useMockedDynamo } from '../fixtures.js';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../functions/http/meta.js';
import { APP_VERSION } from '#aws/config.js';
import { LIMITS } from '#contract/limits.js';

describe('GET /api/health', () => {
  useMockedDynamo();

  it('answers 200 {status:"ok", timestamp, version} without touching the table', async () => {
    const before = Date.now();
    const res = await call(handler, { routeKey: 'GET /api/health' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', timestamp: expect.any(String), version: APP_VERSION });
    expect(Date.parse(res.body.timestamp)).toBeGreaterThanOrEqual(before - 1000);
    expect(res.body.timestamp).toBe(new Date(res.body.timestamp).toISOString());
    expect(commandNames()).toEqual([]);
  });

  it('answers an unknown route with 404 NOT_FOUND', async () => {
    const res = await call(handler, { routeKey: 'GET /api/nope' });
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('NOT_FOUND');
  });
});

describe('GET /api/languages', () => {
  it('lists all 8 languages with id, name, version, compiled and limits', async () => {
    const res = await call(handler, { routeKey: 'GET /api/languages' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const languages = res.body.languages as { id: string; name: string; version: string; compiled: boolean; limits: Record<string, number> }[];
    expect(languages.map((l) => l.id).sort()).toEqual(['c', 'cpp', 'go', 'java', 'javascript', 'python', 'rust', 'typescript']);
    for (const l of languages) {
      expect(l).toEqual({ id: expect.any(String), name: expect.any(String), version: expect.any(String), compiled: expect.any(Boolean), limits: expect.any(Object) });
      expect(l.name.length).toBeGreaterThan(0);
      expect(l.limits).toMatchObject({ wallMs: LIMITS.run.wallMs, cpuMs: LIMITS.run.cpuMs, memoryBytes: LIMITS.run.memoryBytes, codeBytes: 100 * 1024 });
    }
  });

  it('marks compiled languages and gives them compile limits; interpreted ones have none', async () => {
    const res = await call(handler, { routeKey: 'GET /api/languages' });
    const byId = Object.fromEntries((res.body.languages as { id: string; compiled: boolean; limits: Record<string, number> }[]).map((l) => [l.id, l]));
    for (const id of ['java', 'cpp', 'c', 'go', 'rust', 'typescript']) {
      expect(byId[id]!.compiled).toBe(true);
      expect(byId[id]!.limits.compileWallMs).toBe(LIMITS.run.compileWallMs);
    }
    for (const id of ['python', 'javascript']) {
      expect(byId[id]!.compiled).toBe(false);
      expect(byId[id]!.limits).not.toHaveProperty('compileWallMs');
    }
  });
});
