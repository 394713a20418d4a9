/**
 * The question bank (`/api/questions`, operators) and a session's question (`/api/sessions/{id}/question`),
 * docs/protocol.md §8. Every answer that carries a session's question is in the view of the caller's role.
 */
import { authorize } from '#core/access.js';
import { authenticateOperator } from '#core/operators.js';
import {
  createQuestion,
  currentQuestion,
  listQuestions,
  readQuestion,
  removeQuestion,
  resolveQuestion,
  setSessionQuestion,
  updateQuestion,
} from '#core/questions.js';
import { placeStarterCode } from '#core/starter-code.js';
import { errors } from '#contract/errors.js';
import { listQuestionsQuery, QUESTION_LIMITS, questionForRole, questionInputSchema, sessionQuestionSchema } from '#contract/questions.js';
import { publish } from '#aws/publish.js';
import { bearerToken, httpHandler, parseBody, parseQuery, parseWith, readJsonBody, type HttpRequest } from './http-handler.js';
import { json, type HttpResult } from './response.js';
import '#aws/wiring.js'; // the composition root: core's storage ports get their DynamoDB adapters

/** Question bodies are larger than other requests: bounded by what a Lambda payload carries. */
const questionBody = <S extends Parameters<typeof parseBody>[1]>(req: HttpRequest, schema: S) =>
  parseBody(req, schema, QUESTION_LIMITS.envelopeMaxBytes);

const noContent = (): HttpResult => ({ statusCode: 204, headers: { 'cache-control': 'no-store' } });

export const handler = httpHandler({
  // The credential is checked before the body: an anonymous caller learns nothing else.
  'POST /api/questions': async (req) => {
    const operator = await authenticateOperator(bearerToken(req), req.jwtClaims);
    return json(201, await createQuestion(operator, questionBody(req, questionInputSchema)));
  },

  'GET /api/questions': async (req) => {
    const operator = await authenticateOperator(bearerToken(req), req.jwtClaims);
    return json(200, await listQuestions(operator, parseQuery(req, listQuestionsQuery)));
  },

  'GET /api/questions/{questionId}': async (req) => {
    const operator = await authenticateOperator(bearerToken(req), req.jwtClaims);
    return json(200, await readQuestion(operator, req.pathParameters.questionId));
  },

  'PUT /api/questions/{questionId}': async (req) => {
    const operator = await authenticateOperator(bearerToken(req), req.jwtClaims);
    return json(200, await updateQuestion(operator, req.pathParameters.questionId, questionBody(req, questionInputSchema)));
  },

  'DELETE /api/questions/{questionId}': async (req) => {
    const operator = await authenticateOperator(bearerToken(req), req.jwtClaims);
    await removeQuestion(operator, req.pathParameters.questionId);
    return noContent();
  },

  'PUT /api/sessions/{sessionId}/question': async (req) => {
    const { session, role } = await authorize(req.pathParameters.sessionId, bearerToken(req), {
      roles: ['interviewer'],
      mutates: true,
      action: 'set the question',
    });
    // `{questionId}` or an inline question: the body's keys pick the schema, whose problems are reported.
    const raw = readJsonBody(req, QUESTION_LIMITS.envelopeMaxBytes);
    const body = parseWith(sessionQuestionSchema(raw), raw);
    const resolved = await resolveQuestion(session, body);
    const { question, previousStarterCode, session: updated } = await setSessionQuestion(session, resolved, role);
    const placed = await placeStarterCode(updated, role, { previous: previousStarterCode });
    await publish([{ type: 'QuestionChanged', sessionId: session.sessionId, question }, ...placed]);
    return json(200, questionForRole(question, role));
  },

  'GET /api/sessions/{sessionId}/question': async (req) => {
    const { session, role } = await authorize(req.pathParameters.sessionId, bearerToken(req), { mutates: false, action: 'read the question' });
    const question = await currentQuestion(session);
    if (!question) throw errors.notFound('Question');
    return json(200, questionForRole(question, role));
  },
});
