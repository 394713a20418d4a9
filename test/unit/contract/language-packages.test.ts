/**
 * The language table is the one source of each toolchain's Debian packages: the runner image's
 * per-language `case` and .ci/run's package list must install exactly what it says.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LANGUAGE_IDS, LANGUAGES } from '#contract/languages.js';

const read = (path: string) => readFileSync(new URL(path, new URL('../../../', import.meta.url)), 'utf8');

/** `python) pkgs="python3" ;;` and `javascript|typescript) pkgs="" ;;` arms of the Dockerfile's case. */
function dockerfilePackages(): Map<string, string[]> {
  const arms = new Map<string, string[]>();
  for (const m of read('runner/images/Dockerfile').matchAll(/^\s*([a-z|]+)\)\s*pkgs="([^"]*)"/gm)) {
    for (const id of m[1]!.split('|')) arms.set(id, m[2]!.split(/\s+/).filter(Boolean));
  }
  return arms;
}

describe('Debian packages of the language toolchains', () => {
  it('the runner image installs, per language, exactly the packages of the language table', () => {
    const arms = dockerfilePackages();
    expect([...arms.keys()].sort()).toEqual([...LANGUAGE_IDS].sort());
    for (const id of LANGUAGE_IDS) expect([...arms.get(id)!].sort(), id).toEqual([...LANGUAGES[id].debianPackages].sort());
  });

  it('.ci/run installs every package of the language table', () => {
    const list = /^packages=\(([^)]*)\)/m.exec(read('.ci/run'))?.[1]?.split(/\s+/).filter(Boolean) ?? [];
    expect(list.length).toBeGreaterThan(0);
    const needed = new Set(LANGUAGE_IDS.flatMap((id) => LANGUAGES[id].debianPackages));
    expect([...needed].filter((p) => !list.includes(p))).toEqual([]);
  });
});
