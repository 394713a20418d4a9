/**
 * Debian's chromium driven by playwright-core: nothing downloads a browser. Each test gets fresh
 * contexts (separate storage, like two people on two machines) from one browser per file.
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface LaunchedBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<LaunchedBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox', // runs as root in CI; the pages are our own app
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // No --user-data-dir: playwright refuses it in launch() and gives every launch a fresh temporary profile.
    ],
  });
  return {
    browser,
    close: () => browser.close(),
  };
}

/** The editor's text as the page shows it (remote cursor widgets left out). Runs in the page. */
export function editorText(page: Page): Promise<string> {
  return page.evaluate(`[...document.querySelectorAll('[data-testid=editor] .cm-line')].map((line) => {
    const copy = line.cloneNode(true);
    copy.querySelectorAll('.cm-ySelectionCaret, .cm-widgetBuffer').forEach((w) => w.remove());
    return copy.textContent;
  }).join('\\n')`);
}

/** The shared document's text in the page (the Y.Text the editor is bound to). */
export function sharedText(page: Page): Promise<string> {
  return page.evaluate('window.interviewConnection.text.toString()');
}

/** The text of the CodeMirror editor inside `[data-testid=<testid>]`, remote cursor widgets left out. */
export function codeMirrorText(page: Page, testid: string): Promise<string> {
  return page.evaluate(`[...document.querySelectorAll('[data-testid=${testid}] .cm-line')].map((line) => {
    const copy = line.cloneNode(true);
    copy.querySelectorAll('.cm-ySelectionCaret, .cm-widgetBuffer').forEach((w) => w.remove());
    return copy.textContent;
  }).join('\\n')`);
}

/** Resolves once the page's connection badge says Connected. */
export const connected = (page: Page) => page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor({ timeout: 60_000 });

/** The room of a session with a token, as a fresh page of `context`. */
export async function openRoom(context: BrowserContext, baseUrl: string, sessionId: string, token: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${baseUrl}/s/${sessionId}#token=${encodeURIComponent(token)}`);
  await connected(page);
  return page;
}

/**
 * Every WebSocket frame the page receives, as text: the strongest check that something never reached
 * a browser is that no frame carried it.
 */
export function recordFrames(page: Page): string[] {
  const frames: string[] = [];
  page.on('websocket', (ws) => ws.on('framereceived', (frame) => frames.push(String(frame.payload))));
  return frames;
}
