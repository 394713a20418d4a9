/**
 * Builds the web app into web/dist with esbuild: one ES module entry (`app.js`), language packs split
 * into chunks loaded on demand, `app.css`, and `index.html`. Used by the local stack (on start, when the
 * bundle is missing or older than its sources), by `cdk synth` (infra/constructs/web-app.ts) and by
 * bench/web.ts. Takes about a second.
 */
import { build, buildSync, type BuildOptions } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(WEB_DIR, '..');
export const WEB_DIST = join(WEB_DIR, 'dist');
const STAMP = '.build-stamp';
/** What the bundle is made of: a change to any of these makes it stale. */
const SOURCES = [join(WEB_DIR, 'src'), join(WEB_DIR, 'index.html'), join(WEB_DIR, 'build.ts'), join(ROOT, 'client', 'src')];

const options = (outdir: string): BuildOptions => ({
  entryPoints: { app: join(WEB_DIR, 'src', 'main.ts'), 'app-style': join(WEB_DIR, 'src', 'app.css') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
  minify: true,
  sourcemap: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  metafile: true,
  logLevel: 'silent',
  legalComments: 'none',
});

function finish(outdir: string): void {
  copyFileSync(join(WEB_DIR, 'index.html'), join(outdir, 'index.html'));
  // esbuild names the CSS after its entry; the page asks for /app.css.
  copyFileSync(join(outdir, 'app-style.css'), join(outdir, 'app.css'));
  rmSync(join(outdir, 'app-style.css'));
  rmSync(join(outdir, 'app-style.css.map'), { force: true });
  rmSync(join(outdir, 'app-style.js'), { force: true });
  writeFileSync(join(outdir, STAMP), new Date().toISOString());
}

/**
 * Builds into a private directory and swaps it in: two stacks starting at once (the integration and web
 * test projects, `npm start` next to a bench) never serve or upload a half-written bundle.
 */
function staging(outdir: string): string {
  const dir = `${outdir}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  mkdirSync(dir, { recursive: true });
  return dir;
}

function swapIn(dir: string, outdir: string): void {
  finish(dir);
  rmSync(outdir, { recursive: true, force: true });
  renameSync(dir, outdir);
}

const inFlight = new Map<string, Promise<void>>();

export function buildWebApp(outdir: string = WEB_DIST): Promise<void> {
  const running = inFlight.get(outdir);
  if (running) return running;
  const dir = staging(outdir);
  const done = build(options(dir))
    .then(() => swapIn(dir, outdir))
    .finally(() => {
      inFlight.delete(outdir);
      rmSync(dir, { recursive: true, force: true });
    });
  inFlight.set(outdir, done);
  return done;
}

/** The same build, synchronously: CDK constructs are built synchronously at synth. */
export function buildWebAppSync(outdir: string = WEB_DIST): void {
  const dir = staging(outdir);
  try {
    buildSync(options(dir));
    swapIn(dir, outdir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const newest = (path: string): number => {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
};

/** True when web/dist is missing or older than any of its sources. */
export function webAppIsStale(outdir: string = WEB_DIST): boolean {
  const stamp = join(outdir, STAMP);
  if (!existsSync(stamp)) return true;
  return Math.max(...SOURCES.map(newest)) > statSync(stamp).mtimeMs;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  await buildWebApp();
  console.log(`web app built into ${WEB_DIST} in ${Date.now() - started} ms`);
}
