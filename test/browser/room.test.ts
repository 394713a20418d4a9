/**
 * The web app in a real browser against the local stack (docs/protocol.md §9): an interviewer and a candidate in two
 * browser contexts hold an interview — typing at once, running code, going offline, ending the session.
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { codeOf, httpUrl, operatorKey, until } from '../client/support.js';
import { editorText, launchBrowser, sharedText, type LaunchedBrowser } from './browser.js';

let chrome: LaunchedBrowser;
let interviewerContext: BrowserContext;
let candidateContext: BrowserContext;
let interviewer: Page;
let candidate: Page;
let sessionId = '';
let candidateToken = '';

const connected = (page: Page) => page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor({ timeout: 60_000 });

beforeAll(async () => {
  chrome = await launchBrowser();
  interviewerContext = await chrome.browser.newContext({ viewport: { width: 1280, height: 800 } });
  candidateContext = await chrome.browser.newContext({ viewport: { width: 1280, height: 800 } });
});
afterAll(async () => {
  await chrome?.close();
});

describe('an interview in the browser', () => {
  it('the interviewer creates a session on the home page; the candidate opens the link; both type at once', async () => {
    interviewer = await interviewerContext.newPage();
    await interviewer.goto(`${httpUrl()}/`);
    await interviewer.getByTestId('operator-key').fill(operatorKey());
    await interviewer.getByTestId('title').fill('Pairing with Ada');
    await interviewer.getByTestId('language').selectOption('javascript');
    await interviewer.getByTestId('create').click();
    await interviewer.waitForURL(/\/s\/[0-9a-f-]+#token=/);
    await connected(interviewer);
    const link = await interviewer.getByTestId('candidate-link').inputValue();
    expect(link).toMatch(new RegExp(`^${httpUrl()}/s/[0-9a-f-]+#token=.+`));
    sessionId = new URL(link).pathname.split('/')[2]!;
    candidateToken = new URLSearchParams(new URL(link).hash.slice(1)).get('token')!;

    candidate = await candidateContext.newPage();
    await candidate.goto(link);
    await connected(candidate);
    await expect.poll(() => candidate.getByTestId('participants').innerText(), { timeout: 30_000 }).toContain('Interviewer');
    await expect.poll(() => interviewer.getByTestId('participants').innerText(), { timeout: 30_000 }).toContain('Candidate');

    // Clear the starter code, then each types 200 characters with real key events at its own end.
    await interviewer.locator('[data-testid=editor] .cm-content').click();
    await interviewer.keyboard.press('Control+A');
    await interviewer.keyboard.press('Delete');
    await interviewer.keyboard.type('// top\n\n// bottom\n');
    await until(async () => (await sharedText(candidate)).includes('// bottom'), 'the cleared document reaches the candidate');
    const mine = Array.from({ length: 20 }, (_, n) => `iv${String(n).padStart(2, '0')}_abcd `).join('');
    const theirs = Array.from({ length: 20 }, (_, n) => `cd${String(n).padStart(2, '0')}_wxyz `).join('');
    expect([mine.length, theirs.length]).toEqual([200, 200]);
    await interviewer.keyboard.press('Control+Home');
    await candidate.locator('[data-testid=editor] .cm-content').click();
    await candidate.keyboard.press('Control+End');
    await Promise.all([interviewer.keyboard.type(mine, { delay: 15 }), candidate.keyboard.type(theirs, { delay: 15 })]);

    await until(async () => {
      const [a, b] = await Promise.all([editorText(interviewer), editorText(candidate)]);
      return a === b && a.includes(mine) && a.includes(theirs);
    }, 'both editors identical with both texts', 60_000);
    await until(async () => (await codeOf(sessionId, candidateToken)) === (await editorText(interviewer)), 'GET /code equals the editors', 60_000);
    // Each sees the other's cursor with its name.
    await interviewer.locator('.cm-ySelectionInfo', { hasText: 'Candidate' }).waitFor({ timeout: 30_000 });
    await candidate.locator('.cm-ySelectionInfo', { hasText: 'Interviewer' }).waitFor({ timeout: 30_000 });

    // The home page keeps the operator key and lists the operator's sessions, linking back to the room.
    const home = await interviewerContext.newPage();
    await home.goto(`${httpUrl()}/`);
    expect(await home.getByTestId('operator-key').inputValue()).toBe(operatorKey());
    await expect.poll(() => home.getByTestId('sessions').innerText(), { timeout: 30_000 }).toContain('Pairing with Ada');
    expect(await home.getByTestId('sessions').locator('a', { hasText: 'Pairing with Ada' }).getAttribute('href')).toContain(`/s/${sessionId}#token=`);
    await home.close();
  });

  it('the candidate picks Python and runs a program reading stdin: both pages stream the output and COMPLETED', async () => {
    await candidate.getByTestId('language').selectOption('python');
    await expect.poll(() => interviewer.getByTestId('language').inputValue(), { timeout: 30_000 }).toBe('python');
    await candidate.locator('[data-testid=editor] .cm-content').click();
    await candidate.keyboard.press('Control+A');
    await candidate.keyboard.insertText('import sys\nfor line in sys.stdin:\n    print("hello, " + line.strip().upper())\n');
    await until(async () => (await codeOf(sessionId, candidateToken)).includes('hello, '), 'the program is stored');
    await candidate.getByTestId('stdin').fill('ada\nbob\n');
    await candidate.getByTestId('run').click();
    for (const page of [candidate, interviewer]) {
      await expect.poll(() => page.getByTestId('status').innerText(), { timeout: 90_000 }).toBe('COMPLETED');
      await expect.poll(() => page.getByTestId('output').innerText()).toBe('hello, ADA\nhello, BOB\n');
    }
    if (process.env.UPDATE_SCREENSHOTS) await screenshots();
  });

  it('the candidate goes offline, keeps typing, comes back: the text arrives everywhere', async () => {
    await candidateContext.setOffline(true);
    await candidate.getByTestId('connection').filter({ hasText: 'Offline' }).waitFor({ timeout: 30_000 });
    await candidate.locator('[data-testid=editor] .cm-content').click();
    await candidate.keyboard.press('Control+End');
    await candidate.keyboard.type('# written offline 42');
    expect(await editorText(candidate)).toContain('# written offline 42');
    expect(await codeOf(sessionId, candidateToken)).not.toContain('# written offline 42');
    await candidateContext.setOffline(false);
    await connected(candidate);
    await until(async () => (await editorText(interviewer)).includes('# written offline 42'), 'the offline text reaches the interviewer', 60_000);
    await until(async () => (await codeOf(sessionId, candidateToken)).includes('# written offline 42'), 'and the server', 30_000);
    expect(await editorText(candidate)).toBe(await editorText(interviewer));
  });

  it('works on a 390-px-wide phone and by keyboard: nothing overflows, every control is labelled', async () => {
    await candidate.setViewportSize({ width: 390, height: 844 });
    expect(await candidate.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    const unlabelled = await candidate.evaluate(`[...document.querySelectorAll('input, select, textarea, button')]
      .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.textContent.trim())
      .map((el) => el.outerHTML)`);
    expect(unlabelled).toEqual([]);
    expect(await candidate.getAttribute('[data-testid=editor] .cm-content', 'aria-label')).toBe('Shared code editor');
    await candidate.getByTestId('stdin').focus();
    await candidate.keyboard.press('Tab');
    expect(await candidate.evaluate('document.activeElement.dataset.testid')).toBe('run');
    await candidate.setViewportSize({ width: 1280, height: 800 });
  });

  it('the interviewer ends the session: both pages say so', async () => {
    interviewer.once('dialog', (dialog) => void dialog.accept());
    await interviewer.getByTestId('end-session').click();
    for (const page of [interviewer, candidate]) {
      await expect.poll(() => page.getByTestId('session-ended').innerText(), { timeout: 30_000 }).toContain('ended');
      await expect.poll(() => page.getByTestId('connection').innerText()).toContain('ended');
    }
  });
});

/** docs/images: the room at desktop size and on a phone (UPDATE_SCREENSHOTS=1 npm test). */
async function screenshots(): Promise<void> {
  mkdirSync('docs/images', { recursive: true });
  await interviewer.screenshot({ path: 'docs/images/room-desktop.png' });
  await candidate.setViewportSize({ width: 390, height: 844 });
  await expect.poll(() => candidate.locator('h1.title').innerText()).toBe('Pairing with Ada');
  await candidate.screenshot({ path: 'docs/images/room-phone.png', fullPage: true });
  await candidate.setViewportSize({ width: 1280, height: 800 });
}
