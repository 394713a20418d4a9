/** The run panel: stdin, Run, and the live output with the final status (docs/protocol.md §6, §9). */
import type { Connection, ExecutionEvent, ExecutionResult } from '../../client/src/index.js';
import { api } from './api.js';
import type { AppConfig } from './config.js';
import { field, h } from './dom.js';

const FINAL_LABELS: Record<string, string> = {
  COMPLETED: 'Completed',
  FAILED: 'Failed',
  COMPILE_ERROR: 'Compile error',
  TIMEOUT: 'Time limit exceeded',
  MEMORY_LIMIT: 'Memory limit exceeded',
  OUTPUT_LIMIT: 'Output limit exceeded',
  SYSTEM_ERROR: 'System error',
};

/** Why a run did not start, in words (the code and the server's message are in the tooltip). */
const RUN_REFUSED: Record<string, string> = {
  RUNS_DISABLED: 'Runs are turned off by the interviewer',
  RATE_LIMIT_EXCEEDED: 'Too many runs: wait a few seconds and try again',
  BUSY: 'The runners are busy: try again in a moment',
  SESSION_EXPIRED: 'The session has ended',
};

export function runPanel(connection: Connection, config: AppConfig, token: string): { element: HTMLElement; setEnabled(on: boolean): void } {
  const stdin = h('textarea', { testid: 'stdin', rows: 3, spellcheck: false, placeholder: 'Input for the program' });
  const run = h('button', { type: 'button', testid: 'run', class: 'primary' }, 'Run');
  const status = h('span', { testid: 'status', class: 'run-status', role: 'status', 'aria-live': 'polite' }, 'Not run yet');
  const output = h('pre', { testid: 'output', class: 'output', tabIndex: 0, 'aria-label': 'Program output' });
  const meta = h('span', { class: 'muted' });

  // The run shown is the latest one anybody started; chunks are kept by seq (they may arrive out of order).
  let current: string | undefined;
  let enabled = false;
  let chunks = new Map<number, { stream: string; data: string }>();
  const render = () => {
    output.textContent = '';
    for (const seq of [...chunks.keys()].sort((a, b) => a - b)) {
      const chunk = chunks.get(seq)!;
      output.append(chunk.stream === 'stderr' ? h('span', { class: 'stderr' }, chunk.data) : chunk.data);
    }
  };
  const showFinal = (execution: ExecutionResult) => {
    output.textContent = '';
    if (execution.compileOutput) output.append(h('span', { class: 'stderr' }, execution.compileOutput));
    output.append(execution.stdout ?? '');
    if (execution.stderr) output.append(h('span', { class: 'stderr' }, execution.stderr));
    // A test run's verdicts are in the question panel; say so here rather than show an empty output.
    if (execution.summary) output.append(`Tests: ${execution.summary.passed} of ${execution.summary.total} passed (details in the question panel)\n`);
    const cut = [execution.truncated?.stdout && 'stdout', execution.truncated?.stderr && 'stderr'].filter(Boolean);
    if (cut.length) output.append(h('span', { class: 'note', testid: 'output-truncated' }, `\n[${cut.join(' and ')} cut: only the first 32 KiB of each stream is kept]\n`));
    // The code stays as the contract names it (scripts read it); the words say what it means.
    status.textContent = execution.status;
    status.title = FINAL_LABELS[execution.status] ?? execution.status;
    status.className = `run-status ${execution.status === 'COMPLETED' ? 'ok' : 'bad'}`;
    meta.textContent = [FINAL_LABELS[execution.status], execution.durationMs !== undefined ? `${execution.durationMs} ms` : ''].filter(Boolean).join(' · ');
  };

  connection.on('execution', (event: ExecutionEvent) => {
    if (event.type === 'queued') {
      current = event.executionId;
      chunks = new Map();
      render();
      status.textContent = 'QUEUED';
      status.className = 'run-status';
      meta.textContent = '';
      return;
    }
    const id = event.type === 'finished' ? event.execution.executionId : event.executionId;
    if (current && id !== current) return;
    current = id;
    if (event.type === 'started') status.textContent = 'RUNNING';
    else if (event.type === 'output') {
      chunks.set(event.seq, { stream: event.stream, data: event.data });
      render();
    } else if (event.type === 'finished') {
      const execution = event.execution;
      if (execution.resultUrl) {
        void api<ExecutionResult>(config, 'GET', execution.resultUrl, token).then(showFinal, () => showFinal(execution));
      } else showFinal(execution);
      run.disabled = !enabled;
    }
  });

  run.addEventListener('click', () => {
    try {
      connection.run({ stdin: stdin.value });
      status.textContent = 'Sending…';
    } catch (err) {
      status.textContent = (err as Error).message;
    }
  });
  connection.on('error', (error) => {
    if (error.action === 'run-code') {
      status.textContent = RUN_REFUSED[error.code] ?? error.message;
      status.title = `${error.code}: ${error.message}`;
      status.className = 'run-status bad';
      meta.textContent = '';
    }
  });

  const element = h(
    'section',
    { class: 'panel run', 'aria-labelledby': 'run-heading' },
    h('h2', { id: 'run-heading' }, 'Run'),
    field('stdin', 'Standard input', stdin),
    h('div', { class: 'row' }, run, status, meta),
    h('h3', {}, 'Output'),
    output,
  );
  return {
    element,
    setEnabled(on) {
      enabled = on;
      run.disabled = !on;
    },
  };
}
