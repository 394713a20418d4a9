/**
 * The interviewer's room in a real browser (docs/protocol.md §10): private notes that a second interviewer sees live
 * and the candidate's page never gets; the candidate's paste and focus loss in the interviewer's activity
 * feed; a review link whose replay page moves the code back and forth in time with the runs on it.
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { api, codeOf, createSession, httpUrl, until, type NewSession } from '../client/support.js';
import { codeMirrorText, connected, launchBrowser, openRoom, recordFrames, type LaunchedBrowser } from './browser.js';

const NOTES = 'Strong on recursion; ask about tests. NOTE-5d1e';
const FIRST = 'print("first version")\n';
const SECOND = 'print("second version, longer")\n';

let chrome: LaunchedBrowser;
let contexts: BrowserContext[] = [];
let interviewer: Page;
let panelist: Page;
let candidate: Page;
let session: NewSession;
let candidateFrames: string[] = [];

const editor = (page: Page) => page.locator('[data-testid=editor] .cm-content');

beforeAll(async () => {
  chrome = await launchBrowser();
  contexts = await Promise.all([0, 1, 2, 3].map(() => chrome.browser.newContext({ viewport: { width: 1280, height: 900 } })));
  session = await createSession({ language: 'python', title: 'Notes and replay' });
  interviewer = await openRoom(contexts[0]!, httpUrl(), session.sessionId, session.interviewerToken);
  panelist = await openRoom(contexts[1]!, httpUrl(), session.sessionId, session.interviewerToken);
  candidate = await contexts[2]!.newPage();
  candidateFrames = recordFrames(candidate);
  await candidate.goto(`${httpUrl()}/s/${session.sessionId}#token=${session.candidateToken}`);
  await candidate.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor({ timeout: 60_000 });
});
afterAll(async () => {
  await chrome?.close();
});

describe("the interviewer's room", () => {
  it("notes reach the second interviewer live and never the candidate's page", async () => {
    expect(await candidate.getByTestId('notes').count()).toBe(0);
    expect(await candidate.getByTestId('activity').count()).toBe(0);
    await interviewer.locator('[data-testid=notes] .cm-content').click();
    await interviewer.keyboard.type(NOTES);
    await until(async () => (await codeMirrorText(panelist, 'notes')) === NOTES, 'the notes in the second interviewer’s page');
    await until(async () => (await api('GET', `/api/sessions/${session.sessionId}/notes`, session.interviewerToken)).body?.notes === NOTES, 'GET /notes');
    // The panelist answers in the same notes; the first interviewer sees it.
    await panelist.locator('[data-testid=notes] .cm-content').click();
    await panelist.keyboard.press('Control+End');
    await panelist.keyboard.type(' +1');
    await until(async () => (await codeMirrorText(interviewer, 'notes')) === `${NOTES} +1`, 'the panelist’s words in the first page');

    // Meanwhile the candidate edits code: its connection is live and receives everything it may receive.
    await editor(candidate).click();
    await candidate.keyboard.press('Control+A'); // over the language's template
    await candidate.keyboard.insertText(FIRST);
    await until(async () => (await codeMirrorText(interviewer, 'editor')) === FIRST, 'the candidate’s code reaches the interviewer');
    expect(await candidate.content()).not.toContain('NOTE-5d1e');
    expect(await candidate.evaluate('window.interviewConnection.notes.toString()')).toBe('');
    expect(candidateFrames.length).toBeGreaterThan(0);
    for (const frame of candidateFrames) expect(frame).not.toContain('NOTE-5d1e');
  });

  it("the candidate's paste and leaving the page appear in the interviewer's feed, said to be reported by the browser", async () => {
    expect(await interviewer.getByTestId('activity-disclaimer').innerText()).toContain('Reported by the candidate’s browser');
    const pasted = '# pasted from somewhere\n'.repeat(5); // 120 characters
    await editor(candidate).click();
    await candidate.keyboard.press('Control+End');
    // A real paste event with clipboard data, as the browser fires it (CodeMirror inserts the text).
    await candidate.evaluate(`(() => {
      const data = new DataTransfer();
      data.setData('text/plain', ${JSON.stringify(pasted)});
      document.querySelector('[data-testid=editor] .cm-content').dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    })()`);
    await expect.poll(() => interviewer.getByTestId('activity').innerText(), { timeout: 30_000 }).toContain(`pasted ${pasted.length} characters`);
    await until(async () => (await codeOf(session.sessionId, session.candidateToken)).includes('# pasted from somewhere'), 'the pasted text is in the document');

    await candidate.evaluate("window.dispatchEvent(new Event('blur'))");
    await expect.poll(() => interviewer.getByTestId('activity').innerText(), { timeout: 30_000 }).toContain('left the page');
    await candidate.evaluate("window.dispatchEvent(new Event('focus'))");
    await expect.poll(() => interviewer.getByTestId('activity').innerText(), { timeout: 30_000 }).toContain('came back');
    // The second interviewer's feed too (its relay is a separate post, which may come a moment later).
    await expect.poll(() => panelist.getByTestId('activity').innerText(), { timeout: 30_000 }).toContain(`pasted ${pasted.length} characters`);
    // A reloaded page shows what was reported before it opened (read from the history).
    await interviewer.reload();
    await connected(interviewer);
    await expect.poll(() => interviewer.getByTestId('activity').innerText(), { timeout: 30_000 }).toContain(`pasted ${pasted.length} characters`);
    expect(await interviewer.getByTestId('activity').innerText()).toContain('left the page');
  });

  it('a review link opens the replay: the slider moves the code back and forth, runs are on the time line', async () => {
    // Two runs of two versions of the program.
    for (const program of [FIRST, SECOND]) {
      await editor(candidate).click();
      await candidate.keyboard.press('Control+A');
      await candidate.keyboard.insertText(program);
      await until(async () => (await codeOf(session.sessionId, session.candidateToken)) === program, 'the program is stored');
      await candidate.getByTestId('run').click();
      await expect.poll(() => candidate.getByTestId('status').innerText(), { timeout: 120_000 }).toBe('COMPLETED');
    }

    await interviewer.getByTestId('review-link').click();
    const url = await until(async () => interviewer.getByTestId('review-link-url').inputValue(), 'the review link');
    expect(url).toMatch(new RegExp(`^${httpUrl()}/s/${session.sessionId}/replay#token=.+`));
    const reviewer = await contexts[3]!.newPage();
    await reviewer.goto(url);
    const slider = reviewer.getByTestId('replay-slider');
    await slider.waitFor({ timeout: 60_000 });
    const final = await codeOf(session.sessionId, session.interviewerToken);
    await until(async () => (await codeMirrorText(reviewer, 'replay-code')) === final, 'the replay ends at the current code');
    expect(await reviewer.getByTestId('replay-notes').innerText()).toContain('NOTE-5d1e'); // reviewers read notes

    // Back to the start: none of the candidate's programs yet (at most the session's template). Forward again: the current code.
    await slider.fill('0');
    await until(async () => {
      const start = await codeMirrorText(reviewer, 'replay-code');
      return !start.includes('version') && !start.includes('pasted') && start !== final;
    }, 'the code at the start');
    const max = (await slider.getAttribute('max'))!;
    await slider.fill(max);
    await until(async () => (await codeMirrorText(reviewer, 'replay-code')) === final, 'forward to the end again');

    // The two runs are on the time line with their results; each shows the code that run executed.
    const runs = reviewer.getByTestId('replay-run');
    expect(await runs.count()).toBe(2);
    expect(await runs.evaluateAll((els) => els.map((el) => el.getAttribute('data-status')))).toEqual(['COMPLETED', 'COMPLETED']);
    await runs.nth(0).click();
    await until(async () => (await codeMirrorText(reviewer, 'replay-code')) === FIRST, 'the first run’s code');
    expect(Number(await slider.inputValue())).toBeLessThan(Number(max));
    await expect.poll(() => reviewer.getByTestId('replay-output').innerText(), { timeout: 30_000 }).toContain('first version');
    await runs.nth(1).click();
    await until(async () => (await codeMirrorText(reviewer, 'replay-code')) === SECOND, 'the second run’s code');
    if (process.env.UPDATE_SCREENSHOTS) {
      mkdirSync('docs/images', { recursive: true });
      await reviewer.getByTestId('replay-output').filter({ hasText: 'second version' }).waitFor({ timeout: 30_000 });
      await reviewer.screenshot({ path: 'docs/images/replay.png' });
      await interviewer.screenshot({ path: 'docs/images/interviewer-room.png' });
    }

    // Play from the start runs the code forward by itself.
    await slider.fill('0');
    await reviewer.getByTestId('replay-speed').selectOption('60');
    await reviewer.getByTestId('replay-play').click();
    await until(async () => Number(await slider.inputValue()) > 0 && (await codeMirrorText(reviewer, 'replay-code')) !== '', 'playing moves forward', 60_000);
    await reviewer.getByTestId('replay-play').click(); // pause
  });
});
