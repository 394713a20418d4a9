/** Metric lines of the HTTP functions (issue 11): success and each error path, parsed from stdout. */
import { call, CANDIDATE_TOKEN, ddb, endedSession, givenSession, INTERVIEWER_TOKEN, OPERATOR_KEY, SESSION_ID, useMockedDynamo } from '../fixtures.js';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler as sessions } from '../../../functions/http/sessions.js';
import { errors } from '#contract/errors.js';
import { httpHandler } from '../../../functions/http/http-handler.js';
import { json } from '../../../functions/http/response.js';
import { captureMetrics, emitted, expectNoneCarries, summary } from './capture.js';

describe('HTTP metrics', () => {
  useMockedDynamo();
  captureMetrics();

  it('POST /api/sessions: SessionsCreated, no dimension but service, in the stage namespace', async () => {
    const res = await call(sessions, { routeKey: 'POST /api/sessions', token: OPERATOR_KEY, body: { language: 'python' } });
    expect(res.status).toBe(201);
    expect(summary()).toEqual(['SessionsCreated=1']);
    expect(emitted()[0]).toMatchObject({ unit: 'Count', namespace: 'InterviewBackend/dev', sets: [{ service: 'interview-backend' }] });
    expectNoneCarries(res.body.sessionId, res.body.interviewerToken, res.body.candidateToken, OPERATOR_KEY);
  });

  it('POST /api/sessions without a key: Errors{http, UNAUTHORIZED} and no session counted', async () => {
    expect((await call(sessions, { routeKey: 'POST /api/sessions', body: {} })).status).toBe(401);
    expect(summary()).toEqual(['Errors{Api=http,Code=UNAUTHORIZED}=1']);
  });

  it('POST /api/sessions with a bad body: Errors{http, VALIDATION_ERROR}', async () => {
    expect((await call(sessions, { routeKey: 'POST /api/sessions', token: OPERATOR_KEY, rawBody: '{' })).status).toBe(400);
    expect(summary()).toEqual(['Errors{Api=http,Code=VALIDATION_ERROR}=1']);
  });

  it('DELETE: SessionsEnded{Reason=ended-by-interviewer} once; ending an ended session counts nothing', async () => {
    givenSession();
    expect((await call(sessions, { routeKey: 'DELETE /api/sessions/{sessionId}', sessionId: SESSION_ID, token: INTERVIEWER_TOKEN })).status).toBe(200);
    expect(summary()).toEqual(['SessionsEnded{Reason=ended-by-interviewer}=1']);
    expectNoneCarries(SESSION_ID, INTERVIEWER_TOKEN);

    givenSession(endedSession());
    const before = emitted().length;
    expect((await call(sessions, { routeKey: 'DELETE /api/sessions/{sessionId}', sessionId: SESSION_ID, token: INTERVIEWER_TOKEN })).status).toBe(200);
    expect(emitted()).toHaveLength(before);
  });

  it('DELETE by the candidate: Errors{http, FORBIDDEN}; unknown session: SESSION_NOT_FOUND', async () => {
    givenSession();
    expect((await call(sessions, { routeKey: 'DELETE /api/sessions/{sessionId}', sessionId: SESSION_ID, token: CANDIDATE_TOKEN })).status).toBe(403);
    ddb.on(GetCommand).resolves({});
    expect((await call(sessions, { routeKey: 'GET /api/sessions/{sessionId}', sessionId: SESSION_ID, token: CANDIDATE_TOKEN })).status).toBe(404);
    expect(summary()).toEqual(['Errors{Api=http,Code=FORBIDDEN}=1', 'Errors{Api=http,Code=SESSION_NOT_FOUND}=1']);
    expectNoneCarries(SESSION_ID, CANDIDATE_TOKEN);
  });

  it('an unknown route: Errors{http, NOT_FOUND}; a bug: Errors{http, INTERNAL_ERROR}', async () => {
    await call(sessions, { routeKey: 'GET /nowhere' });
    ddb.on(GetCommand).rejects(new Error('boom'));
    expect((await call(sessions, { routeKey: 'GET /api/sessions/{sessionId}', sessionId: SESSION_ID, token: CANDIDATE_TOKEN })).status).toBe(500);
    expect(summary()).toEqual(['Errors{Api=http,Code=NOT_FOUND}=1', 'Errors{Api=http,Code=INTERNAL_ERROR}=1']);
  });

  it('BUSY on the code route: BusyAnswers{Action=PUT code} and Errors{http, BUSY}; a route outside the list is `other`', async () => {
    const busy = httpHandler({
      'PUT /api/sessions/{sessionId}/code': async () => {
        throw errors.busy(1);
      },
      'PUT /api/sessions/{sessionId}/{anything}': async () => {
        throw errors.busy(1);
      },
      'GET /ok': async () => json(200, {}),
    });
    expect((await call(busy, { routeKey: 'PUT /api/sessions/{sessionId}/code', sessionId: SESSION_ID })).status).toBe(503);
    await call(busy, { routeKey: 'PUT /api/sessions/{sessionId}/{anything}', sessionId: SESSION_ID });
    await call(busy, { routeKey: 'GET /ok' });
    expect(summary()).toEqual([
      'Errors{Api=http,Code=BUSY}=1',
      'BusyAnswers{Action=PUT /api/sessions/{sessionId}/code}=1',
      'Errors{Api=http,Code=BUSY}=1',
      'BusyAnswers{Action=other}=1',
    ]);
    // The total and the by-action series of one event are one line with two dimension sets.
    expect(emitted()[1]!.sets).toEqual([{ service: 'interview-backend' }, { service: 'interview-backend', Action: 'PUT /api/sessions/{sessionId}/code' }]);
  });
});
