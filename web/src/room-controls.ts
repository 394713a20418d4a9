/**
 * The interviewer's controls (docs/protocol.md §3 PATCH, §8): lock the editor and turn runs off for the candidate.
 * The server enforces both; the page shows them to everyone and disables the candidate's inputs.
 */
import type { Connection, SessionApi } from '../../client/src/index.js';
import { h } from './dom.js';

export interface ControlState {
  editingLocked: boolean;
  runsDisabled: boolean;
}

export interface Controls {
  /** The toggles (interviewer only). */
  toggles: HTMLElement;
  /** What is in force, said to everyone. */
  notice: HTMLElement;
  state: ControlState;
  set(state: Partial<ControlState>): void;
}

export function sessionControls(connection: Connection, sessionApi: SessionApi, onChange: (state: ControlState) => void): Controls {
  const state: ControlState = { editingLocked: false, runsDisabled: false };
  // What the interviewer asked for while its PATCH is in flight: news of an earlier change (a
  // session-updated, a re-read) must not flip the box back under the interviewer's hand meanwhile.
  const pending: Partial<ControlState> = {};
  const lock = h('input', { type: 'checkbox', testid: 'lock-editing', id: 'lock-editing' });
  const disable = h('input', { type: 'checkbox', testid: 'disable-runs', id: 'disable-runs' });
  const message = h('p', { class: 'message', role: 'alert' });
  const notice = h('p', { testid: 'controls-state', class: 'controls-state', role: 'status', 'aria-live': 'polite', hidden: true });

  const set = (next: Partial<ControlState>) => {
    if (typeof next.editingLocked === 'boolean') state.editingLocked = next.editingLocked;
    if (typeof next.runsDisabled === 'boolean') state.runsDisabled = next.runsDisabled;
    lock.checked = pending.editingLocked ?? state.editingLocked;
    disable.checked = pending.runsDisabled ?? state.runsDisabled;
    const candidate = connection.role !== 'interviewer';
    const parts = [
      state.editingLocked ? (candidate ? 'The interviewer has locked the editor.' : 'The editor is locked for the candidate.') : '',
      state.runsDisabled ? (candidate ? 'The interviewer has turned runs off.' : 'Runs are off for the candidate.') : '',
    ].filter(Boolean);
    notice.textContent = parts.join(' ');
    notice.hidden = parts.length === 0;
    onChange({ ...state });
  };

  const toggle = (input: HTMLInputElement, key: keyof ControlState) => {
    input.addEventListener('change', () => {
      const wanted = input.checked;
      pending[key] = wanted;
      input.disabled = true;
      message.textContent = '';
      void sessionApi
        .patch({ [key]: wanted })
        .then(
          (session) => {
            delete pending[key];
            set({ editingLocked: session.editingLocked, runsDisabled: session.runsDisabled });
          },
          (err: Error) => {
            delete pending[key];
            message.textContent = err.message;
            set({}); // back to what is in force
          },
        )
        .finally(() => {
          input.disabled = false;
        });
    });
  };
  toggle(lock, 'editingLocked');
  toggle(disable, 'runsDisabled');
  connection.on('session', (info) => set({ editingLocked: info.editingLocked, runsDisabled: info.runsDisabled }));

  const toggles = h(
    'fieldset',
    { class: 'controls' },
    h('legend', {}, 'Candidate controls'),
    h('label', { class: 'check', for: 'lock-editing' }, lock, ' Lock the editor'),
    h('label', { class: 'check', for: 'disable-runs' }, disable, ' Turn runs off'),
    message,
  );
  return { toggles, notice, state, set };
}
