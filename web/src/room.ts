/**
 * `/s/{sessionId}#token=…`: the interview room (docs/protocol.md §9). The token is read from the URL fragment,
 * which browsers never send to a server, and travels only as a bearer token or in the WebSocket URL.
 */
import { connect, SessionApi, type Connection, type Status, type User } from '../../client/src/index.js';
import { api, ApiError, keptSession, languages, roomPath } from './api.js';
import type { AppConfig } from './config.js';
import { clear, displayName, field, h } from './dom.js';
import { createEditor } from './editor.js';
import { attachQuestionForm } from './question-form.js';
import { sessionControls, type Controls } from './room-controls.js';
import { activityFeed, endedNotes, notesPanel, replayPath, reportFocus, reviewLinks } from './room-interviewer.js';
import { questionPanel } from './room-question.js';
import { runPanel } from './room-run.js';
import { snapshotsPanel } from './room-snapshots.js';

const STATUS_TEXT: Record<Status, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  offline: 'Offline: your edits are kept and sent when the connection is back',
  ended: 'This session has ended',
  closed: 'Disconnected',
};

export async function renderRoom(root: HTMLElement, config: AppConfig, sessionId: string): Promise<void> {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  clear(root);
  if (!token) {
    root.append(h('main', { class: 'notice' }, h('h1', {}, 'Missing access token'), h('p', {}, 'Open the full link you were given: it ends with #token=…')));
    return;
  }
  // A review link opened as a room (its /replay cut off): the socket refuses reviewers, the replay is theirs.
  if (token.startsWith('rv.')) {
    location.replace(replayPath(sessionId, token));
    return;
  }
  const kept = keptSession(sessionId);
  const isCreator = kept?.interviewerToken === token;
  const nameKey = 'display-name';
  // A name chosen once, else what the kept tokens say this link is; else none, and the server uses the role.
  const username = localStorage.getItem(nameKey) || (isCreator ? 'Interviewer' : kept?.candidateToken === token ? 'Candidate' : undefined);
  const userKey = `interview-user:${sessionId}`;
  const connection = connect({
    wsUrl: config.wsUrl,
    httpUrl: config.httpUrl,
    sessionId,
    token,
    username,
    userId: sessionStorage.getItem(userKey) ?? undefined,
  });
  (window as unknown as { interviewConnection?: Connection }).interviewConnection = connection; // for tests and debugging

  const title = h('h1', { class: 'title' }, kept?.title ?? 'Interview');
  const status = h('span', { testid: 'connection', class: 'connection connecting', role: 'status', 'aria-live': 'polite' }, STATUS_TEXT.connecting);
  const participants = h('ul', { testid: 'participants', class: 'participants', 'aria-label': 'Participants' });
  const language = h('select', { testid: 'language' });
  const languageMessage = h('span', { class: 'message', role: 'alert', testid: 'language-message' });
  for (const lang of await languages(config)) language.append(h('option', { value: lang.id }, lang.name));
  const banner = h('div', { testid: 'session-ended', class: 'banner', role: 'alert', hidden: true });
  const interviewer = h('section', { class: 'panel interviewer', hidden: true, 'aria-labelledby': 'iv-heading' }, h('h2', { id: 'iv-heading' }, 'Interviewer'));
  const editorHost = h('div', { testid: 'editor', class: 'editor' });
  // Pastes are the candidate's to report (docs/protocol.md §10); an interviewer's own pastes are nobody's concern.
  const editor = createEditor(editorHost, connection, 'Shared code editor', {
    onPaste: (chars) => connection.role === 'candidate' && connection.reportActivity('paste', chars),
  });
  const sessionApi = new SessionApi(config.httpUrl, sessionId, token);
  const run = runPanel(connection, config, token);
  const question = questionPanel(connection, sessionApi);
  const snapshots = snapshotsPanel(config, sessionId, token, () => connection.role === 'interviewer');
  const side = h('aside', { class: 'side' }, question.element, run.element, interviewer, snapshots.element);

  // What the candidate may do now: connected, and not locked out by the interviewer (who never is).
  let ended = false;
  const applyInputs = () => {
    const connected = connection.status === 'connected';
    const candidate = connection.role !== 'interviewer';
    const runsOn = connected && !(candidate && controls.state.runsDisabled);
    run.setEnabled(runsOn);
    question.setRunsEnabled(runsOn);
    editor.setReadOnly(ended || (candidate && controls.state.editingLocked));
    language.disabled = !connected;
  };
  const controls: Controls = sessionControls(connection, sessionApi, applyInputs);

  const page = h('div', { class: 'room-page' });
  root.append(page);
  page.append(
    h(
      'header',
      { class: 'topbar room-bar' },
      h('a', { href: '/', class: 'home-link', 'aria-label': 'Home' }, '⌂'),
      title,
      status,
      field('language', 'Language', language),
      languageMessage,
      h('div', { class: 'people' }, h('span', { class: 'muted' }, 'Here:'), participants),
    ),
    banner,
    controls.notice,
    h('main', { class: 'room' }, h('section', { class: 'editor-wrap', 'aria-label': 'Code' }, editorHost), side),
  );

  // The title and the controls in force; read again after every (re)connect (an update may have been missed).
  const readSession = () =>
    sessionApi.session().then(
      (s) => {
        title.textContent = s.title;
        controls.set({ editingLocked: s.editingLocked, runsDisabled: s.runsDisabled });
      },
      () => undefined, // the connection reports what is wrong with the link
    );
  void readSession();

  const showStatus = (s: Status) => {
    status.textContent = STATUS_TEXT[s];
    status.className = `connection ${s}`;
    applyInputs();
  };
  connection.on('status', showStatus);
  connection.on('presence', (users: User[]) => {
    clear(participants);
    for (const u of users) participants.append(h('li', { class: u.id === connection.userId ? 'me' : '' }, `${displayName(u.username, u.role)} (${u.role})`));
  });
  connection.on('language', ({ language: lang }) => {
    language.value = lang;
    void editor.setLanguage(lang);
  });
  let languageMessageTimer: ReturnType<typeof setTimeout> | undefined;
  const sayAboutLanguage = (text: string) => {
    languageMessage.textContent = text;
    clearTimeout(languageMessageTimer);
    if (text) languageMessageTimer = setTimeout(() => (languageMessage.textContent = ''), 6000);
  };
  language.addEventListener('change', () => {
    try {
      connection.setLanguage(language.value);
      sayAboutLanguage('');
    } catch {
      if (connection.language) language.value = connection.language;
    }
  });
  connection.on('error', (error) => {
    if (error.action === 'language-change') {
      if (connection.language) language.value = connection.language;
      sayAboutLanguage(error.code === 'RATE_LIMIT_EXCEEDED' ? 'Language not changed: too many changes at once, try again in a few seconds.' : `Language not changed: ${error.message}`);
    }
    // Without an action: what HTTP said about a link the socket refused (client/src/http.ts readSessionProblem).
    // Only a refusal closes the room: another error without an action (a client-side one) is not about the link.
    if (!error.action && (Object.hasOwn(REFUSED, error.code) || error.code.startsWith('HTTP_4'))) refuseLink(root, error.code);
  });
  // `session-updated` messages carry no version and two of them may arrive out of order (two quick
  // toggles): show each at once, then read the session, which is always the newest state.
  let reread: ReturnType<typeof setTimeout> | undefined;
  connection.on('session', (info) => {
    if (info.title) title.textContent = info.title;
    clearTimeout(reread);
    reread = setTimeout(() => void readSession(), 300);
  });
  connection.on('ended', () => {
    banner.hidden = false;
    banner.textContent = 'This session has ended. The code stays readable here.';
    ended = true;
    applyInputs();
    // Opened after the end: the library reads the final code; the rest of the room is read here.
    if (!setUp) void showEndedRoom();
  });
  const showEndedRoom = async () => {
    run.element.hidden = true; // nothing runs any more; the replay has every run
    void question.load();
    void snapshots.refresh();
    // Only an interviewer's token may list review links: that is how this page learns it is one.
    const isInterviewer = await sessionApi.reviewLinks().then(() => true, () => false);
    if (!isInterviewer) return;
    interviewer.hidden = false;
    interviewer.append(h('p', { class: 'muted' }, 'The interview is over: the replay, the notes and review links stay here for 7 days.'));
    interviewer.after(endedNotes(sessionApi), reviewLinks(sessionApi, token));
  };

  let setUp = false;
  connection.on('status', (s) => {
    if (s !== 'connected') return;
    void question.load();
    if (setUp) {
      void readSession();
      return;
    }
    setUp = true;
    if (connection.userId) sessionStorage.setItem(userKey, connection.userId);
    void snapshots.refresh();
    watchSnapshots(connection, snapshots.refresh);
    controls.set({}); // the notice's wording depends on the role, known now
    if (connection.role === 'candidate') reportFocus(connection);
    if (connection.role !== 'interviewer') return;
    buildInterviewerControls(interviewer, connection, config, sessionId, token, controls, kept?.candidateToken);
    question.attachSlot.append(attachQuestionForm(config, sessionApi, () => connection.language ?? language.value));
    interviewer.after(notesPanel(connection), activityFeed(connection, sessionApi), reviewLinks(sessionApi, token));
  });
  showStatus(connection.status);
}

function buildInterviewerControls(panel: HTMLElement, connection: Connection, config: AppConfig, sessionId: string, token: string, controls: Controls, candidateToken?: string): void {
  panel.hidden = false;
  panel.append(controls.toggles);
  const message = h('p', { class: 'message', role: 'alert' });
  if (candidateToken) {
    const link = h('input', { type: 'text', readOnly: true, testid: 'candidate-link', value: `${location.origin}${roomPath(sessionId, candidateToken)}` });
    const copy = h('button', { type: 'button', class: 'small' }, 'Copy');
    copy.addEventListener('click', () => {
      link.select();
      void navigator.clipboard?.writeText(link.value).then(() => (message.textContent = 'Candidate link copied.'), () => undefined);
    });
    panel.append(field('candidate-link', 'Candidate link', link), copy);
  } else {
    panel.append(h('p', { class: 'muted', testid: 'candidate-link' }, 'The candidate link is shown in the browser that created this session.'));
  }
  const end = h('button', { type: 'button', testid: 'end-session', class: 'danger' }, 'End session');
  end.addEventListener('click', () => {
    if (!confirm('End the session for everyone? The code stays readable for 7 days.')) return;
    end.disabled = true;
    void api(config, 'DELETE', `/api/sessions/${encodeURIComponent(sessionId)}`, token).then(
      () => undefined,
      (err: ApiError) => {
        message.textContent = err.message;
        end.disabled = false;
      },
    );
  });
  connection.on('ended', () => (end.disabled = true));
  panel.append(end, message);
}

/**
 * Snapshots the other person saves come with no message (the contract has none): the list is read again
 * when the page comes back into view, and every 30 s while it is in view and connected.
 */
function watchSnapshots(connection: Connection, refresh: () => Promise<void>): void {
  const visible = () => document.visibilityState === 'visible' && connection.status === 'connected';
  document.addEventListener('visibilitychange', () => visible() && void refresh());
  window.addEventListener('focus', () => visible() && void refresh());
  setInterval(() => visible() && void refresh(), 30_000);
}

const REFUSED: Record<string, string> = {
  UNAUTHORIZED: 'The token in this link is wrong, or it was revoked.',
  SESSION_NOT_FOUND: 'There is no such session (it may have been deleted).',
  INVALID_SESSION: 'This address does not name a session.',
  FORBIDDEN: 'This link may not join the room.',
};

/** A link the server refuses: nothing of the room is of use, so none of it stays on the page. */
function refuseLink(root: HTMLElement, code: string): void {
  root.replaceChildren(
    h(
      'main',
      { class: 'notice', testid: 'link-refused' },
      h('h1', {}, 'This link does not open a session'),
      h('p', {}, REFUSED[code] ?? `The server refused it (${code}).`),
      h('p', {}, 'Ask the interviewer for a new link. ', h('a', { href: '/' }, 'Go to the start page')),
    ),
  );
}
