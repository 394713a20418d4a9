/**
 * `/`: the operator's page (docs/protocol.md §9). The operator key stays in this browser's storage and goes only
 * to the API, as a bearer token. Creating a session opens its room as the interviewer.
 */
import { api, ApiError, keepSession, keptSession, languages, roomPath } from './api.js';
import type { AppConfig } from './config.js';
import { clear, field, h } from './dom.js';
import { QuestionBank } from '../../client/src/index.js';

const KEY_STORAGE = 'operator-key';

interface CreatedSession {
  sessionId: string;
  title: string;
  interviewerToken: string;
  candidateToken: string;
}

interface ListedSession {
  sessionId: string;
  title: string;
  language: string;
  status: string;
  createdAt: string;
}

export async function renderHome(root: HTMLElement, config: AppConfig): Promise<void> {
  document.title = 'Live coding interviews';
  const key = h('input', { type: 'password', autocomplete: 'off', testid: 'operator-key', value: localStorage.getItem(KEY_STORAGE) ?? '' });
  const title = h('input', { type: 'text', maxLength: 200, placeholder: 'e.g. Pairing with Ada', testid: 'title' });
  const language = h('select', { testid: 'language' });
  // A question from the bank for the new session (it can also be attached, or written, in the room).
  const question = h('select', { testid: 'session-question' }, h('option', { value: '' }, 'None (attach one in the room)'));
  for (const lang of await languages(config)) language.append(h('option', { value: lang.id }, lang.name));
  language.value = 'python';
  const message = h('p', { class: 'message', role: 'alert' });
  const create = h('button', { type: 'submit', testid: 'create' }, 'Create session');
  const list = h('ul', { class: 'sessions', testid: 'sessions' });

  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'new-session' },
    h('h2', { id: 'new-session' }, 'New interview'),
    field('title', 'Title', title),
    field('language', 'Language', language),
    field('session-question', 'Question', question),
    create,
    message,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void createSession();
  });
  key.addEventListener('change', () => {
    localStorage.setItem(KEY_STORAGE, key.value.trim());
    void refresh();
  });

  async function createSession(): Promise<void> {
    localStorage.setItem(KEY_STORAGE, key.value.trim());
    create.disabled = true;
    message.textContent = '';
    try {
      const session = await api<CreatedSession>(config, 'POST', '/api/sessions', key.value.trim(), {
        ...(title.value.trim() ? { title: title.value.trim() } : {}),
        language: language.value,
        ...(question.value ? { questionId: question.value } : {}),
      });
      keepSession(session);
      location.assign(roomPath(session.sessionId, session.interviewerToken));
    } catch (err) {
      message.textContent = err instanceof ApiError && err.code === 'UNAUTHORIZED' ? 'The operator key was not accepted.' : (err as Error).message;
      create.disabled = false;
    }
  }

  async function loadQuestions(): Promise<void> {
    const keep = question.value;
    while (question.options.length > 1) question.options[1]!.remove();
    if (!key.value.trim()) return;
    try {
      const { questions } = await new QuestionBank(config.httpUrl, key.value.trim()).list();
      for (const q of questions) question.append(h('option', { value: q.questionId }, `${q.title} (${q.testCount} tests)`));
      question.value = questions.some((q) => q.questionId === keep) ? keep : '';
    } catch {
      // The session list below says what is wrong with the key; a session needs no question.
    }
  }

  async function refresh(): Promise<void> {
    void loadQuestions();
    clear(list);
    if (!key.value.trim()) {
      list.append(h('li', {}, 'Enter the operator key to see your sessions.'));
      return;
    }
    try {
      const { sessions } = await api<{ sessions: ListedSession[] }>(config, 'GET', '/api/sessions?limit=20', key.value.trim());
      if (sessions.length === 0) list.append(h('li', {}, 'No sessions yet.'));
      for (const s of sessions) {
        const kept = keptSession(s.sessionId);
        list.append(
          h(
            'li',
            {},
            kept ? h('a', { href: roomPath(s.sessionId, kept.interviewerToken) }, s.title) : h('span', {}, s.title),
            h('span', { class: `badge ${s.status}` }, s.status),
            h('span', { class: 'muted' }, `${s.language} · ${new Date(s.createdAt).toLocaleString()}`),
          ),
        );
      }
    } catch (err) {
      list.append(h('li', { class: 'message' }, err instanceof ApiError && err.status === 401 ? 'The operator key was not accepted.' : `Sessions could not be listed: ${(err as Error).message}`));
    }
  }

  clear(root);
  root.append(
    h('header', { class: 'topbar' }, h('h1', {}, 'Live coding interviews')),
    h(
      'main',
      { class: 'home' },
      h('section', { class: 'card' }, h('h2', {}, 'Operator'), field('operator-key', 'Operator key', key), h('p', { class: 'muted' }, 'Kept in this browser only.')),
      form,
      h('section', { class: 'card', 'aria-labelledby': 'your-sessions' }, h('h2', { id: 'your-sessions' }, 'Your sessions'), list),
    ),
  );
  await refresh();
}
