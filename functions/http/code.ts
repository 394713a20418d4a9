/** `GET|PUT /api/sessions/{sessionId}/code`. */
import { authorize } from '../../shared/domain/access.js';
import { loadDocument, materialise, replaceCode } from '../../shared/domain/code.js';
import { encodeState, textOf } from '../../shared/domain/yjs-document.js';
import { bearerToken, httpHandler, parseBody, parseQuery } from '../../shared/http/handler.js';
import { json } from '../../shared/http/response.js';
import { broadcastDocumentChange } from '../../shared/realtime/notify.js';
import { getCodeQuery, putCodeBody } from '../../shared/schemas.js';
import { readSessionState } from '../../shared/store/session-state.js';

export const handler = httpHandler({
  'GET /api/sessions/{sessionId}/code': async (req) => {
    const { format } = parseQuery(req, getCodeQuery);
    const { session } = await authorize(req.pathParameters.sessionId, bearerToken(req), { mutates: false, action: 'read the code' });
    const { doc, stored } = await loadDocument(session.sessionId);
    const body = {
      code: textOf(doc),
      language: session.language,
      version: stored.version,
      updatedAt: stored.updatedAt,
      // `?format=yjs`: the whole Yjs state, for clients whose document is too large for a WebSocket message.
      ...(format === 'yjs' ? { yjsState: Buffer.from(encodeState(doc)).toString('base64') } : {}),
    };
    doc.destroy();
    return json(200, body);
  },

  'PUT /api/sessions/{sessionId}/code': async (req) => {
    const body = parseBody(req, putCodeBody);
    const { session, role } = await authorize(req.pathParameters.sessionId, bearerToken(req), { mutates: true, action: 'edit the code' });
    // One Query for the document and the connections to notify: 3 DynamoDB calls in all.
    const state = await readSessionState(session.sessionId);
    const result = await replaceCode(session, body.code, {
      baseVersion: body.baseVersion,
      userId: role,
      preloaded: materialise(state.document),
    });
    if (result.changed) {
      await broadcastDocumentChange(state.connections, {
        sessionId: session.sessionId,
        update: result.update,
        code: result.code,
        version: result.textVersion,
        userId: role,
      });
    }
    return json(200, { version: result.version });
  },
});
