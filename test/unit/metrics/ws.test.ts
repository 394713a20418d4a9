/** Metric lines of the WebSocket functions (issue 11): success and each error path, parsed from stdout. */
import { CANDIDATE_TOKEN, connectionItem, givenConnections, givenSender, givenSession, SESSION_ID, transactItems, useMockedDynamo } from '../fixtures.js';
import { describe, expect, it } from 'vitest';
import { withWsLogging } from '../../../functions/ws/ws-event.js';
import { connect, disconnect, newConnectionId, send, sendRaw } from '../ws/events.js';
import { wsMessageEvent } from '../ws/events.js';
import { captureMetrics, emitted, emittedLines, expectNoneCarries, summary } from './capture.js';

describe('WebSocket metrics', () => {
  useMockedDynamo();
  captureMetrics();

  it('$connect accepted: ConnectionsOpened; its transaction also writes the gauges item (no extra call)', async () => {
    givenSession();
    const id = newConnectionId('open');
    expect(await connect(id, { sessionId: SESSION_ID, token: CANDIDATE_TOKEN })).toEqual({ statusCode: 200 });
    expect(summary()).toEqual(['ConnectionsOpened=1']);
    expect(transactItems()[2]?.Put?.Item).toMatchObject({ PK: 'LIVE', SK: `C#${id}`, sessionId: SESSION_ID });
    expectNoneCarries(SESSION_ID, CANDIDATE_TOKEN, id);
  });

  it('$connect refused: Errors{websocket, UNAUTHORIZED | INVALID_SESSION}, nothing opened', async () => {
    givenSession();
    expect((await connect(newConnectionId(), { sessionId: SESSION_ID, token: 'nope' })).statusCode).toBe(401);
    expect((await connect(newConnectionId(), { sessionId: 'not-a-session', token: CANDIDATE_TOKEN })).statusCode).toBe(400);
    expect(summary()).toEqual(['Errors{Api=websocket,Code=UNAUTHORIZED}=1', 'Errors{Api=websocket,Code=INVALID_SESSION}=1']);
  });

  it('$disconnect: ConnectionsClosed, whether or not the presence was still there', async () => {
    const me = newConnectionId('bye');
    givenSender(me);
    await disconnect(me);
    await disconnect(newConnectionId('gone'));
    expect(summary()).toEqual(['ConnectionsClosed=1', 'ConnectionsClosed=1']);
    expectNoneCarries(me, SESSION_ID);
  });

  it('a message: Messages by action (and the total in the same line)', async () => {
    givenSession();
    const me = newConnectionId('ping');
    givenSender(me);
    await send(me, { action: 'ping' });
    expect(summary()).toEqual(['Messages{Action=ping}=1']);
    expectNoneCarries(me, SESSION_ID);
  });

  it('an unreadable message: Messages{invalid} and Errors{websocket, INVALID_MESSAGE}; a bad field keeps its action', async () => {
    givenSession();
    const me = newConnectionId('bad');
    givenSender(me);
    await sendRaw(me, 'not json');
    await send(me, { action: 'cursor-update', cursor: 'nowhere' });
    expect(summary()).toEqual([
      'Messages{Action=invalid}=1',
      'Errors{Api=websocket,Code=INVALID_MESSAGE}=1',
      'Messages{Action=cursor-update}=1',
      'Errors{Api=websocket,Code=INVALID_MESSAGE}=1',
    ]);
  });

  it('a message its action refuses (the sender is no longer in the session): Messages{action} and Errors with the code', async () => {
    givenSession();
    const me = newConnectionId('late');
    givenSender(me);
    givenConnections([connectionItem('someone-else', { joined: true, userId: 'x' })]); // `me` is gone
    await send(me, { action: 'cursor-update', cursor: { line: 1, column: 1 } });
    expect(summary()[0]).toBe('Messages{Action=cursor-update}=1');
    expect(summary()[1]).toMatch(/^Errors\{Api=websocket,Code=[A-Z_]+\}=1$/);
  });

  it('edits merged and BUSY, by action outcome: a merged yjs-update counts, a BUSY one does not', async () => {
    const event = wsMessageEvent({ connectionId: 'c-1=', body: {} });
    await withWsLogging(event, undefined, async () => ({ result: { statusCode: 200 }, action: 'yjs-update', sessionId: SESSION_ID }));
    await withWsLogging(event, undefined, async () => ({ result: { statusCode: 200 }, action: 'code-change', errorCode: 'BUSY', sessionId: SESSION_ID }));
    await withWsLogging(event, undefined, async () => ({ result: { statusCode: 200 }, action: 'sync', sessionId: SESSION_ID }));
    await withWsLogging(event, undefined, async () => {
      throw new Error('bug');
    });
    expect(summary()).toEqual([
      'Messages{Action=yjs-update}=1',
      'EditsMerged{Action=yjs-update}=1',
      'Messages{Action=code-change}=1',
      'BusyAnswers{Action=code-change}=1',
      'Errors{Api=websocket,Code=BUSY}=1',
      'Messages{Action=sync}=1',
      'Messages{Action=invalid}=1',
      'Errors{Api=websocket,Code=INTERNAL_ERROR}=1',
    ]);
    expectNoneCarries(SESSION_ID, 'c-1=');
  });

  it('a merged edit writes ONE line carrying Messages and EditsMerged, each under the total and by action', async () => {
    const event = wsMessageEvent({ connectionId: 'c-1=', body: {} });
    await withWsLogging(event, undefined, async () => ({ result: { statusCode: 200 }, action: 'yjs-update', sessionId: SESSION_ID }));
    expect(emittedLines()).toHaveLength(1);
    const [messages, merged] = emitted();
    for (const m of [messages!, merged!]) {
      expect(m.sets).toEqual([{ service: 'interview-backend' }, { service: 'interview-backend', Action: 'yjs-update' }]);
      expect(m.value).toBe(1);
    }
    expect([messages!.name, merged!.name]).toEqual(['Messages', 'EditsMerged']);
    // An error's dimensions differ (Api, Code): it gets a line of its own rather than publishing
    // Messages under Api+Code.
    await withWsLogging(event, undefined, async () => ({ result: { statusCode: 200 }, action: 'code-change', errorCode: 'BUSY', sessionId: SESSION_ID }));
    expect(emittedLines()).toHaveLength(3);
    expect(emitted().filter((m) => m.name === 'Errors')[0]!.sets).toEqual([{ service: 'interview-backend', Api: 'websocket', Code: 'BUSY' }]);
  });
});
