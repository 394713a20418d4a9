/** `GET|PUT /api/sessions/{sessionId}/code`. */
import { authorize } from '../../shared/domain/access.js';
import { getCode, replaceCode } from '../../shared/domain/code.js';
import { bearerToken, httpHandler, parseBody } from '../../shared/http/handler.js';
import { json } from '../../shared/http/response.js';
import { putCodeBody } from '../../shared/schemas.js';

export const handler = httpHandler({
  'GET /api/sessions/{sessionId}/code': async (req) => {
    const { session } = await authorize(req.pathParameters.sessionId, bearerToken(req), { mutates: false, action: 'read the code' });
    const view = await getCode(session.sessionId);
    return json(200, { code: view.code, language: session.language, version: view.version, updatedAt: view.updatedAt });
  },

  'PUT /api/sessions/{sessionId}/code': async (req) => {
    const body = parseBody(req, putCodeBody);
    const { session, role } = await authorize(req.pathParameters.sessionId, bearerToken(req), { mutates: true, action: 'edit the code' });
    const result = await replaceCode(session, body.code, { baseVersion: body.baseVersion, userId: role });
    return json(200, { version: result.version });
  },
});
