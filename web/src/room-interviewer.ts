/**
 * What only interviewers have in the room (docs/protocol.md §10): private notes (a second shared document, never
 * sent to a candidate), the activity the candidate's browser reports, review links for the hiring
 * committee and the way to the replay. Also the candidate side of activity: what its page reports.
 */
import type { ActivityEvent, Connection, SessionApi } from '../../client/src/index.js';
import { clear, displayName, h } from './dom.js';
import { createNotesEditor } from './editor.js';

export const replayPath = (sessionId: string, token: string) => `/s/${encodeURIComponent(sessionId)}/replay#token=${encodeURIComponent(token)}`;

export function notesPanel(connection: Connection): HTMLElement {
  const host = h('div', { testid: 'notes', class: 'editor notes' });
  createNotesEditor(host, connection, 'Private notes');
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'notes-heading' },
    h('h2', { id: 'notes-heading' }, 'Private notes'),
    h('p', { class: 'muted' }, 'Seen by interviewers and review links only, never by the candidate.'),
    host,
  );
}

/** The notes of a session that ended, read once (read-only: nobody writes them any more). */
export function endedNotes(sessionApi: SessionApi): HTMLElement {
  const text = h('pre', { testid: 'notes', class: 'notes-final' }, 'Reading the notes…');
  void sessionApi.notes().then(
    ({ notes }) => (text.textContent = notes || 'No notes were written.'),
    (err: Error) => (text.textContent = `The notes could not be read: ${err.message}`),
  );
  return h('section', { class: 'panel', 'aria-labelledby': 'notes-heading' }, h('h2', { id: 'notes-heading' }, 'Private notes'), text);
}

const KIND_TEXT: Record<string, (e: ActivityEvent) => string> = {
  paste: (e) => `pasted ${e.chars ?? '?'} characters into the editor`,
  'focus-lost': () => 'left the page (another tab or window)',
  'focus-gained': () => 'came back to the page',
};

export function activityFeed(connection: Connection, sessionApi: SessionApi): HTMLElement {
  const list = h('ul', { testid: 'activity', class: 'activity', 'aria-label': 'Activity reported by the candidate’s browser' });
  const empty = h('li', { class: 'muted' }, 'Nothing reported yet.');
  list.append(empty);
  const show = (event: ActivityEvent, role?: string) => {
    empty.remove();
    const user = connection.users.find((u) => u.id === event.userId);
    const who = displayName(event.username || user?.username, role ?? user?.role);
    const at = new Date(event.at);
    const text = (KIND_TEXT[event.kind] ?? ((e: ActivityEvent) => e.kind))(event);
    list.prepend(h('li', { class: `activity-${event.kind}`, 'data-kind': event.kind }, h('time', { dateTime: event.at }, Number.isNaN(at.getTime()) ? '' : at.toLocaleTimeString()), ` ${who} ${text}`));
    while (list.children.length > 200) list.lastElementChild?.remove();
  };
  // What was reported before this page opened is in the history; live reports wait until it is shown.
  let waiting: ActivityEvent[] | undefined = [];
  connection.on('activity', (event) => (waiting ? waiting.push(event) : show(event)));
  void sessionApi
    .history()
    .then((entries) => {
      let last = '';
      for (const e of entries.filter((x) => x.type === 'activity')) {
        const d = e.detail as { kind?: string; chars?: number; username?: string; role?: string };
        show({ userId: e.userId ?? '', username: d.username, kind: d.kind ?? '', ...(d.chars !== undefined ? { chars: d.chars } : {}), at: e.at }, d.role);
        last = e.at;
      }
      // A live report is also in the history when it was stored before the read: show it once.
      for (const event of waiting ?? []) if (event.at > last) show(event);
    }, () => waiting?.forEach((event) => show(event)))
    .finally(() => (waiting = undefined));
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'activity-heading' },
    h('h2', { id: 'activity-heading' }, 'Activity'),
    h(
      'p',
      { class: 'muted', testid: 'activity-disclaimer' },
      'Reported by the candidate’s browser, not observed by the server: a hint to talk about, not proof. A browser can miss these or be made to fake them.',
    ),
    list,
  );
}

/** Review links: read-only access to the whole interview and its replay, for the hiring committee. */
export function reviewLinks(sessionApi: SessionApi, interviewerToken: string): HTMLElement {
  const create = h('button', { type: 'button', testid: 'review-link' }, 'Create review link');
  const url = h('input', { type: 'text', readOnly: true, testid: 'review-link-url', class: 'wide', hidden: true, 'aria-label': 'Review link' });
  const message = h('p', { class: 'message', role: 'alert' });
  const list = h('ul', { class: 'snapshots', testid: 'review-links' });

  const refresh = async () => {
    try {
      const links = await sessionApi.reviewLinks();
      clear(list);
      for (const link of links) {
        const active = link.status === 'active';
        const revoke = active ? h('button', { type: 'button', class: 'small', 'aria-label': `Revoke the link created ${link.createdAt}` }, 'Revoke') : null;
        revoke?.addEventListener('click', () => {
          revoke.disabled = true;
          void sessionApi.revokeReviewLink(link.linkId).then(refresh, (err: Error) => (message.textContent = err.message));
        });
        const when = active ? `expires ${new Date(link.expiresAt).toLocaleString()}` : link.status;
        list.append(h('li', { 'data-status': link.status }, h('span', {}, `Link of ${new Date(link.createdAt).toLocaleString()}`), h('span', { class: 'muted' }, when), revoke));
      }
    } catch (err) {
      message.textContent = `Review links could not be listed: ${(err as Error).message}`;
    }
  };

  create.addEventListener('click', () => {
    create.disabled = true;
    message.textContent = '';
    void sessionApi
      .createReviewLink()
      .then((link) => {
        url.hidden = false;
        url.value = `${location.origin}${replayPath(sessionApi.sessionId, link.reviewToken)}`;
        url.select();
        return refresh();
      }, (err: Error) => (message.textContent = err.message))
      .finally(() => (create.disabled = false));
  });

  void refresh();
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'review-heading' },
    h('h2', { id: 'review-heading' }, 'Review and replay'),
    h('p', {}, h('a', { href: replayPath(sessionApi.sessionId, interviewerToken), testid: 'replay-link', target: '_blank', rel: 'noopener' }, 'Open the replay')),
    h('p', { class: 'muted' }, 'A review link reads everything (code, notes, runs, replay) and writes nothing; it works after the session ends, for 7 days by default.'),
    create,
    url,
    message,
    list,
  );
}

/**
 * The candidate's page reports leaving and coming back (window focus, or the tab hidden) once per
 * change; pastes are reported by the editor. Returns the function that stops reporting.
 */
export function reportFocus(connection: Connection): () => void {
  let away = document.visibilityState === 'hidden';
  const lost = () => {
    if (away) return;
    away = true;
    connection.reportActivity('focus-lost');
  };
  const gained = () => {
    if (!away || document.visibilityState === 'hidden') return;
    away = false;
    connection.reportActivity('focus-gained');
  };
  const visibility = () => (document.visibilityState === 'hidden' ? lost() : gained());
  window.addEventListener('blur', lost);
  window.addEventListener('focus', gained);
  document.addEventListener('visibilitychange', visibility);
  return () => {
    window.removeEventListener('blur', lost);
    window.removeEventListener('focus', gained);
    document.removeEventListener('visibilitychange', visibility);
  };
}
