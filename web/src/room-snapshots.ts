/** Snapshots: save the code with a label; the interviewer can restore one (docs/protocol.md §3). */
import { api, ApiError } from './api.js';
import type { AppConfig } from './config.js';
import { clear, h } from './dom.js';

interface Snapshot {
  snapshotId: string;
  label?: string;
  language: string;
  createdAt: string;
  size: number;
}

export function snapshotsPanel(config: AppConfig, sessionId: string, token: string, canRestore: () => boolean): { element: HTMLElement; refresh(): Promise<void> } {
  const base = `/api/sessions/${encodeURIComponent(sessionId)}/snapshots`;
  const list = h('ul', { testid: 'snapshots', class: 'snapshots' });
  const message = h('p', { class: 'message', role: 'alert' });
  const button = h('button', { type: 'button', testid: 'snapshot' }, 'Save snapshot');

  async function refresh(): Promise<void> {
    try {
      const { snapshots } = await api<{ snapshots: Snapshot[] }>(config, 'GET', base, token);
      clear(list);
      if (snapshots.length === 0) list.append(h('li', { class: 'muted' }, 'No snapshots yet.'));
      for (const s of snapshots) {
        const restore = canRestore()
          ? h('button', { type: 'button', class: 'small', 'aria-label': `Restore ${s.label ?? 'snapshot'}` }, 'Restore')
          : null;
        restore?.addEventListener('click', () => {
          void api(config, 'POST', `${base}/${encodeURIComponent(s.snapshotId)}/restore`, token).then(
            () => (message.textContent = `Restored “${s.label ?? s.snapshotId}”.`),
            (err: ApiError) => (message.textContent = err.message),
          );
        });
        list.append(h('li', {}, h('span', {}, s.label ?? 'Snapshot'), h('span', { class: 'muted' }, `${s.language} · ${new Date(s.createdAt).toLocaleTimeString()}`), restore));
      }
    } catch (err) {
      message.textContent = `Snapshots could not be read: ${(err as Error).message}`;
    }
  }

  button.addEventListener('click', () => {
    button.disabled = true;
    const label = `Snapshot ${new Date().toLocaleTimeString()}`;
    void api(config, 'POST', base, token, { label })
      .then(() => {
        message.textContent = '';
        return refresh();
      }, (err: ApiError) => (message.textContent = err.message))
      .finally(() => (button.disabled = false));
  });

  const element = h('section', { class: 'panel', 'aria-labelledby': 'snap-heading' }, h('h2', { id: 'snap-heading' }, 'Snapshots'), button, message, list);
  return { element, refresh };
}
