/**
 * The room at its edges, in a real browser: opened after the session ended (the code, language, question,
 * and for the interviewer the notes and the replay are still there), links the server refuses, a snapshot
 * the other person saved, names on remote cursors that do not hide code at rest, a refused language change,
 * and a banner that does not push the room out of the window.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { api, createSession, httpUrl, until } from '../client/support.js';
import { codeMirrorText, connected, launchBrowser, openRoom, type LaunchedBrowser } from './browser.js';

let chrome: LaunchedBrowser;
const contexts: BrowserContext[] = [];
const fresh = async () => {
  const context = await chrome.browser.newContext({ viewport: { width: 1280, height: 800 } });
  contexts.push(context);
  return context;
};
const room = (sessionId: string, token: string) => `${httpUrl()}/s/${sessionId}#token=${encodeURIComponent(token)}`;
const editor = (page: Page) => page.locator('[data-testid=editor] .cm-content');

beforeAll(async () => {
  chrome = await launchBrowser();
});
afterAll(async () => {
  await chrome?.close();
});

describe('the room at its edges', () => {
  it('opened after the session ended: the code, language and question are there, read-only; the interviewer has the notes and the replay', async () => {
    const s = await createSession({ language: 'go', title: 'Ended before you came' });
    const code = 'package main\n\nfunc main() { println("ENDED-CODE-7f3") }\n';
    const question = { title: 'Echo', prompt: 'Print what you read.', tests: [{ name: 'one', stdin: 'a\n', expectedStdout: 'a\n' }] };
    expect((await api('PUT', `/api/sessions/${s.sessionId}/question`, s.interviewerToken, question)).status).toBe(200);
    expect((await api('PUT', `/api/sessions/${s.sessionId}/code`, s.candidateToken, { code })).status).toBe(200);
    expect((await api('PUT', `/api/sessions/${s.sessionId}/notes`, s.interviewerToken, { notes: 'Hire. NOTES-ENDED-2c9' })).status).toBe(200);
    expect((await api('DELETE', `/api/sessions/${s.sessionId}`, s.interviewerToken)).status).toBe(200);

    const candidate = await (await fresh()).newPage();
    await candidate.goto(room(s.sessionId, s.candidateToken));
    await until(async () => (await codeMirrorText(candidate, 'editor')) === code.replace(/\n$/, '\n'), 'the final code in the candidate’s editor', 60_000);
    expect(await candidate.getByTestId('session-ended').innerText()).toContain('ended');
    expect(await candidate.getByTestId('language').inputValue()).toBe('go');
    await until(async () => (await candidate.getByTestId('question-title').innerText().catch(() => '')) === 'Echo', 'the question');
    expect(await editor(candidate).getAttribute('contenteditable')).toBe('false');
    expect(await candidate.getByTestId('run').isVisible()).toBe(false); // nothing runs any more
    expect(await candidate.getByTestId('replay-link').count()).toBe(0);
    expect(await candidate.content()).not.toContain('NOTES-ENDED-2c9');

    const interviewer = await (await fresh()).newPage();
    await interviewer.goto(room(s.sessionId, s.interviewerToken));
    await interviewer.getByTestId('replay-link').waitFor({ timeout: 60_000 });
    await until(async () => (await interviewer.getByTestId('notes').innerText()).includes('NOTES-ENDED-2c9'), 'the notes, read-only');
    await until(async () => (await codeMirrorText(interviewer, 'editor')).includes('ENDED-CODE-7f3'), 'the code in the interviewer’s editor');
    // A banner, and still nothing below the window: the room shrinks instead.
    const overflow = await interviewer.evaluate<number>('document.scrollingElement.scrollHeight - window.innerHeight');
    expect(overflow).toBeLessThanOrEqual(0);
    expect((await api('GET', `/api/sessions/${s.sessionId}/code`, s.candidateToken)).body).toMatchObject({ code });
  });

  it('links the server refuses say so and leave no room to type in; a review link opened as a room goes to its replay', async () => {
    const s = await createSession({ language: 'python' });
    const page = await (await fresh()).newPage();
    await page.goto(room(s.sessionId, 'not-the-token'));
    await page.getByTestId('link-refused').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('link-refused').innerText()).toMatch(/wrong, or it was revoked/);
    expect(await page.locator('.cm-content').count()).toBe(0);

    await page.goto(room('not-a-session-id', s.candidateToken));
    await page.reload(); // a fragment-only change of URL does not load the page again
    await page.getByTestId('link-refused').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('link-refused').innerText()).toMatch(/does not name a session/);

    const link = await api<{ reviewToken: string }>('POST', `/api/sessions/${s.sessionId}/review-links`, s.interviewerToken, {});
    const review = await (await fresh()).newPage();
    await review.goto(room(s.sessionId, link.body.reviewToken));
    await review.getByTestId('replay-slider').waitFor({ timeout: 60_000 });
    expect(new URL(review.url()).pathname).toBe(`/s/${s.sessionId}/replay`);
  });

  it("a snapshot the candidate saves shows in the interviewer's list when the interviewer's page is looked at again", async () => {
    const s = await createSession({ language: 'python' });
    const interviewer = await openRoom(await fresh(), httpUrl(), s.sessionId, s.interviewerToken);
    const candidate = await openRoom(await fresh(), httpUrl(), s.sessionId, s.candidateToken);
    await until(async () => (await interviewer.getByTestId('snapshots').innerText()).includes('No snapshots yet'), 'an empty list');
    await candidate.getByTestId('snapshot').click();
    await until(async () => !(await candidate.getByTestId('snapshots').innerText()).includes('No snapshots yet'), 'the candidate’s own list');
    await interviewer.evaluate("window.dispatchEvent(new Event('focus'))");
    await until(async () => (await interviewer.getByTestId('snapshots').getByRole('button', { name: /Restore/ }).count()) === 1, 'the snapshot, restorable, in the interviewer’s list');
  });

  it('a remote cursor shows its name while it moves, then the name fades off the code; names are capitalised roles', async () => {
    const s = await createSession({ language: 'python' });
    const interviewer = await openRoom(await fresh(), httpUrl(), s.sessionId, s.interviewerToken);
    const candidate = await openRoom(await fresh(), httpUrl(), s.sessionId, s.candidateToken);
    await editor(candidate).click();
    await candidate.keyboard.type('x = 1');
    const label = interviewer.locator('[data-testid=editor] .cm-ySelectionInfo');
    await until(async () => (await label.count()) === 1 && (await label.innerText()) === 'Candidate', 'the candidate’s cursor, named');
    const shown = () => interviewer.evaluate<boolean>("document.querySelector('[data-testid=editor] .cm-editor').classList.contains('cm-names-shown')");
    // The name is shown for only 2.5 s after a move: a poll of the page (a round trip to the browser, slow on
    // a busy machine) could miss it. An observer in the page records it instead, installed once the name is
    // at rest after the typing above, so what it sees comes from the move below.
    const watching = () =>
      interviewer.evaluate<boolean>(`(() => {
        const view = document.querySelector('[data-testid=editor] .cm-editor');
        if (view.classList.contains('cm-names-shown')) return false;
        window.__namesShown = false;
        new MutationObserver(() => {
          if (view.classList.contains('cm-names-shown')) window.__namesShown = true;
        }).observe(view, { attributes: true, attributeFilter: ['class'] });
        return true;
      })()`);
    await until(watching, 'the name at rest after the first typing, and an observer on it');
    // Typing shows the name again, though it may leave the typist's shared cursor as it was (kept relative
    // to the character after it)...
    await candidate.keyboard.type('1');
    await until(() => interviewer.evaluate<boolean>('window.__namesShown === true'), 'the name shown while the candidate types');
    // ...and so does a move of the cursor.
    await until(watching, 'the name at rest again, and an observer on it');
    await candidate.keyboard.press('ArrowLeft');
    await until(() => interviewer.evaluate<boolean>('window.__namesShown === true'), 'the name shown while the candidate’s cursor moves');
    // At rest the name goes (2.5 s after the last move): the label is transparent over the line above.
    await until(async () => !(await shown()), 'the name hidden at rest', 30_000);
    await until(async () => (await interviewer.evaluate<string>("getComputedStyle(document.querySelector('[data-testid=editor] .cm-ySelectionInfo')).opacity")) === '0', 'the label transparent');
  });

  it('a language change the server refuses says why beside the select, and the select shows the language in force', async () => {
    const s = await createSession({ language: 'python' });
    const page = await openRoom(await fresh(), httpUrl(), s.sessionId, s.candidateToken);
    await connected(page);
    // Changes come faster than the server allows (docs/protocol.md §4): one of them is refused.
    for (const lang of ['javascript', 'go', 'rust', 'java']) await page.getByTestId('language').selectOption(lang);
    await until(async () => /too many changes/.test(await page.getByTestId('language-message').innerText()), 'the refusal, in words');
    const inForce = async () => (await api<{ language: string }>('GET', `/api/sessions/${s.sessionId}`, s.candidateToken)).body.language;
    await until(async () => (await page.getByTestId('language').inputValue()) === (await inForce()), 'the select back on the language in force');
  });
});
