/**
 * The runner image's Dockerfile (it cannot be built here: no Docker engine): the base image comes from a
 * registry without anonymous pull rate limits, on the Lambdas' Node major, pinned by digest; the
 * entrypoint's mode is set by the Dockerfile; the entrypoint closes /tmp and /dev/shm to the runs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

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
});
