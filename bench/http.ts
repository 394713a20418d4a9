/**
 * HTTP API figures against a local stack of its own:  npx tsx bench/http.ts
 *  1. DynamoDB calls per HTTP operation, counted with SDK middleware (shared/aws/clients.ts observeCommands):
 *     the handlers run in this process, so every command they send is seen.
 *  2. p50/p99 latency of GET /code and PUT /code over real HTTP (budget: GET /code p50 ≤ 15 ms).
 * Budgets (issue 2): GET /code ≤ 2 DynamoDB calls, PUT /code ≤ 3 in the common case.
 */
import './quiet.js';
import { observeCommands } from '#aws/clients.js';
import { startLocalStack } from '../local/stack.js';
import { percentile, round, table } from './stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);

export async function main(): Promise<void> {
  const stack = await startLocalStack({ port: 0, ddbPort: 0, quiet: true, pipeline: false });
  try {
    const url = stack.httpUrl;
    const req = async (method: string, path: string, token?: string, body?: unknown) => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const operator = stack.operatorKey.key;
    const s = (await req('POST', '/api/sessions', operator, { title: 'bench' })).body;
    const base = `/api/sessions/${s.sessionId}`;
    const tok = s.interviewerToken as string;

    // 1. calls per operation (after one warm-up call each)
    const ops: [string, () => Promise<unknown>][] = [
      ['POST /api/sessions', () => req('POST', '/api/sessions', operator, {})],
      ['GET /api/sessions', () => req('GET', '/api/sessions', operator)],
      ['GET /api/sessions/{id}', () => req('GET', base, tok)],
      ['PATCH /api/sessions/{id} (title)', () => req('PATCH', base, tok, { title: 'x' })],
      ['GET /code', () => req('GET', `${base}/code`, tok)],
      ['PUT /code', () => req('PUT', `${base}/code`, tok, { code: `print(${Math.random()})\n` })],
      ['PUT /code (baseVersion)', async () => req('PUT', `${base}/code`, tok, { code: `v(${Math.random()})`, baseVersion: (await req('GET', `${base}/code`, tok)).body.version })],
      ['POST /snapshots', () => req('POST', `${base}/snapshots`, tok, {})],
      ['GET /snapshots', () => req('GET', `${base}/snapshots`, tok)],
      ['GET /participants', () => req('GET', `${base}/participants`, tok)],
      ['GET /history', () => req('GET', `${base}/history`, tok)],
    ];
    const rows: Record<string, string | number>[] = [];
    for (const [name, op] of ops) {
      await op();
      const seen: string[] = [];
      const stop = observeCommands((service, command) => {
        if (service === 'dynamodb') seen.push(command.replace(/Command$/, ''));
      });
      if (name === 'PUT /code (baseVersion)') {
        // count only the PUT, not the GET that fetched the version
        const v = (await req('GET', `${base}/code`, tok)).body.version;
        seen.length = 0;
        await req('PUT', `${base}/code`, tok, { code: `v(${Math.random()})`, baseVersion: v });
      } else await op();
      stop();
      rows.push({ operation: name, 'DynamoDB calls': seen.length, commands: seen.join(' + ') });
    }
    console.log('DynamoDB calls per HTTP operation (steady state)');
    console.log(table(rows));

    // 2. latency
    const lat: Record<string, number[]> = { 'GET /code': [], 'PUT /code': [] };
    for (let i = 0; i < ROUNDS; i++) {
      let t = performance.now();
      await req('GET', `${base}/code`, tok);
      lat['GET /code']!.push(performance.now() - t);
      t = performance.now();
      await req('PUT', `${base}/code`, tok, { code: `# round ${i}\nprint(${i})\n` });
      lat['PUT /code']!.push(performance.now() - t);
    }
    console.log(`\nLatency over real HTTP, local stack, ${ROUNDS} sequential rounds (ms)`);
    console.log(
      table(Object.entries(lat).map(([op, xs]) => ({ operation: op, p50: round(percentile(xs, 50)), p99: round(percentile(xs, 99)), max: round(Math.max(...xs)) }))),
    );
  } finally {
    await stack.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
