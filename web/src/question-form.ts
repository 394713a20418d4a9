/**
 * The interviewer's way to give the session a question (docs/protocol.md §8): pick one from the operator's bank
 * (read with the operator key this browser keeps from the start page), or write one here — optionally
 * saved to the bank too. `PUT /api/sessions/{id}/question` then reaches everyone as `question-updated`.
 */
import { HttpError, QuestionBank, type QuestionInput, type SessionApi } from '../../client/src/index.js';
import type { AppConfig } from './config.js';
import { clear, field, h } from './dom.js';

const KEY_STORAGE = 'operator-key';

export function attachQuestionForm(config: AppConfig, sessionApi: SessionApi, currentLanguage: () => string): HTMLElement {
  const message = h('p', { class: 'message', role: 'alert' });
  const status = h('p', { class: 'message ok', role: 'status', testid: 'attach-status' });
  // Attached: fold the form away (the question panel above now shows the question) and say so.
  const done = (text: string) => {
    message.textContent = '';
    status.textContent = text;
    details.open = false;
  };
  const failed = (err: unknown) => {
    status.textContent = '';
    message.textContent = describe(err);
  };
  const operatorKey = () => localStorage.getItem(KEY_STORAGE)?.trim() ?? '';

  // From the bank.
  const bankSelect = h('select', { testid: 'bank-question' });
  const attachBank = h('button', { type: 'button', testid: 'attach-bank' }, 'Attach');
  const bankNote = h('p', { class: 'muted' });
  const loadBank = async () => {
    clear(bankSelect);
    if (!operatorKey()) {
      bankNote.textContent = 'Enter the operator key on the start page to use the question bank.';
      attachBank.disabled = true;
      return;
    }
    try {
      const { questions } = await new QuestionBank(config.httpUrl, operatorKey()).list();
      for (const q of questions) bankSelect.append(h('option', { value: q.questionId }, `${q.title} (${q.testCount} tests)`));
      bankNote.textContent = questions.length ? '' : 'The bank is empty: write a question below.';
      attachBank.disabled = questions.length === 0;
    } catch (err) {
      bankNote.textContent = `The bank could not be read: ${describe(err)}`;
      attachBank.disabled = true;
    }
  };
  attachBank.addEventListener('click', () => {
    attachBank.disabled = true;
    void sessionApi
      .setQuestion({ questionId: bankSelect.value })
      .then((q) => done(`Attached “${q.title}”.`), failed)
      .finally(() => (attachBank.disabled = false));
  });

  // Written here.
  const title = h('input', { type: 'text', testid: 'question-title-input', maxLength: 200 });
  const prompt = h('textarea', { testid: 'question-prompt-input', rows: 5, placeholder: 'Markdown: `code`, **bold**, lists, ``` blocks' });
  const starter = h('textarea', { testid: 'question-starter-input', rows: 4, spellcheck: false });
  const starterLabel = h('span', {});
  const tests = h('div', { class: 'test-rows' });
  const addTest = h('button', { type: 'button', testid: 'add-test', class: 'small' }, 'Add test');
  const saveToBank = h('input', { type: 'checkbox', testid: 'save-to-bank' });
  const attachInline = h('button', { type: 'submit', testid: 'attach-question', class: 'primary' }, 'Attach question');

  let rows = 0;
  const testRow = () => {
    const n = ++rows;
    const row = h(
      'fieldset',
      { class: 'test-row', testid: 'test-row' },
      h('legend', {}, `Test ${n}`),
      field(`t${n}-name`, 'Name', h('input', { type: 'text', value: `test ${n}`, 'data-part': 'name' })),
      field(`t${n}-stdin`, 'Input (stdin)', h('textarea', { rows: 2, spellcheck: false, 'data-part': 'stdin' })),
      field(`t${n}-expected`, 'Expected output', h('textarea', { rows: 2, spellcheck: false, 'data-part': 'expected' })),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', 'data-part': 'hidden' }), ' Hidden from the candidate'),
    );
    const remove = h('button', { type: 'button', class: 'small', 'aria-label': `Remove test ${n}` }, 'Remove');
    remove.addEventListener('click', () => row.remove());
    row.append(remove);
    tests.append(row);
  };
  addTest.addEventListener('click', testRow);

  const read = (): QuestionInput => {
    const language = currentLanguage();
    const part = (row: Element, name: string) => row.querySelector<HTMLInputElement | HTMLTextAreaElement>(`[data-part=${name}]`)!;
    return {
      title: title.value.trim(),
      prompt: prompt.value,
      starterCode: starter.value ? { [language]: starter.value } : {},
      tests: [...tests.querySelectorAll('.test-row')].map((row) => ({
        name: part(row, 'name').value.trim(),
        stdin: part(row, 'stdin').value,
        expectedStdout: part(row, 'expected').value,
        hidden: (part(row, 'hidden') as HTMLInputElement).checked,
      })),
    };
  };

  const form = h(
    'form',
    { class: 'question-form', 'aria-label': 'Write a question' },
    field('question-title-input', 'Title', title),
    field('question-prompt-input', 'Prompt', prompt),
    field('question-starter-input', 'Starter code', starter),
    starterLabel,
    tests,
    addTest,
    h('label', { class: 'check' }, saveToBank, ' Also save it to the question bank'),
    attachInline,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    attachInline.disabled = true;
    const question = read();
    const attach = async () => {
      if (saveToBank.checked) {
        if (!operatorKey()) throw new Error('Saving to the bank needs the operator key (start page).');
        const saved = await new QuestionBank(config.httpUrl, operatorKey()).create(question);
        return sessionApi.setQuestion({ questionId: saved.questionId! });
      }
      return sessionApi.setQuestion(question);
    };
    void attach()
      .then((q) => done(`Attached “${q.title}”.`), failed)
      .finally(() => (attachInline.disabled = false));
  });

  const details = h(
    'details',
    { class: 'attach', testid: 'attach' },
    h('summary', {}, 'Attach a question'),
    h('h3', {}, 'From the bank'),
    field('bank-question', 'Question', bankSelect),
    attachBank,
    bankNote,
    h('h3', {}, 'Or write one'),
    form,
    message,
  );
  details.addEventListener('toggle', () => {
    if (details.open) status.textContent = '';
    if (!details.open) return;
    starterLabel.className = 'muted';
    starterLabel.textContent = `Starter code is for ${currentLanguage()}, the session's language now.`;
    if (rows === 0) testRow();
    void loadBank();
  });
  return h('div', {}, details, status);
}

function describe(err: unknown): string {
  if (err instanceof HttpError) {
    const details = Array.isArray(err.details) ? err.details.map((d: { path?: unknown; message?: string }) => `${[d.path].flat().join('.')}: ${d.message}`).join('; ') : '';
    return details ? `${err.message} (${details})` : err.message;
  }
  return (err as Error).message;
}
