/**
 * Questions, test runs and the interviewer's controls in a real browser (docs/protocol.md §8, §9): the interviewer
 * attaches a question written in the room, the candidate sees its prompt and starter code (and hidden
 * tests by name only), solves it, runs the tests, and both pages show the verdicts; then the interviewer
 * locks the editor and turns runs off, and the candidate's page cannot type or run.
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { api, codeOf, createSession, httpUrl, operatorKey, until, type NewSession } from '../client/support.js';
import { codeMirrorText, launchBrowser, openRoom, recordFrames, sharedText, type LaunchedBrowser } from './browser.js';

const HIDDEN_STDIN = '40 2 hidden-input-7f3a';
const HIDDEN_EXPECTED = '42';
const STARTER = 'import sys\n# read two integers, print their sum\n';
const SOLUTION = 'import sys\na, b = map(int, sys.stdin.read().split()[:2])\nprint(a + b)\n';
// The prompt tries to inject markup and a script link: the page must show them as text, not run them.
const PROMPT = 'Read two integers and print their **sum**.\n\n<img src=x onerror="window.__pwned=1">\n\n[a link](javascript:window.__pwned=2)\n\n```\n2 3 -> 5\n```';

let chrome: LaunchedBrowser;
let interviewerContext: BrowserContext;
let candidateContext: BrowserContext;
let interviewer: Page;
let candidate: Page;
let session: NewSession;
let candidateFrames: string[] = [];

const verdicts = (page: Page) => page.getByTestId('verdict').evaluateAll((els) => els.map((el) => el.getAttribute('data-status')));
const editor = (page: Page) => page.locator('[data-testid=editor] .cm-content');
/**
 * The verdict of every test and the run's summary line, read together: the verdicts come with each
 * test-result, the summary with execution-finished after the last of them, which a busy machine may
 * deliver a while later. `allInnerTexts` does not wait for the element, so each poll reads the page as it is.
 */
const testRun = async (page: Page) => ({ verdicts: await verdicts(page), summary: await page.getByTestId('tests-summary').allInnerTexts() });

beforeAll(async () => {
  chrome = await launchBrowser();
  interviewerContext = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
  candidateContext = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
  // The operator key lives in the interviewer's browser (entered on the start page): the bank needs it.
  await interviewerContext.addInitScript(`localStorage.setItem('operator-key', ${JSON.stringify(operatorKey())})`);
  session = await createSession({ language: 'python', title: 'Sum of two' });
  interviewer = await openRoom(interviewerContext, httpUrl(), session.sessionId, session.interviewerToken);
  candidate = await candidateContext.newPage();
  candidateFrames = recordFrames(candidate);
  await candidate.goto(`${httpUrl()}/s/${session.sessionId}#token=${session.candidateToken}`);
  await candidate.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor({ timeout: 60_000 });
});
afterAll(async () => {
  await chrome?.close();
});

describe('a question in the room', () => {
  it('the interviewer attaches a question; the candidate sees the prompt (as text), the starter code, hidden tests by name only', async () => {
    await expect.poll(() => candidate.getByTestId('question').innerText(), { timeout: 30_000 }).toContain('No question yet');
    expect(await candidate.getByTestId('run-tests').isVisible()).toBe(false);
    expect(await candidate.getByTestId('attach').count()).toBe(0); // attaching is the interviewer's

    await interviewer.getByTestId('attach').locator('summary').click();
    await interviewer.getByTestId('question-title-input').fill('Sum of two');
    await interviewer.getByTestId('question-prompt-input').fill(PROMPT);
    await interviewer.getByTestId('question-starter-input').fill(STARTER);
    const rows = interviewer.getByTestId('test-row');
    await rows.first().waitFor();
    await rows.nth(0).locator('[data-part=name]').fill('small');
    await rows.nth(0).locator('[data-part=stdin]').fill('2 3\n');
    await rows.nth(0).locator('[data-part=expected]').fill('5\n');
    await interviewer.getByTestId('add-test').click();
    await rows.nth(1).locator('[data-part=name]').fill('secret');
    await rows.nth(1).locator('[data-part=stdin]').fill(HIDDEN_STDIN);
    await rows.nth(1).locator('[data-part=expected]').fill(HIDDEN_EXPECTED);
    await rows.nth(1).locator('[data-part=hidden]').check();
    // Every control of the interviewer's page, the form included, has a label.
    const unlabelled = await interviewer.evaluate(`[...document.querySelectorAll('input, select, textarea, button')]
      .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.textContent.trim())
      .map((el) => el.outerHTML)`);
    expect(unlabelled).toEqual([]);
    await interviewer.getByTestId('attach-question').click();

    for (const page of [candidate, interviewer]) {
      await expect.poll(() => page.getByTestId('question-title').innerText(), { timeout: 30_000 }).toBe('Sum of two');
      await expect.poll(() => page.getByTestId('test-case').count(), { timeout: 30_000 }).toBe(2);
      // The document was empty: it became the starter code of the session's language.
      await until(async () => (await codeMirrorText(page, 'editor')) === STARTER, 'the starter code in the editor');
    }
    const prompt = candidate.getByTestId('question-prompt');
    expect(await prompt.locator('strong').innerText()).toBe('sum');
    expect(await prompt.innerText()).toContain('<img src=x onerror=');
    expect(await prompt.locator('img, script, a[href^="javascript"]').count()).toBe(0);
    expect(await candidate.evaluate('window.__pwned')).toBeUndefined();

    // Hidden test: by name only, nowhere in the candidate's page or in any frame it received.
    const hiddenRow = candidate.getByTestId('test-case').filter({ hasText: 'secret' });
    expect(await hiddenRow.innerText()).toContain('hidden');
    expect(await hiddenRow.locator('details').count()).toBe(0);
    expect(await candidate.content()).not.toContain('hidden-input-7f3a');
    expect(await interviewer.getByTestId('test-case').filter({ hasText: 'secret' }).locator('details').textContent()).toContain(HIDDEN_STDIN);
  });

  it('the candidate solves it and runs the tests: both pages show a verdict per test', async () => {
    await editor(candidate).click();
    await candidate.keyboard.press('Control+A');
    await candidate.keyboard.insertText(SOLUTION);
    await until(async () => (await codeOf(session.sessionId, session.candidateToken)) === SOLUTION, 'the solution is stored');
    await candidate.getByTestId('run-tests').click();
    for (const page of [candidate, interviewer]) {
      await expect.poll(() => testRun(page), { timeout: 120_000 }).toEqual({ verdicts: ['PASSED', 'PASSED'], summary: ['2 of 2 tests passed'] });
    }
    if (process.env.UPDATE_SCREENSHOTS) {
      mkdirSync('docs/images', { recursive: true });
      await interviewer.screenshot({ path: 'docs/images/question-interviewer.png' });
      await candidate.screenshot({ path: 'docs/images/question-candidate.png' });
    }

    // A wrong answer: the visible test fails with its output shown, the hidden one fails by name only.
    await editor(candidate).click();
    await candidate.keyboard.press('Control+A');
    await candidate.keyboard.insertText(SOLUTION.replace('a + b', 'a * b'));
    await until(async () => (await codeOf(session.sessionId, session.candidateToken)).includes('a * b'), 'the wrong program is stored');
    await candidate.getByTestId('run-tests').click();
    for (const page of [candidate, interviewer]) {
      await expect.poll(() => testRun(page), { timeout: 120_000 }).toEqual({ verdicts: ['FAILED', 'FAILED'], summary: ['0 of 2 tests passed'] });
    }
    expect(await candidate.getByTestId('test-case').first().locator('details').textContent()).toContain('6');
    expect(await candidate.content()).not.toContain('hidden-input-7f3a');
    expect(candidateFrames.length).toBeGreaterThan(0);
    for (const frame of candidateFrames) expect(frame).not.toContain('hidden-input-7f3a');
  });

  it('the interviewer locks the editor and turns runs off: the candidate cannot type or run; unlocking gives both back', async () => {
    const before = await codeOf(session.sessionId, session.candidateToken);
    await interviewer.getByTestId('lock-editing').check();
    await expect.poll(() => candidate.getByTestId('controls-state').innerText(), { timeout: 30_000 }).toContain('locked the editor');
    expect(await editor(candidate).getAttribute('contenteditable')).toBe('false');
    await editor(candidate).click();
    await candidate.keyboard.type('# typed while locked');
    expect(await codeMirrorText(candidate, 'editor')).not.toContain('typed while locked');
    expect(await sharedText(candidate)).not.toContain('typed while locked');

    await interviewer.getByTestId('disable-runs').check();
    await expect.poll(() => candidate.getByTestId('controls-state').innerText(), { timeout: 30_000 }).toContain('turned runs off');
    expect(await candidate.getByTestId('run').isDisabled()).toBe(true);
    expect(await candidate.getByTestId('run-tests').isDisabled()).toBe(true);
    // The interviewer is never locked out.
    expect(await interviewer.getByTestId('run-tests').isDisabled()).toBe(false);
    expect(await editor(interviewer).getAttribute('contenteditable')).toBe('true');
    expect(await codeOf(session.sessionId, session.candidateToken)).toBe(before);

    // A reload keeps the state (read from the session, not only from the live message).
    await candidate.reload();
    await candidate.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor({ timeout: 60_000 });
    await expect.poll(() => candidate.getByTestId('controls-state').innerText(), { timeout: 30_000 }).toContain('locked the editor');
    expect(await candidate.getByTestId('run').isDisabled()).toBe(true);

    // One change at a time: every session-updated carries both controls as they were at its own write, so
    // two PATCHes in flight together may reach the candidate in either order on a busy machine.
    await interviewer.getByTestId('lock-editing').uncheck();
    await expect.poll(() => editor(candidate).getAttribute('contenteditable'), { timeout: 30_000 }).toBe('true');
    await interviewer.getByTestId('disable-runs').uncheck();
    await expect.poll(() => candidate.getByTestId('controls-state').isHidden(), { timeout: 30_000 }).toBe(true);
    expect(await editor(candidate).getAttribute('contenteditable')).toBe('true');
    expect(await candidate.getByTestId('run').isDisabled()).toBe(false);
    await editor(candidate).click();
    await candidate.keyboard.press('Control+End');
    await candidate.keyboard.type('# after the unlock');
    await until(async () => (await codeOf(session.sessionId, session.candidateToken)).includes('# after the unlock'), 'the edit after the unlock is stored');
  });

  it('a bank question picked on the start page comes with the new session, starter code in its language', async () => {
    const title = `Reverse a line ${Date.now()}`;
    const created = await api('POST', '/api/questions', operatorKey(), {
      title,
      prompt: 'Print the line **reversed**.',
      starterCode: { javascript: '// reverse the line\n', python: '# reverse the line\n' },
      tests: [{ name: 'abc', stdin: 'abc\n', expectedStdout: 'cba\n', hidden: false }],
    });
    expect(created.status).toBe(201);
    const home = await interviewerContext.newPage();
    await home.goto(`${httpUrl()}/`);
    await home.getByTestId('title').fill('With a bank question');
    await home.getByTestId('language').selectOption('javascript');
    await expect.poll(() => home.getByTestId('session-question').locator('option').allInnerTexts(), { timeout: 30_000 }).toContain(`${title} (1 tests)`);
    await home.getByTestId('session-question').selectOption({ label: `${title} (1 tests)` });
    await home.getByTestId('create').click();
    await home.waitForURL(/\/s\/[0-9a-f-]+#token=/);
    await expect.poll(() => home.getByTestId('question-title').innerText(), { timeout: 60_000 }).toBe(title);
    await until(async () => (await codeMirrorText(home, 'editor')) === '// reverse the line\n', 'the JavaScript starter code');
    await home.close();
  });
});
