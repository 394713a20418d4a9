/**
 * The dependency rule of shared/ (docs/architecture.md): contract ← telemetry ← core ← aws ← handlers.
 * Each layer may import only the layers to its left, so a use-case can be read, and tested, without
 * the AWS SDK, and the contract can be published without any of the server.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HTTP_FUNCTIONS, PIPELINE_FUNCTIONS, WS_FUNCTIONS } from '#contract/routes.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SPECIFIER = /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s*['"]([^'"]+)['"]/gm;

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : tsFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every import of a file, relative ones resolved to a repository path (`shared/core/code.ts`). */
function importsOf(file: string): string[] {
  const source = readFileSync(join(ROOT, file), 'utf8');
  return [...source.matchAll(SPECIFIER)].map((m) => {
    const spec = (m[1] ?? m[2] ?? m[3])!;
    if (!spec.startsWith('.')) return spec;
    return relative(ROOT, resolve(ROOT, file, '..', spec)).split(sep).join('/');
  });
}

/** The layer an import lands in: `#core/x.js` and `shared/core/x.ts` both say `core`. */
const layerOf = (spec: string): string | undefined => /^(?:#|shared\/)(contract|core|aws|telemetry)\//.exec(spec)?.[1];
const outsideShared = (spec: string) => /^(functions|local|runner|infra|web|client|bench|test)\//.test(spec);

/** Every repository file `entry` loads, following our own imports (`#core/x.js` is shared/core/x.ts). */
function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file) || !existsSync(join(ROOT, file))) continue;
    seen.add(file);
    for (const spec of importsOf(file)) {
      const path = spec.replace(/^#(contract|core|aws|telemetry)\//, 'shared/$1/');
      if (/^(shared|functions|runner|local|infra)\/.*\.js$/.test(path)) todo.push(path.replace(/\.js$/, '.ts'));
    }
  }
  return seen;
}

/** The ports a core file uses: `stores.documents` → documents. */
function portsUsed(file: string): string[] {
  if (!file.startsWith('shared/core/') || file === 'shared/core/ports.ts') return [];
  return [...readFileSync(join(ROOT, file), 'utf8').matchAll(/\bstores\.(\w+)/g)].map((m) => m[1]!);
}

/** The ports a file wires: the names inside its `provide({ … })` calls (shorthand or `name: value`). */
function providedPorts(file: string): string[] {
  if (file === 'shared/core/ports.ts') return [];
  return [...readFileSync(join(ROOT, file), 'utf8').matchAll(/\bprovide\(\{([^}]*)\}\)/g)].flatMap((m) =>
    m[1]!.split(',').map((part) => part.split(':')[0]!.trim()).filter(Boolean),
  );
}

function violations(layer: string, allowed: (spec: string) => boolean): string[] {
  return tsFiles(`shared/${layer}`).flatMap((file) => importsOf(file).filter((s) => !allowed(s)).map((s) => `${file} imports ${s}`));
}

describe('the dependency rule', () => {
  it('sees the imports it judges (static, dynamic, relative and #-prefixed)', () => {
    expect(importsOf('shared/core/executions.ts')).toEqual(expect.arrayContaining(['#contract/errors.js', 'shared/core/code.js']));
    expect(importsOf('shared/aws/publish.ts')).toEqual(expect.arrayContaining(['#core/events.js', 'shared/aws/runners/run-queue-send.js']));
    expect(importsOf('shared/telemetry/tracing.ts')).toContain('@aws-lambda-powertools/tracer'); // the one dynamic import left
  });

  it('contract imports nothing but zod, ulid, Node built-ins and itself', () => {
    expect(violations('contract', (s) => /^(zod(\/mini)?|ulid|node:.*)$/.test(s) || layerOf(s) === 'contract')).toEqual([]);
  });

  it('the contract docs generator (docs/generate) reads only the contract, and nothing deployed or run imports it', () => {
    const generator = tsFiles('docs/generate');
    expect(generator.length).toBeGreaterThan(0);
    const own = (s: string) => s.startsWith('docs/generate/');
    const bad = generator.flatMap((f) => importsOf(f).filter((s) => !(own(s) || layerOf(s) === 'contract' || /^(zod(\/mini)?|node:.*)$/.test(s))).map((s) => `${f} imports ${s}`));
    expect(bad).toEqual([]);
    const product = ['shared', 'functions', 'runner', 'local', 'infra', 'client', 'web'].flatMap(tsFiles);
    expect(product.flatMap((f) => importsOf(f).filter((s) => s.includes('docs/generate/')).map((s) => `${f} imports ${s}`))).toEqual([]);
  });

  it('telemetry imports only the contract, the Powertools logger and Node built-ins', () => {
    expect(violations('telemetry', (s) => layerOf(s) === 'contract' || layerOf(s) === 'telemetry' || /^(@aws-lambda-powertools\/|node:)/.test(s))).toEqual([]);
  });

  it('core imports no AWS SDK, no adapter and no handler or local code, not even a type', () => {
    // Storage reaches core through the ports core declares (shared/core/ports.ts), wired by the
    // composition root shared/aws/wiring.ts; pushes, queues and launches reach it only as the events it
    // returns to publish(). A type import of an adapter would still tie core to it: refused as well.
    expect(
      violations('core', (s) => {
        if (s.startsWith('@aws-sdk/') || s.startsWith('@aws-lambda-powertools/') || outsideShared(s)) return false;
        const layer = layerOf(s);
        return layer === undefined || layer === 'contract' || layer === 'telemetry' || layer === 'core';
      }),
    ).toEqual([]);
  });

  it('judges type-only and relative imports of core too (the rule is not vacuous)', () => {
    expect(importsOf('shared/core/code.ts')).toEqual(expect.arrayContaining(['shared/core/ports.js', 'shared/core/records.js']));
    // `import type { … } from '#core/records.js'` is the only import of records in that store.
    expect(importsOf('shared/aws/store/documents.ts')).toContain('#core/records.js');
  });

  it('every port an entry point\'s code reaches is wired by a provide() that entry point loads', () => {
    // Each function wires what its own code uses (a function that never reads a question does not carry
    // the question stores); shared/aws/wiring.ts wires all of them for the rest. A port reached but not
    // provided would fail at run time with "not wired": this makes it a test failure instead.
    const functions = [...Object.values(HTTP_FUNCTIONS), ...Object.values(WS_FUNCTIONS), ...Object.values(PIPELINE_FUNCTIONS)].map((d) => d.entry);
    const entries = [...functions, 'runner/main.ts', 'runner/cli.ts', 'local/start.ts', 'infra/bin/api-key.ts'];
    const missing = entries.flatMap((e) => {
      const files = [...reachable(e)];
      const provided = new Set(files.flatMap(providedPorts));
      return [...new Set(files.flatMap(portsUsed))].filter((p) => !provided.has(p)).map((p) => `${e} reaches stores.${p} but does not wire it`);
    });
    expect(missing).toEqual([]);
    // Not vacuous: the message function reaches the documents port, the connect function the sessions port.
    expect(new Set([...reachable('functions/ws/message.ts')].flatMap(portsUsed))).toContain('documents');
    expect(new Set([...reachable('functions/ws/connect.ts')].flatMap(portsUsed))).toContain('sessions');
    // Every use of the ports in core is `stores.<port>` (what portsUsed reads): no destructuring, no index.
    const code = (f: string) => readFileSync(join(ROOT, f), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    const other = tsFiles('shared/core').flatMap((f) => [...code(f).matchAll(/\bstores\b(?!\.\w)(?! \} from)(?!: Stores)/g)].map(() => f));
    expect(other.filter((f) => f !== 'shared/core/ports.ts')).toEqual([]);
  });

  it('aws imports no handler, local-stack, runner or infrastructure code', () => {
    expect(violations('aws', (s) => !outsideShared(s))).toEqual([]);
  });

  it('no file climbs into shared/ by a relative path: it imports #contract, #core, #aws and #telemetry', () => {
    const dirs = ['functions', 'local', 'runner', 'infra', 'shared', 'test', 'bench', 'docs/generate'];
    const offenders = dirs.flatMap(tsFiles).filter((f) => /['"](\.\.\/)+shared\//.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
