/**
 * Starter code (docs/protocol.md §8): when a session gets a question or changes language, a document nobody has
 * written in yet becomes the starter code of the session's language — the question's, or the language's
 * own template when the question has none for it (or there is no question: a new session starts with
 * that template, so it is the session's starter code then).
 *
 * "Nobody has written in yet" is judged on the text: empty, or exactly some starter code the session
 * could have been given (any language's template, any starter code of the current or the replaced
 * question), trailing whitespace aside. The replacement is conditional on the version that was judged
 * (PUT /code's baseVersion path): an edit landing in between makes it judge again, never overwrite.
 */
import { AppError } from '#contract/errors.js';
import { LANGUAGE_IDS, LANGUAGES, type LanguageId } from '#contract/languages.js';
import type { StarterCode } from '#contract/questions.js';
import { stores } from './ports.js';
import { getCode, replaceCode, type SessionRef } from './code.js';
import { documentChanged, type SessionEvent } from './events.js';

const TEMPLATES = LANGUAGE_IDS.map((id) => LANGUAGES[id].template);
// trimEnd, not /\s+$/: the text is the candidate's, and that regex is quadratic on a long run of spaces.
const normal = (text: string) => text.trimEnd();

/**
 * Judging and writing again after an edit or another change of the language raced the placement: past
 * this, someone is typing (or switching) anyway.
 */
const TRIES = 4;

export interface StarterTarget extends SessionRef {
  language: LanguageId;
  questionRevision?: number;
}

export function isUntouched(text: string, ...starters: StarterCode[]): boolean {
  const t = normal(text);
  if (t === '') return true;
  return [...TEMPLATES, ...starters.flatMap((s) => Object.values(s))].some((s) => s !== undefined && normal(s) === t);
}

/**
 * Makes an untouched document the starter code of the session's language. Returns what happened for
 * publish(): the document changes, or nothing when the document was touched or already right.
 *
 * Two changes of language or question can race, and each places starter code. The session is read
 * after the document, the write is conditional on that document's version, and after a write the
 * session is read again: if it changed meanwhile, the placement goes again for the session as it is.
 * So a placement for a replaced language that lands after the newer placement looked (and found the
 * document already right) is undone by its own check, and the document ends with the starter code of
 * the language and question the session ends with.
 */
export async function placeStarterCode(
  session: StarterTarget,
  userId: string,
  opts: { previous?: StarterCode } = {},
): Promise<SessionEvent[]> {
  const events: SessionEvent[] = [];
  for (let attempt = 0; attempt < TRIES; attempt++) {
    const current = await getCode(session.sessionId);
    const now = (await stores.sessions.getSession(session.sessionId)) ?? session;
    const codes = now.questionRevision ? await stores.sessionQuestions.getStarterCodes(session.sessionId, now.questionRevision) : {};
    const target = codes[now.language] ?? LANGUAGES[now.language].template;
    if (normal(current.code) === normal(target)) return events;
    if (!isUntouched(current.code, codes, opts.previous ?? {})) return events;
    try {
      const result = await replaceCode(session, target, {
        userId,
        baseVersion: current.version,
        history: { type: 'code-replaced', detail: { reason: 'starter-code', language: now.language } },
      });
      events.push(...documentChanged(session.sessionId, userId, result));
    } catch (err) {
      if (err instanceof AppError && err.code === 'VERSION_CONFLICT') continue;
      throw err;
    }
    const after = await stores.sessions.getSession(session.sessionId);
    if (!after || (after.language === now.language && after.questionRevision === now.questionRevision)) return events;
  }
  return events;
}
