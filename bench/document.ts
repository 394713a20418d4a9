/**
 * The shared document under contention, against a local stack of its own:  npx tsx bench/document.ts
 *  a. W = 1, 3, 8, 32 Yjs writers in ONE session, each inserting 8 edits/s for BENCH_DOC_SECONDS (6 s):
 *     DynamoDB calls per edit (counted with observeCommands: the handlers run in this process), edits
 *     stored per version (group commit), BUSY answers, log items and state items after the run;
 *  b. the most edits/s one session sustains with no BUSY and every edit relayed: 4 writers, rate doubled
 *     until an error appears or fewer than 99 % of the edits reach the other clients.
 * Prints figures only. Clients, handlers and fronts share this process, DynamoDB Local the machine.
 */
import './quiet.js';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as Y from 'yjs';
import { startLocalStack, type LocalStack } from '../local/stack.js';
import { dynamo, observeCommands } from '#aws/clients.js';
import { config } from '#aws/config.js';
import { keys } from '#aws/table.js';
import { b64, createSession, sleep, socketUrl, WsClient, type SessionAccess } from '../test/integration/clients.js';
import { round, table } from './stats.js';

const SECONDS = Number(process.env.BENCH_DOC_SECONDS ?? 6);

interface Writer {
  ws: WsClient;
  doc: Y.Doc;
  relayed: number;
  errors: Record<string, number>;
}

async function openWriters(stack: LocalStack, count: number): Promise<{ access: SessionAccess; writers: Writer[] }> {
  const s = await createSession(stack.httpUrl, { title: `contention x${count}` });
  const access = { httpUrl: stack.httpUrl, wsUrl: stack.wsUrl, sessionId: s.sessionId, token: s.interviewerToken };
  const writers = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const ws = await WsClient.connect(socketUrl(access));
      ws.send({ action: 'join-session', format: 'yjs', username: `w${i}` });
      const joined = await ws.take('session-joined');
      const doc = new Y.Doc();
      Y.applyUpdate(doc, Buffer.from(joined.yjsState, 'base64'));
      const w: Writer = { ws, doc, relayed: 0, errors: {} };
      ws.onMessage((m) => {
        if (m.type === 'yjs-update') w.relayed++;
        if (m.type === 'error') w.errors[m.code] = (w.errors[m.code] ?? 0) + 1;
      });
      return w;
    }),
  );
  return { access, writers };
}

function edit(w: Writer, marker: string): void {
  let update: Uint8Array | undefined;
  w.doc.once('update', (u: Uint8Array) => (update = u));
  w.doc.getText('code').insert(0, marker);
  w.ws.send({ action: 'yjs-update', update: b64(update!) });
}

async function docItems(sessionId: string): Promise<{ log: number; states: number }> {
  const out = await dynamo().send(
    new QueryCommand({
      TableName: config().tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :d)',
      ExpressionAttributeValues: { ':pk': keys.sessionPk(sessionId), ':d': keys.docPrefix },
      ProjectionExpression: 'SK',
    }),
  );
  const sks = (out.Items ?? []).map((i) => String(i.SK));
  return { log: sks.filter((k) => k.endsWith('#U')).length, states: new Set(sks.filter((k) => k.includes('#S')).map((k) => k.slice(0, 17))).size };
}

/** W writers at `rate` edits/s each; returns what the server did with them. */
async function run(stack: LocalStack, count: number, rate: number): Promise<Record<string, string | number>> {
  const { access, writers } = await openWriters(stack, count);
  const calls: Record<string, number> = {};
  const stop = observeCommands((service, command) => {
    if (service === 'dynamodb') calls[command] = (calls[command] ?? 0) + 1;
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let sent = 0;
  await Promise.all(
    writers.map(async (w, i) => {
      await sleep(Math.random() * (1000 / rate));
      for (let n = 0; performance.now() - t0 < SECONDS * 1000; n++) {
        edit(w, `w${i}n${n};`);
        sent++;
        await sleep(1000 / rate);
      }
    }),
  );
  // Wait for the relays to settle (every other writer receives every edit).
  const expected = sent * (count - 1);
  const settleBy = performance.now() + 30_000;
  while (writers.reduce((n, w) => n + w.relayed, 0) < expected && performance.now() < settleBy) await sleep(100);
  await sleep(300);
  stop();
  const cpu = process.cpuUsage(cpu0);
  const relayed = writers.reduce((n, w) => n + w.relayed, 0);
  const errors: Record<string, number> = {};
  for (const w of writers) for (const [k, v] of Object.entries(w.errors)) errors[k] = (errors[k] ?? 0) + v;
  const versions = (await (await fetch(`${stack.httpUrl}/api/sessions/${access.sessionId}/code`, { headers: { authorization: `Bearer ${access.token}` } })).json()) as { version: number };
  const items = await docItems(access.sessionId);
  await Promise.all(writers.map((w) => w.ws.close()));
  const ddb = Object.values(calls).reduce((a, b) => a + b, 0);
  return {
    writers: count,
    'edits/s': round((sent / SECONDS), 1),
    edits: sent,
    'ddb calls/edit': round(ddb / sent, 2),
    'transactions/edit': round(Object.entries(calls).filter(([k]) => k.startsWith('TransactWrite')).reduce((n, [, v]) => n + v, 0) / sent, 2),
    'edits/version': round(sent / Math.max(1, versions.version - 1), 2),
    BUSY: errors.BUSY ?? 0,
    'other errors': Object.entries(errors).filter(([k]) => k !== 'BUSY').map(([k, v]) => `${k}:${v}`).join(' ') || 0,
    relayed: count > 1 ? `${round((100 * relayed) / expected)}%` : 'n/a',
    'log items': items.log,
    states: items.states,
    'node CPU ms/edit': round((cpu.user + cpu.system) / 1000 / sent, 2),
  };
}

export async function main(): Promise<void> {
  const stack = await startLocalStack({ port: 0, ddbPort: 0, quiet: true, pipeline: false });
  try {
    console.log(`(a) W Yjs writers in one session, 8 edits/s each, ${SECONDS} s`);
    const rows = [];
    for (const w of (process.env.BENCH_DOC_WRITERS ?? '1,3,8,32').split(',').map(Number)) rows.push(await run(stack, w, 8));
    console.log(table(rows));
    if (process.env.BENCH_DOC_RAMP === '0') return;
    console.log('\n(b) One session, 4 writers: edits/s sustained with no error and every edit relayed');
    const ramp = [];
    for (let rate = 5; rate <= 40; rate *= 2) {
      const row = await run(stack, 4, rate);
      ramp.push(row);
      if (row.BUSY !== 0 || row['other errors'] !== 0 || row.relayed !== '100%') break;
    }
    console.log(table(ramp));
  } finally {
    await stack.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
