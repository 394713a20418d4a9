/**
 * The runner image's Dockerfile (it cannot be built here: no Docker engine): the base image comes from a
 * registry without anonymous pull rate limits, on the Lambdas' Node major, pinned by digest; the
 * entrypoint's mode is set by the Dockerfile; the entrypoint closes /tmp and /dev/shm to the runs; and
 * the image's two bundles, built by the Dockerfile's own esbuild lines, load and run a job.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ensureHelper } from '../../runner/sandbox/helper-binary.js';
import { isRoot, NEEDS_ROOT } from './support.js';

const dockerfile = readFileSync(new URL('../../runner/images/Dockerfile', import.meta.url), 'utf8');
const entrypoint = readFileSync(new URL('../../runner/images/entrypoint.sh', import.meta.url), 'utf8');

describe('runner image', () => {
  it('builds from node 22 on ECR Public, pinned by an index digest', () => {
    const base = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
    expect(base).toMatch(/^public\.ecr\.aws\/docker\/library\/node:22-bookworm-slim@sha256:[0-9a-f]{64}$/);
    const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(froms).toEqual(['${NODE_IMAGE}', '${NODE_IMAGE}']);
    expect(dockerfile).toContain('--target=node22');
    expect(dockerfile).not.toMatch(/node20|node:20/);
  });

  it('sets the entrypoint mode itself rather than trusting the checkout', () => {
    expect(dockerfile).toMatch(/^COPY --chmod=0755 runner\/images\/entrypoint\.sh /m);
  });

  it('leaves no world-writable /tmp or /dev/shm for the runs', () => {
    expect(entrypoint).toMatch(/^chmod 0711 \/tmp$/m);
    expect(entrypoint).toMatch(/^chmod 0711 \/dev\/shm/m);
    expect(entrypoint).not.toContain('1777');
  });

  it('builds bundles that load, leave the unused tracer out, and run a job with the image helper', async () => {
    // The build stage's RUN step, continuation lines joined, split into its commands: the esbuild ones,
    // run as written (in the repository root, as the Dockerfile's WORKDIR holds it) into a scratch /out.
    const out = mkdtempSync(join(tmpdir(), 'runner-image-'));
    try {
      const run = /^RUN bash runner\/sandbox\/build\.sh(?:[^\n]*\\\n)*[^\n]*/m.exec(dockerfile)?.[0] ?? '';
      const commands = run.replace(/\\\n/g, ' ').split('&&').map((c) => c.trim()).filter((c) => c.startsWith('npx esbuild'));
      expect(commands).toHaveLength(2);
      const root = fileURLToPath(new URL('../..', import.meta.url));
      for (const command of commands) execFileSync('sh', ['-c', `${command.replaceAll('/out/', `${out}/`)} --log-level=error`], { cwd: root });
      for (const bundle of ['runner.mjs', 'runner-cli.mjs']) {
        // An ES module that does not parse (a banner import clashing with a bundled one) never starts.
        expect(spawnSync(process.execPath, ['--check', join(out, bundle)], { encoding: 'utf8' }).stderr).toBe('');
        // -c tracing is a Lambda option: the runner is not traced, so Powertools Tracer must not be built in.
        expect(readFileSync(join(out, bundle), 'utf8')).not.toContain('captureAWSv3Client');
      }
      if (!isRoot) return console.warn(`skipping the bundled job: ${NEEDS_ROOT}`);
      const cli = spawnSync(process.execPath, [join(out, 'runner-cli.mjs')], {
        input: JSON.stringify({ language: 'python', code: 'print(6 * 7)' }),
        env: { ...process.env, SANDBOX_HELPER: await ensureHelper() },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(JSON.parse(cli.stdout)).toMatchObject({ status: 'COMPLETED', stdout: '42\n' });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
