/**
 * `npx tsx bench/web.ts`: the web app in Debian's chromium against the local stack.
 *   - bundle size (gzip): what the room loads before the editor is usable (entry + static chunks + CSS +
 *     HTML), one language pack, and everything; budget 400 KB gzip for the room, editor included;
 *   - page load to editable editor (navigation start → `.cm-content` editable, joined, document shown);
 *   - keystroke latency: a key pressed in one page until the character is in the other page's document,
 *     p50/p99 over 200 keystrokes (both pages in one browser: one clock).
 */
import './quiet.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Page } from 'playwright-core';
import { startLocalStack } from '../local/stack.js';
import { buildWebApp, WEB_DIST } from '../web/build.js';
import { percentile, round, table } from './stats.js';

const KEYSTROKES = 200;
const LOADS = 5;
const BUDGET_GZIP_BYTES = 400 * 1000;
const operatorKey = process.env.INTERVIEW_API_KEY ?? 'local-dev-key';

/** Files the entry point imports statically (what the browser must fetch before the app runs). */
function staticClosure(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(join(WEB_DIST, file), 'utf8');
    // Static: `import{…}from"./chunks/x.js"` or `import"./chunks/x.js"`; dynamic `import("…")` is left out.
    for (const m of source.matchAll(/(?:from|import)\s*"\.\/((?:chunks\/)?[^"]+\.js)"/g)) {
      const target = file.startsWith('chunks/') ? `chunks/${m[1]!.replace(/^chunks\//, '')}` : m[1]!;
      visit(target);
    }
  };
  visit(entry);
  return [...seen];
}

const gz = (files: string[]) => files.reduce((n, f) => n + gzipSync(readFileSync(join(WEB_DIST, f)), { level: 9 }).length, 0);

async function bundleSizes(): Promise<Record<string, string | number>[]> {
  await buildWebApp();
  const initial = [...staticClosure('app.js'), 'app.css', 'index.html'];
  const chunks = readdirSync(join(WEB_DIST, 'chunks')).filter((f) => f.endsWith('.js')).map((f) => `chunks/${f}`);
  const lazy = chunks.filter((f) => !initial.includes(f));
  const largestLazy = Math.max(...lazy.map((f) => gz([f])));
  const all = [...new Set([...initial, ...chunks])];
  const rows = [
    { what: 'room before the editor is usable (entry, static chunks, CSS, HTML)', files: initial.length, gzipKB: round(gz(initial) / 1000) },
    { what: 'largest language pack (loaded on demand)', files: 1, gzipKB: round(largestLazy / 1000) },
    { what: 'room with its language pack', files: initial.length + 1, gzipKB: round((gz(initial) + largestLazy) / 1000) },
    { what: 'everything (all 8 language modes)', files: all.length, gzipKB: round(gz(all) / 1000) },
  ];
  if (gz(initial) + largestLazy > BUDGET_GZIP_BYTES) console.log(`OVER BUDGET: room > ${BUDGET_GZIP_BYTES / 1000} KB gzip`);
  return rows;
}

async function createSession(httpUrl: string): Promise<{ sessionId: string; interviewerToken: string; candidateToken: string }> {
  const res = await fetch(`${httpUrl}/api/sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${operatorKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'bench', language: 'python' }),
  });
  if (res.status !== 201) throw new Error(`create session: ${res.status} ${await res.text()}`);
  return (await res.json()) as { sessionId: string; interviewerToken: string; candidateToken: string };
}

const editable = (page: Page) =>
  page.waitForFunction(
    `document.querySelector('[data-testid=editor] .cm-content[contenteditable=true]') && document.querySelector('[data-testid=connection]')?.textContent === 'Connected'`,
    undefined,
    { timeout: 60_000, polling: 'raf' },
  );

async function main(): Promise<void> {
  const sizes = await bundleSizes();
  console.log(table(sizes));

  const stack = await startLocalStack({ port: 0, ddbPort: 0, quiet: true, pipeline: false });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const s = await createSession(stack.httpUrl);
    const room = (token: string) => `${stack.httpUrl}/s/${s.sessionId}#token=${token}`;

    // Page load to editable editor, fresh context (no cache) each time.
    const loads: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const started = Date.now();
      await page.goto(room(s.candidateToken));
      await editable(page);
      loads.push(Date.now() - started);
      await context.close();
    }

    const [writerContext, readerContext] = [await browser.newContext(), await browser.newContext()];
    const writer = await writerContext.newPage();
    const reader = await readerContext.newPage();
    await Promise.all([writer.goto(room(s.interviewerToken)), reader.goto(room(s.candidateToken))]);
    await Promise.all([editable(writer), editable(reader)]);
    // The reader notes when its document reaches each length; the writer notes each keydown.
    await reader.evaluate(`(() => {
      const text = window.interviewConnection.text;
      window.arrivals = [];
      text.observe(() => window.arrivals.push([text.length, Date.now()]));
    })()`);
    await writer.evaluate(`(() => {
      window.keydowns = [];
      document.addEventListener('keydown', () => window.keydowns.push(Date.now()), true);
    })()`);
    const base = (await reader.evaluate('window.interviewConnection.text.length')) as number;
    await writer.locator('[data-testid=editor] .cm-content').click();
    await writer.keyboard.press('Control+End');
    for (let i = 0; i < KEYSTROKES; i++) {
      await writer.keyboard.press(i % 40 === 39 ? 'Enter' : 'x');
      await new Promise((r) => setTimeout(r, 60)); // about 16 keys a second: a fast typist
    }
    await reader.waitForFunction(`window.interviewConnection.text.length >= ${base + KEYSTROKES}`, undefined, { timeout: 60_000 });
    const keydowns = (await writer.evaluate('window.keydowns')) as number[];
    const arrivals = (await reader.evaluate('window.arrivals')) as [number, number][];
    const latencies = keydowns.slice(0, KEYSTROKES).map((t, i) => arrivals.find(([len]) => len >= base + i + 1)![1] - t);

    console.log(
      '\n' +
        table([
          { measure: 'page load → editable editor (ms)', n: loads.length, p50: percentile(loads, 50), p99: percentile(loads, 99), max: Math.max(...loads) },
          { measure: 'keystroke → other page (ms)', n: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies) },
        ]),
    );
  } finally {
    await browser.close();
    await stack.stop();
  }
}

await main();
process.exit(0);
