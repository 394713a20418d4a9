/**
 * `/s/{sessionId}/replay#token=…` (docs/protocol.md §10): the interview played back from its timeline, for the
 * interviewer and for review links (read-only tokens that never open a socket). A slider over the whole
 * interview with play/pause, the code as it was at that moment, and the runs and their results marked
 * on the same time line; the events and the interviewers' notes beside it.
 */
import { basicSetup } from 'codemirror';
import { Compartment, EditorState } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { HttpError, SessionApi, type Session, type TimelineEvent } from '../../client/src/index.js';
import type { AppConfig } from './config.js';
import { clear, displayName, field, h } from './dom.js';
import { languageMode } from './editor.js';
import { renderMarkdown } from './markdown.js';
import { Replayer, timeOf } from './replayer.js';

/** Idle stretches longer than this are skipped while playing: an interview has long quiet thinking. */
const SKIP_IDLE_MS = 3_000;
const TICK_MS = 100;

const clock = (ms: number) => {
  const s = Math.max(0, Math.floor(ms / 1000));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${Math.floor(s / 3600)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
};

export async function renderReplay(root: HTMLElement, config: AppConfig, sessionId: string): Promise<void> {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  clear(root);
  if (!token) {
    root.append(h('main', { class: 'notice' }, h('h1', {}, 'Missing access token'), h('p', {}, 'Open the full link you were given: it ends with #token=…')));
    return;
  }
  document.title = 'Interview replay';
  const sessionApi = new SessionApi(config.httpUrl, sessionId, token);
  const title = h('h1', { class: 'title' }, 'Interview replay');
  const progress = h('p', { class: 'loading', testid: 'replay-loading', role: 'status' }, 'Loading the timeline…');
  root.append(h('header', { class: 'topbar' }, h('a', { href: '/', class: 'home-link', 'aria-label': 'Home' }, '⌂'), title, h('span', { class: 'badge' }, 'read-only')), progress);

  let session: Session;
  let events: TimelineEvent[];
  try {
    [session, events] = await Promise.all([sessionApi.session(), sessionApi.timeline((n) => (progress.textContent = `Loading the timeline… ${n} events`))]);
  } catch (err) {
    progress.className = 'message';
    progress.textContent = err instanceof HttpError && (err.status === 401 || err.status === 403) ? 'This link is not valid (wrong, revoked or expired token).' : `The replay could not be loaded: ${(err as Error).message}`;
    return;
  }
  title.textContent = `${session.title} · replay`;
  const replayer = new Replayer(events);
  const start = Math.min(Date.parse(session.createdAt), ...events.map(timeOf));
  const end = Math.max(start, ...events.map(timeOf));
  const names = new Map(events.filter((e) => e.type === 'user-joined' && e.userId).map((e) => [e.userId!, displayName(e.username as string | undefined, e.role as string | undefined)]));
  const who = (e: TimelineEvent) => (e.userId ? names.get(e.userId) ?? 'someone' : '');
  const results = new Map(events.filter((e) => e.type === 'execution-finished').map((e) => [e.executionId, e.status]));
  // `language-changed` carries {from, to}: before the first change the language was its `from`.
  const languages = events.filter((e) => e.type === 'language-changed' && typeof e.to === 'string').map((e) => ({ at: timeOf(e), language: String(e.to) }));
  const firstLanguage = String(events.find((e) => e.type === 'language-changed')?.from ?? session.language);
  const languageAt = (at: number) => languages.filter((l) => l.at <= at).pop()?.language ?? firstLanguage;

  // The code, read-only.
  const mode = new Compartment();
  const codeHost = h('div', { testid: 'replay-code', class: 'editor' });
  const view = new EditorView({
    parent: codeHost,
    state: EditorState.create({ extensions: [basicSetup, mode.of([]), EditorState.readOnly.of(true), EditorView.editable.of(false), EditorView.contentAttributes.of({ 'aria-label': 'Code at this moment' })] }),
  });
  let shownLanguage = '';
  const showLanguage = (language: string) => {
    if (language === shownLanguage) return;
    shownLanguage = language;
    void languageMode(language).then((ext) => shownLanguage === language && view.dispatch({ effects: mode.reconfigure(ext) }));
  };

  const slider = h('input', { type: 'range', testid: 'replay-slider', min: 0, max: end - start, step: 1, value: end - start, 'aria-label': 'Moment of the interview' });
  const time = h('span', { testid: 'replay-time', class: 'muted' });
  const play = h('button', { type: 'button', testid: 'replay-play', class: 'primary' }, 'Play');
  const speed = h('select', { testid: 'replay-speed' }, ...[1, 4, 16, 60].map((n) => h('option', { value: n }, `${n}×`)));
  const track = h('div', { class: 'replay-track', testid: 'replay-runs', 'aria-label': 'Runs' });
  const output = h('pre', { class: 'output', testid: 'replay-output', hidden: true });
  const list = h('ol', { class: 'replay-events', testid: 'replay-events' });

  const seek = (offset: number) => {
    const clamped = Math.max(0, Math.min(end - start, offset));
    slider.value = String(clamped);
    show();
  };
  function show(): void {
    const at = start + Number(slider.value);
    const text = replayer.textAt(at);
    if (view.state.doc.toString() !== text) view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    showLanguage(languageAt(at));
    time.textContent = `${clock(at - start)} / ${clock(end - start)} · ${replayer.countAt(at)} of ${replayer.edits.length} edits`;
    codeHost.dataset.edits = String(replayer.countAt(at));
  }
  slider.addEventListener('input', show);

  // Runs on the time line: where they were queued, coloured by their result.
  for (const e of events.filter((ev) => ev.type === 'execution-queued')) {
    const status = results.get(e.executionId) ?? 'no result';
    const offset = timeOf(e) - start;
    const marker = h('button', {
      type: 'button',
      testid: 'replay-run',
      class: `replay-run ${status === 'COMPLETED' ? 'ok' : status === 'no result' ? '' : 'bad'}`,
      style: `left: ${end > start ? (offset / (end - start)) * 100 : 0}%`,
      'data-status': status,
      'aria-label': `Run at ${clock(offset)} by ${who(e)}: ${status}`,
      title: `Run at ${clock(offset)} by ${who(e)}: ${status}`,
    });
    marker.addEventListener('click', () => {
      seek(offset);
      void showRun(e.executionId!);
    });
    track.append(marker);
  }
  async function showRun(executionId: string): Promise<void> {
    output.hidden = false;
    try {
      const ex = await sessionApi.execution(executionId);
      const summary = ex.summary ? ` · ${ex.summary.passed} of ${ex.summary.total} tests passed` : '';
      output.textContent = `${ex.status}${summary}\n${ex.compileOutput ?? ''}${ex.stdout ?? ''}${ex.stderr ?? ''}`;
    } catch (err) {
      output.textContent = `The run could not be read: ${(err as Error).message}`;
    }
  }

  // The events beside the code (edits are the code itself, not listed).
  const describe = (e: TimelineEvent): string | undefined => {
    switch (e.type) {
      case 'user-joined': return `${who(e)} joined`;
      case 'user-left': return `${who(e)} left`;
      case 'language-changed': return `${who(e)} switched to ${String(e.to)}`;
      case 'execution-queued': return `${who(e)} ran the code (${results.get(e.executionId) ?? 'no result'})`;
      case 'snapshot-restored': return `${who(e)} restored a snapshot`;
      case 'activity': return `${who(e)}'s browser reported ${e.kind === 'paste' ? `a paste of ${e.chars ?? '?'} characters` : e.kind === 'focus-lost' ? 'leaving the page' : 'coming back'}`;
      case 'session-ended': return 'The session ended';
      default: return undefined;
    }
  };
  for (const e of events) {
    const text = describe(e);
    if (!text) continue;
    const jump = h('button', { type: 'button', class: 'link' }, clock(timeOf(e) - start));
    jump.addEventListener('click', () => seek(timeOf(e) - start));
    list.append(h('li', { 'data-type': e.type }, jump, ` ${text}`));
  }

  // Play: advance at the chosen speed, skipping idle stretches; pause at the end.
  let timer: ReturnType<typeof setInterval> | undefined;
  const pause = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
    play.textContent = 'Play';
  };
  const eventTimes = [...new Set(events.map(timeOf))].sort((a, b) => a - b);
  play.addEventListener('click', () => {
    if (timer) return pause();
    if (Number(slider.value) >= end - start) seek(0);
    play.textContent = 'Pause';
    timer = setInterval(() => {
      const now = start + Number(slider.value);
      let next = now + TICK_MS * Number(speed.value);
      const upcoming = eventTimes.find((t) => t > now);
      if (upcoming !== undefined && upcoming - now > SKIP_IDLE_MS) next = Math.max(next, upcoming - 1_000);
      seek(next - start);
      if (next >= end) pause();
    }, TICK_MS);
  });

  const extras: HTMLElement[] = [];
  const [notes, question] = await Promise.all([sessionApi.notes().catch(() => undefined), sessionApi.question().catch(() => undefined)]);
  if (question) {
    const prompt = h('div', { class: 'prompt' });
    prompt.append(renderMarkdown(question.prompt));
    extras.push(h('section', { class: 'panel' }, h('h2', {}, `Question: ${question.title}`), prompt));
  }
  if (notes?.notes) extras.push(h('section', { class: 'panel' }, h('h2', {}, 'Interviewers’ notes'), h('pre', { class: 'notes-text', testid: 'replay-notes' }, notes.notes)));

  progress.remove();
  root.append(
    h(
      'main',
      { class: 'room replay' },
      h('section', { class: 'editor-wrap replay-main', 'aria-label': 'Replay' },
        h('div', { class: 'row' }, play, field('replay-speed', 'Speed', speed), time),
        field('replay-slider', 'Moment', slider),
        track,
        codeHost,
      ),
      h('aside', { class: 'side' }, h('section', { class: 'panel' }, h('h2', {}, 'What happened'), list, output), ...extras),
    ),
  );
  show();
}
