/**
 * `npm run contract`: writes docs/openapi.json and docs/websocket.md from the contract modules
 * (shared/contract/). A developer tool beside the files it writes: nothing deployed imports it. `--check` writes nothing and exits 1 when a committed
 * file differs from a fresh build (the unit test test/unit/contract/docs.test.ts does the same).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildOpenApi } from './openapi.js';
import { buildWebSocketDoc } from './websocket-doc.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The generated files, path relative to the repository root -> content. */
export function contractDocs(): Record<string, string> {
  const { version } = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string };
  return {
    'docs/openapi.json': `${JSON.stringify(buildOpenApi(version), null, 2)}\n`,
    'docs/websocket.md': buildWebSocketDoc(),
  };
}

function main(check: boolean): number {
  let stale = 0;
  for (const [path, content] of Object.entries(contractDocs())) {
    let current: string | undefined;
    try {
      current = readFileSync(`${root}${path}`, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === content) continue;
    stale += 1;
    if (check) console.error(`${path} is stale: run npm run contract`);
    else {
      writeFileSync(`${root}${path}`, content);
      console.log(`wrote ${path}`);
    }
  }
  if (!stale) console.log('contract docs are up to date');
  return check && stale ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.includes('--check'));
