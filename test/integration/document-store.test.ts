/**
 * The document store against the real DynamoDB Local: concurrent Yjs writers racing each other and the
 * compactions they trigger lose nothing, and readers never see an acknowledged update disappear.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { dynamo } from '../../shared/clients.js';
import { config } from '../../shared/config.js';
import { getCode, mergeUpdate } from '../../shared/domain/code.js';
import { LIMITS } from '../../shared/limits.js';
import { getSession } from '../../shared/store/sessions.js';
import { keys } from '../../shared/table.js';
import { createSession } from './http.js';

describe('document store under concurrency', () => {
  it('compaction racing with writers loses nothing', async () => {
    const s = await createSession();
    const session = (await getSession(s.sessionId))!;
    const writers = 8;
    const perWriter = 20; // 160 appends: the log crosses the compaction threshold three times
    expect(writers * perWriter).toBeGreaterThan(LIMITS.document.compactAfterUpdates * 3);

    const acknowledged = new Set<string>();
    let stop = false;
    const violations: string[] = [];
    // A reader that keeps checking every acknowledged token is still in the text.
    const reader = (async () => {
      while (!stop) {
        const seen = new Set(acknowledged);
        const { code } = await getCode(s.sessionId);
        for (const token of seen) if (!code.includes(token)) violations.push(token);
      }
    })();

    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        const doc = new Y.Doc(); // each writer is an independent Yjs client
        for (let i = 0; i < perWriter; i++) {
          const token = `<w${w}-${i}>`;
          let update: Uint8Array | undefined;
          doc.once('update', (u: Uint8Array) => (update = u));
          doc.getText('code').insert(0, token);
          await mergeUpdate(session, update!, `writer-${w}`);
          acknowledged.add(token);
        }
      }),
    );
    stop = true;
    await reader;

    const { code, version } = await getCode(s.sessionId);
    for (let w = 0; w < writers; w++) for (let i = 0; i < perWriter; i++) expect(code).toContain(`<w${w}-${i}>`);
    expect(version).toBe(1 + writers * perWriter);
    expect(violations).toEqual([]);

    // Compaction really happened: a state item past version 1 and a short log.
    const items = await dynamo().send(
      new QueryCommand({
        TableName: config().tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :d)',
        ExpressionAttributeValues: { ':pk': keys.sessionPk(s.sessionId), ':d': keys.docPrefix },
        ConsistentRead: true,
      }),
    );
    const state = items.Items!.find((i) => i.SK === 'DOC')!;
    expect(state.version).toBeGreaterThan(LIMITS.document.compactAfterUpdates);
    expect(items.Items!.length).toBeLessThan(LIMITS.document.compactAfterUpdates + writers + 2);
  });
});
