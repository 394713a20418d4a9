/** The local stack serves the web app next to the API (docs/protocol.md §7): files, the SPA routes and config.json. */
import { describe, expect, it } from 'vitest';
import { httpUrl, wsUrl } from './support.js';

const get = async (path: string) => {
  const res = await fetch(`${httpUrl()}${path}`);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
};

describe('the web app on the local stack', () => {
  it('serves index.html for /, the room and the replay routes, and the bundle it names', async () => {
    for (const path of ['/', '/s/6f1c2a34-0000-4000-8000-000000000000', '/s/6f1c2a34-0000-4000-8000-000000000000/replay']) {
      const page = await get(path);
      expect(page.status, path).toBe(200);
      expect(page.type).toContain('text/html');
      expect(page.body).toContain('<script type="module" src="/app.js">');
    }
    const script = await get('/app.js');
    expect(script.status).toBe(200);
    expect(script.type).toContain('text/javascript');
    expect((await get('/app.css')).status).toBe(200);
  });

  it('tells the app where the API is: this same origin', async () => {
    const config = await get('/config.json');
    expect(JSON.parse(config.body)).toEqual({ httpUrl: httpUrl(), wsUrl: wsUrl() });
  });

  it('leaves the API and unknown paths to the API front, and never serves files outside the bundle', async () => {
    expect(JSON.parse((await get('/api/health')).body).status).toBe('ok');
    for (const path of ['/nope', '/%2e%2e/package.json', '/chunks/../../package.json']) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(res.body, path).not.toContain('"dependencies"');
    }
  });
});
