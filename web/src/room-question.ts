/**
 * The question panel (docs/protocol.md §8, §9): the prompt (Markdown, rendered safely), the tests with their live
 * verdicts, and Run tests. A candidate sees hidden tests by name only (the server sends nothing more);
 * the interviewer also sees each visible test's input and expected output, and can attach a question.
 */
import type { Connection, ExecutionEvent, ExecutionResult, Question, SessionApi, TestResult } from '../../client/src/index.js';
import { clear, h } from './dom.js';
import { renderMarkdown } from './markdown.js';

export interface QuestionPanel {
  element: HTMLElement;
  /** Reads the session's question (on join and after a reconnect: an update may have been missed). */
  load(): Promise<void>;
  setRunsEnabled(on: boolean): void;
  /** Where the interviewer's attach form goes. */
  attachSlot: HTMLElement;
}

const VERDICT_TEXT: Record<string, string> = {
  PASSED: 'Passed',
  FAILED: 'Wrong answer',
  TIMEOUT: 'Time limit',
  MEMORY_LIMIT: 'Memory limit',
  OUTPUT_LIMIT: 'Output limit',
  RUNTIME_ERROR: 'Runtime error',
  COMPILE_ERROR: 'Compile error',
};

export function questionPanel(connection: Connection, sessionApi: SessionApi): QuestionPanel {
  const body = h('div', { class: 'question-body' });
  const runTests = h('button', { type: 'button', testid: 'run-tests', class: 'primary', hidden: true }, 'Run tests');
  const summary = h('span', { testid: 'tests-summary', class: 'run-status', role: 'status', 'aria-live': 'polite' });
  const message = h('p', { class: 'message', role: 'alert' });
  const attachSlot = h('div', {});

  let question: Question | undefined;
  let enabled = false;
  /** The test run whose verdicts are shown: the latest anybody started. */
  let shown: string | undefined;
  let verdicts = new Map<number, TestResult>();
  let waitingForOurs = false;
  let inFlight: string | undefined;

  const updateButton = () => {
    runTests.hidden = !question || question.tests.length === 0;
    runTests.disabled = !enabled || waitingForOurs || inFlight !== undefined;
  };

  const render = () => {
    clear(body);
    if (!question) {
      body.append(h('p', { class: 'muted', testid: 'no-question' }, 'No question yet.'));
      updateButton();
      return;
    }
    const prompt = h('div', { class: 'prompt', testid: 'question-prompt' });
    prompt.append(renderMarkdown(question.prompt));
    const tests = h('ol', { class: 'tests', testid: 'tests', 'aria-label': 'Tests' });
    question.tests.forEach((test, index) => {
      const verdict = verdicts.get(index);
      const status = verdict?.status;
      const row = h(
        'li',
        { testid: 'test-case', 'data-name': test.name },
        h('span', { class: 'test-name' }, test.name),
        test.hidden ? h('span', { class: 'badge', title: 'Its input and expected output are not shown to the candidate' }, 'hidden') : null,
        h(
          'span',
          { testid: 'verdict', class: `verdict ${status === 'PASSED' ? 'ok' : status && status !== 'QUEUED' && status !== 'RUNNING' ? 'bad' : ''}`, 'data-status': status ?? '' },
          status ? `${VERDICT_TEXT[status] ?? status}${verdict && verdict.durationMs >= 0 && status !== 'QUEUED' && status !== 'RUNNING' ? ` · ${verdict.durationMs} ms` : ''}` : '',
        ),
      );
      const detail = testDetail(test, verdict);
      if (detail) row.append(detail);
      tests.append(row);
    });
    body.append(h('h3', { testid: 'question-title' }, question.title), prompt);
    if (question.tests.length) body.append(h('h3', {}, 'Tests'), tests);
    updateButton();
  };

  const pending = (status: 'QUEUED' | 'RUNNING') => {
    verdicts = new Map(question?.tests.map((t, index) => [index, { name: t.name, hidden: t.hidden, status, durationMs: -1 }]) ?? []);
  };

  const finished = (execution: ExecutionResult) => {
    if (execution.executionId === inFlight) inFlight = undefined;
    if (!execution.tests) return updateButton(); // a plain run
    shown = execution.executionId;
    verdicts = new Map(execution.tests.map((t, index) => [index, t]));
    const s = execution.summary ?? { passed: execution.tests.filter((t) => t.status === 'PASSED').length, total: execution.tests.length };
    summary.textContent = execution.status === 'COMPILE_ERROR' ? 'Compile error' : `${s.passed} of ${s.total} tests passed`;
    summary.className = `run-status ${s.passed === s.total && execution.status === 'COMPLETED' ? 'ok' : 'bad'}`;
    render();
  };

  connection.on('execution', (event: ExecutionEvent) => {
    if (event.type === 'queued' && waitingForOurs && event.userId === connection.userId) {
      waitingForOurs = false;
      shown = inFlight = event.executionId;
      pending('QUEUED');
      summary.textContent = 'Queued…';
      summary.className = 'run-status';
      render();
    } else if (event.type === 'started' && event.executionId === shown) {
      pending('RUNNING');
      summary.textContent = 'Running…';
      render();
    } else if (event.type === 'test-result') {
      if (event.executionId !== shown) {
        // Somebody else's test run: show it from its first verdict on.
        shown = event.executionId;
        pending('RUNNING');
        summary.textContent = 'Running…';
        summary.className = 'run-status';
      }
      const { type: _type, executionId: _id, index, ...result } = event;
      verdicts.set(index, result);
      render();
    } else if (event.type === 'finished') {
      finished(event.execution);
    }
  });
  connection.on('error', (error) => {
    if (error.action !== 'run-code' || !waitingForOurs) return;
    waitingForOurs = false;
    summary.textContent = error.code === 'RUNS_DISABLED' ? 'Runs are turned off by the interviewer' : error.message;
    summary.className = 'run-status bad';
    updateButton();
  });
  connection.on('question', (q) => {
    question = q;
    verdicts = new Map(); // the tests may have changed: old verdicts would point at the wrong rows
    summary.textContent = '';
    render();
  });

  runTests.addEventListener('click', () => {
    try {
      connection.run({ mode: 'tests' });
      waitingForOurs = true;
      summary.textContent = 'Sending…';
      summary.className = 'run-status';
    } catch (err) {
      summary.textContent = (err as Error).message;
    }
    updateButton();
  });

  async function load(): Promise<void> {
    // A (re)connect: a result missed while away is not coming; Run tests must not stay disabled for it.
    waitingForOurs = false;
    inFlight = undefined;
    try {
      question = await sessionApi.question();
      message.textContent = '';
    } catch (err) {
      message.textContent = `The question could not be read: ${(err as Error).message}`;
    }
    render();
  }

  render();
  const element = h(
    'section',
    { class: 'panel question', testid: 'question', 'aria-labelledby': 'question-heading' },
    h('h2', { id: 'question-heading' }, 'Question'),
    body,
    h('div', { class: 'row' }, runTests, summary),
    message,
    attachSlot,
  );
  return {
    element,
    load,
    attachSlot,
    setRunsEnabled(on) {
      enabled = on;
      updateButton();
    },
  };
}

/** A test's input, expected and actual output, when this role may see them (the server decides). */
function testDetail(test: Question['tests'][number], verdict: TestResult | undefined): HTMLElement | undefined {
  const parts: HTMLElement[] = [];
  const block = (label: string, text: string | undefined) => {
    if (text === undefined) return;
    parts.push(h('div', { class: 'io' }, h('span', { class: 'muted' }, label), h('pre', {}, text || '(empty)')));
  };
  block('Input', test.stdin);
  block('Expected output', test.expectedStdout ?? verdict?.expectedStdout);
  if (verdict && verdict.status !== 'PASSED') {
    block('Output', verdict.stdout);
    if (verdict.stderr) block('Errors', verdict.stderr);
  }
  if (parts.length === 0) return undefined;
  return h('details', {}, h('summary', {}, 'Details'), ...parts);
}
