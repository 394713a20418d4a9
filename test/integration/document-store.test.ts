/**
 * The document store against the real DynamoDB Local: concurrent Yjs writers racing each other and the
 * compactions they trigger lose nothing, and readers never see an acknowledged update disappear.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as Y from 'yjs';
import { describe, expect, it, vi } from 'vitest';
import { dynamo } from '#aws/clients.js';
import { config } from '#aws/config.js';
import { getCode } from '#core/code.js';
import { forget } from '#core/document-cache.js';
import '#aws/wiring.js';
import { LIMITS } from '#contract/limits.js';
import { getSession } from '#aws/store/sessions.js';
import { keys } from '#aws/table.js';
import { createSession } from './http.js';

describe('document store under concurrency', () => {
  it('a re-sent copy of an update another container stored takes no version (real conditional writes)', async () => {
    const s = await createSession();
    const session = (await getSession(s.sessionId))!;
    const containers: (typeof import('#core/code.js'))[] = [];
    for (let c = 0; c < 2; c++) {
      vi.resetModules();
      await import('#aws/wiring.js');
      containers.push(await import('#core/code.js'));
    }
    const [first, second] = containers as [typeof import('#core/code.js'), typeof import('#core/code.js')];
    const start = (await first.getCode(s.sessionId)).version; // the first container's copy, soon stale
    const doc = new Y.Doc();
    let update: Uint8Array | undefined;
    doc.once('update', (u: Uint8Array) => (update = u));
    doc.getText('code').insert(0, '<once>');
    // The second container stores it; the copy reaches the first one, whose copy does not hold it yet:
    // its append loses to the same author, it catches up, and sees the update is already there.
    expect(await second.mergeUpdate(session, update!, 'same-user')).toMatchObject({ version: start + 1, changed: true });
    expect(await first.mergeUpdate(session, update!, 'same-user')).toEqual({ version: start + 1, changed: false });
    forget(s.sessionId);
    const now = await getCode(s.sessionId);
    expect(now.version).toBe(start + 1);
    expect(now.code.split('<once>')).toHaveLength(2);
  });

  it('compaction racing with writers loses nothing', async () => {
    const s = await createSession();
    const session = (await getSession(s.sessionId))!;
    const writers = 8;
    const perWriter = 20; // 160 appends: the log crosses the compaction threshold three times
    expect(writers * perWriter).toBeGreaterThan(LIMITS.document.compactAfterUpdates * 3);

    const acknowledged = new Set<string>();
    let busy = 0;
    let stop = false;
    const violations: string[] = [];
    // A reader that keeps checking every acknowledged token is still in the text.
    const reader = (async () => {
      while (!stop) {
        const seen = new Set(acknowledged);
        if (Math.random() < 0.5) forget(s.sessionId); // read as a cold container half of the time
        const { code } = await getCode(s.sessionId);
        for (const token of seen) if (!code.includes(token)) violations.push(token);
      }
    })();

    // Four "containers" (module instances: each its own document copy and write queue), two writers
    // each: writers in one container take turns, writers in different ones race in DynamoDB.
    const containers: (typeof import('#core/code.js'))[] = [];
    for (let c = 0; c < 4; c++) {
      vi.resetModules();
      await import('#aws/wiring.js'); // each container wires its own module instances
      containers.push(await import('#core/code.js'));
    }
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        const { mergeUpdate } = containers[w % containers.length]!;
        const doc = new Y.Doc(); // each writer is an independent Yjs client
        for (let i = 0; i < perWriter; i++) {
          const token = `<w${w}-${i}>`;
          let update: Uint8Array | undefined;
          doc.once('update', (u: Uint8Array) => (update = u));
          doc.getText('code').insert(0, token);
          // BUSY means nothing was stored: a client sends the same update again (the contract's retry).
          for (;;) {
            const stored = await mergeUpdate(session, update!, `writer-${w}`).then(() => true, (err: { code?: string }) => {
              if (err.code !== 'BUSY') throw err;
              busy++;
              return false;
            });
            if (stored) break;
          }
          acknowledged.add(token);
        }
      }),
    );
    stop = true;
    await reader;

    const { code, version } = await getCode(s.sessionId);
    for (let w = 0; w < writers; w++) for (let i = 0; i < perWriter; i++) expect(code).toContain(`<w${w}-${i}>`);
    // Versions count appends: a container sends its writers' pending updates together.
    expect(version).toBeLessThanOrEqual(1 + writers * perWriter);
    expect(busy).toBeLessThan(writers * perWriter);
    expect(violations).toEqual([]);

    // Compaction really happened: states past version 1, and every edit still logged.
    const items = await dynamo().send(
      new QueryCommand({
        TableName: config().tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :d)',
        ExpressionAttributeValues: { ':pk': keys.sessionPk(s.sessionId), ':d': keys.docPrefix },
        ConsistentRead: true,
      }),
    );
    const states = new Set(items.Items!.filter((i) => String(i.SK).includes('#S')).map((i) => Number(i.version)));
    expect(Math.max(...states)).toBeGreaterThan(LIMITS.document.compactAfterUpdates);
    // Each container drops the states it knows to be replaced (it keeps its newest two): what other
    // containers wrote stays until the session's TTL. Readers stop at the newest complete state anyway.
    expect(states.size).toBeLessThanOrEqual(2 * containers.length);
    expect(items.Items!.filter((i) => String(i.SK).endsWith('#U'))).toHaveLength(1 + writers * perWriter);
    // A cold reader (another container) reads the newest state and the log after it, not the history.
    forget(s.sessionId);
    expect((await getCode(s.sessionId)).code).toBe(code);
  }, 240_000); // 160 contended appends against DynamoDB Local: ~20 s idle, past 60 s seen at load 16 on 2 cores
});
