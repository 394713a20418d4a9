/** shared/core/starter-code.ts isUntouched: is the document still a template or a starter (whitespace aside)? */
import { describe, expect, it } from 'vitest';
import { LANGUAGES } from '#contract/languages.js';
import { isUntouched } from '#core/starter-code.js';

describe('isUntouched', () => {
  it('takes an empty document, a template or a starter, trailing whitespace aside', () => {
    expect(isUntouched('')).toBe(true);
    expect(isUntouched(' \n\t\n')).toBe(true);
    expect(isUntouched(`${LANGUAGES.python.template}  \n\n`)).toBe(true);
    expect(isUntouched('def solve():\n    pass\n\n', { python: 'def solve():\n    pass' })).toBe(true);
  });

  it('refuses anything the candidate wrote', () => {
    expect(isUntouched(`${LANGUAGES.python.template}x`)).toBe(false);
    expect(isUntouched(`  ${LANGUAGES.python.template}`)).toBe(false);
    expect(isUntouched('def solve():\n    return 1\n', { python: 'def solve():\n    pass' })).toBe(false);
  });

  // The text is the candidate's: `/\s+$/` is quadratic on a run of spaces before one last character
  // (100 KB, the code limit, took 12 s); trimEnd is linear.
  it('judges a hostile text (the code limit of spaces and one character) in linear time', () => {
    expect(isUntouched(`${' '.repeat(100 * 1024)}x`)).toBe(false);
    expect(isUntouched(`${' \t'.repeat(50 * 1024)}`)).toBe(true);
  }, 5_000);
});
