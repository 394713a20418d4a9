/**
 * Every way the session's language can switch warms a runner of the new language, because every entry
 * point hands its LanguageChanged event to the one publish() (shared/aws/publish.ts): PATCH, a restore
 * that switches language, and the WebSocket language-change (message-presence.test.ts). Each case runs
 * with the environment the stack gives the function that serves it (test/unit/function-env.json): a
 * function the stack left without the launch queue could not ask in AWS, and fails here.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { useFunctionEnv } from '../env.js';
import { handler as sessions } from '../../../functions/http/sessions.js';
import { handler as snapshots } from '../../../functions/http/snapshots.js';
import {
  call,
  CANDIDATE_TOKEN,
  connectionItem,
  ddb,
  docItems,
  givenConnections,
  givenDocument,
  givenRunners,
  givenSession,
  INTERVIEWER_TOKEN,
  launchRequests,
  pushed,
  runnerItem,
  sessionItem,
  SESSION_ID,
  SNAPSHOT_ID,
  snapshotItem,
  useMockedDynamo,
} from '../fixtures.js';

const patch = (body: unknown, token = CANDIDATE_TOKEN) =>
  call(sessions, { routeKey: 'PATCH /api/sessions/{sessionId}', sessionId: SESSION_ID, token, body });
const restore = () =>
  call(snapshots, {
    routeKey: 'POST /api/sessions/{sessionId}/snapshots/{snapshotId}/restore',
    sessionId: SESSION_ID,
    snapshotId: SNAPSHOT_ID,
    token: INTERVIEWER_TOKEN,
  });
const givenSnapshot = (language: string) =>
  ddb.on(GetCommand, { Key: { SK: `P#${SNAPSHOT_ID}` } }).resolves({ Item: snapshotItem({ language }) });

describe('a language switch warms a runner of the new language, whatever the entry point', () => {
  useMockedDynamo();
  beforeEach(({ task }) => useFunctionEnv(/restore/.test(task.name) ? 'http-snapshots' : 'http-sessions'));

  it('PATCH language: tells the sockets and asks for a runner of the new language', async () => {
    givenSession(sessionItem({ language: 'python' }));
    givenConnections([connectionItem('text-1', { joined: true, userId: 'u1', format: 'text' })]);
    expect((await patch({ language: 'java' })).status).toBe(200);
    expect(launchRequests()).toEqual([{ language: 'java', count: 1 }]);
    expect(pushed().map((p) => p.message)).toContainEqual({ type: 'language-update', language: 'java', userId: 'candidate' });
  });

  it('PATCH to the language the session already has asks for nothing', async () => {
    givenSession(sessionItem({ language: 'python' }));
    expect((await patch({ language: 'python' })).status).toBe(200);
    expect(launchRequests()).toEqual([]);
  });

  it('PATCH language when a runner of it is alive launches nothing', async () => {
    givenSession(sessionItem({ language: 'python' }));
    givenRunners([runnerItem('r-1', { PK: 'RUNNERS#go', language: 'go' })]);
    expect((await patch({ language: 'go' })).status).toBe(200);
    expect(launchRequests()).toEqual([]);
  });

  it('a restore that switches language asks for a runner of the snapshot\'s language', async () => {
    givenSession(sessionItem({ language: 'go' }));
    givenDocument(docItems('package main\n'));
    givenSnapshot('python');
    expect((await restore()).status).toBe(200);
    expect(launchRequests()).toEqual([{ language: 'python', count: 1 }]);
  });

  it('a restore in the session\'s own language asks for nothing', async () => {
    givenSession(sessionItem({ language: 'python' }));
    givenDocument(docItems('print("v2")\n'));
    givenSnapshot('python');
    expect((await restore()).status).toBe(200);
    expect(launchRequests()).toEqual([]);
  });
});
