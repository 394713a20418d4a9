/** `POST|GET /api/sessions/{sessionId}/executions`, `GET .../executions/{executionId}` (docs/protocol.md §3, §6). */
import { authorize } from '#core/access.js';
import { readExecution, requestRun } from '#core/executions.js';
import { viewExecution, viewExecutions } from '#core/execution-view.js';
import { bearerToken, httpHandler, parseBody } from './http-handler.js';
import { json } from './response.js';
import { runBody } from '#contract/schemas.js';
import { listExecutions } from '#aws/store/executions.js';
import { publish } from '#aws/publish.js';
import '#aws/wiring.js'; // the composition root: core's storage ports get their DynamoDB adapters

export const handler = httpHandler({
  'POST /api/sessions/{sessionId}/executions': async (req) => {
    const body = parseBody(req, runBody);
    const { session, role } = await authorize(req.pathParameters.sessionId, bearerToken(req), { mutates: true, action: 'run code' });
    const { execution, events } = await requestRun(session, { userId: role, role }, { ...body, idempotencyKey: req.headers['idempotency-key'] });
    await publish(events);
    return json(202, { executionId: execution.executionId, status: execution.status });
  },

  'GET /api/sessions/{sessionId}/executions': async (req) => {
    const { session, role } = await authorize(req.pathParameters.sessionId, bearerToken(req), { mutates: false, action: 'list executions' });
    return json(200, { executions: viewExecutions(await listExecutions(session.sessionId), role) });
  },

  'GET /api/sessions/{sessionId}/executions/{executionId}': async (req) => {
    const { session, role } = await authorize(req.pathParameters.sessionId, bearerToken(req), { mutates: false, action: 'read executions' });
    return json(200, viewExecution(await readExecution(session.sessionId, req.pathParameters.executionId), role));
  },
});
