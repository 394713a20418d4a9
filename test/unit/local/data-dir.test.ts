/**
 * `npm start -- --data DIR`: DynamoDB Local keeps the whole database in DIR (every session's code and
 * notes, hidden tests' expected output) in a file the JVM creates 0644, on the machine where candidates'
 * code runs. The directory is what keeps other users, and the sandbox uids, out.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { prepareDataDir } from '../../../local/dynamodb.js';

const made: string[] = [];
const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), 'data-dir-'));
  made.push(dir);
  return dir;
};
afterEach(() => made.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('prepareDataDir', () => {
  it('creates the data directory (and its parents) private to the user: 0700', () => {
    const dir = join(scratch(), 'a', '.data');
    prepareDataDir(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('tightens a directory the user made earlier with the usual 0755', () => {
    const dir = join(scratch(), '.data');
    mkdirSync(dir, { mode: 0o755 });
    expect(statSync(dir).mode & 0o777).toBe(0o755);
    expect(prepareDataDir(dir)).toBe(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });
});
