/**
 * `question-updated` (docs/protocol.md §8) to everyone in a session, each connection in the view of its role: a
 * connection whose role does not see hidden tests is sent a message built from the restricted view, so
 * a hidden test's stdin and expected output never exist in its frame. Over 128 KiB (starter code of 8
 * languages can be 800 KiB) the message keeps what identifies the question and says where to fetch it.
 */
import type { ConnectionItem } from '#aws/store/connections.js';
import type { ServerMessage } from '#contract/messages.js';
import { questionForRole, seesHiddenTests, type Question, type QuestionDigest, type QuestionView } from '#contract/questions.js';
import { joinedRecipients, shrink } from './notify.js';
import { fanOut } from './push.js';

export const questionUrl = (sessionId: string) => `/api/sessions/${sessionId}/question`;

/** What fits in any message: no prompt, no starter code, tests by name. */
export function questionDigest(view: QuestionView): QuestionDigest {
  return {
    ...(view.questionId ? { questionId: view.questionId } : {}),
    ...(view.revision !== undefined ? { revision: view.revision } : {}),
    title: view.title,
    tests: view.tests.map((t) => ({ name: t.name, hidden: t.hidden })),
    ...(view.updatedAt ? { updatedAt: view.updatedAt } : {}),
  };
}

export function questionUpdatedMessage(sessionId: string, question: Question, role: string): string {
  const view = questionForRole(question, role);
  return shrink(
    { type: 'question-updated', question: view },
    { type: 'question-updated', question: questionDigest(view), truncated: true, questionUrl: questionUrl(sessionId) },
  );
}

export async function broadcastQuestion(sessionId: string, connections: ConnectionItem[], question: Question): Promise<void> {
  const recipients = joinedRecipients(connections);
  const full = recipients.filter((c) => seesHiddenTests(c.role));
  const restricted = recipients.filter((c) => !seesHiddenTests(c.role));
  await Promise.all([
    full.length > 0 ? fanOut(full, questionUpdatedMessage(sessionId, question, 'interviewer')) : undefined,
    restricted.length > 0 ? fanOut(restricted, questionUpdatedMessage(sessionId, question, 'candidate')) : undefined,
  ]);
}
