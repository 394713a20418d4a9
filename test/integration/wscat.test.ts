/**
 * README "Walk-through with wscat" as a person does it: the README's own command lines (only the host
 * and port are this stack's) run by a shell in a pseudo-terminal (util-linux `script`), so the project's
 * wscat behaves as in a terminal; each of the README's lines is typed after wscat says Connected and
 * after the answer to the line before. Then the candidate's terminal, as the README shows it, and what
 * the README says each side sees.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createSession } from './http.js';

const ROOT = new URL('../../', import.meta.url);
const readme = readFileSync(new URL('README.md', ROOT), 'utf8');
const section = readme.slice(readme.indexOf('## Walk-through with wscat'), readme.indexOf('\n## ', readme.indexOf('## Walk-through with wscat') + 5));
/** The section's code blocks: [interviewer's command], [lines to type], [candidate's command + line]. */
const blocks = [...section.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]!.trim().split('\n'));
const README_WS = 'ws://localhost:3001/ws';

/** One terminal: a shell running one README command line in a pty; what it shows, ANSI codes removed. */
class Terminal {
  private readonly child: ChildProcess;
  private screen = '';
  private read = 0;

  constructor(commandLine: string, env: Record<string, string>) {
    const line = commandLine.replace(README_WS, inject('wsUrl'));
    this.child = spawn('script', ['-qfec', line, '/dev/null'], {
      cwd: ROOT,
      env: { ...process.env, ...env, TERM: 'xterm' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const add = (chunk: Buffer) => {
      this.screen += chunk.toString('utf8').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
    };
    this.child.stdout!.on('data', add);
    this.child.stderr!.on('data', add);
  }

  /** Waits until the screen shows `text` after what was read before (up to `ms`). */
  async waitFor(text: string, ms = 120_000): Promise<void> {
    const until = Date.now() + ms;
    while (this.screen.indexOf(text, this.read) < 0) {
      if (Date.now() > until) throw new Error(`no "${text}" on the terminal; it shows:\n${this.screen.slice(-2000)}`);
      if (this.child.exitCode !== null) throw new Error(`wscat exited (${this.child.exitCode}):\n${this.screen}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    this.read = this.screen.indexOf(text, this.read) + text.length;
  }

  /** Types a line and presses Enter. */
  type(line: string): void {
    this.child.stdin!.write(`${line}\r`);
  }

  /** Every message wscat printed as received (`< {…}`), in order. */
  received(): Record<string, unknown>[] {
    return [...this.screen.matchAll(/< (\{.*\})\s*$/gm)].map((m) => JSON.parse(m[1]!) as Record<string, unknown>);
  }

  close(): void {
    this.child.kill('SIGTERM');
  }
}

/** What a typed action is answered with (a cursor-update is not answered: it goes to the others). */
const ANSWER: Record<string, string> = {
  'join-session': '"type":"session-joined"',
  'code-change': '"type":"code-ack"',
  'language-change': '"type":"language-update"',
  'run-code': '"type":"execution-finished"',
  ping: '"type":"pong"',
};

describe('README walk-through with wscat, typed in a terminal', () => {
  const terminals: Terminal[] = [];
  afterAll(() => terminals.forEach((t) => t.close()));

  it('the interviewer gets what the README says, and the candidate\'s join reaches the interviewer', async () => {
    expect(blocks).toHaveLength(3);
    const [[interviewerCommand], typed, [candidateCommand, candidateLine]] = blocks as [string[], string[], string[]];
    expect(interviewerCommand).toBe(`npx wscat -c "${README_WS}?sessionId=$SID&token=$ITOK"`);
    const session = await createSession({ language: 'python' });
    const env = { SID: session.sessionId, ITOK: session.interviewerToken, CTOK: session.candidateToken };

    const interviewer = new Terminal(interviewerCommand!, env);
    terminals.push(interviewer);
    await interviewer.waitFor('Connected');
    for (const line of typed) {
      interviewer.type(line);
      const answer = ANSWER[(JSON.parse(line) as { action: string }).action];
      if (answer) await interviewer.waitFor(answer);
      else await new Promise((r) => setTimeout(r, 300)); // as a person pauses before the next line
    }
    const got = interviewer.received();
    const types = got.map((m) => m.type);
    // "You get session-joined …, code-ack for your edits, language-update, then execution-queued,
    // execution-started, execution-output and execution-finished for the run, and pong."
    expect(types).toEqual(
      expect.arrayContaining(['session-joined', 'code-ack', 'language-update', 'execution-queued', 'execution-started', 'execution-output', 'execution-finished', 'pong']),
    );
    expect(types.filter((t) => t === 'error')).toEqual([]);
    expect(types.indexOf('language-update')).toBeLessThan(types.indexOf('execution-queued'));
    expect(got.find((m) => m.type === 'session-joined')).toMatchObject({ role: 'interviewer', sessionId: session.sessionId });
    expect(got.filter((m) => m.type === 'code-ack').map((m) => m.code)).toEqual(
      typed.map((l) => JSON.parse(l) as { action: string; code?: string }).filter((m) => m.action === 'code-change').map((m) => m.code),
    );
    expect(got.find((m) => m.type === 'language-update')).toMatchObject({ language: 'javascript' });
    expect(got.filter((m) => m.type === 'execution-output').map((m) => m.data).join('')).toBe('2 4 6\n');
    expect(got.find((m) => m.type === 'execution-finished')).toMatchObject({ status: 'COMPLETED', language: 'javascript' });

    // "Open a second terminal as the candidate": its command, then its line; the first terminal gets user-joined.
    expect(candidateCommand).toBe(`npx wscat -c "${README_WS}?sessionId=$SID&token=$CTOK"`);
    const candidate = new Terminal(candidateCommand!, env);
    terminals.push(candidate);
    await candidate.waitFor('Connected');
    candidate.type(candidateLine!);
    await candidate.waitFor('"type":"session-joined"');
    await interviewer.waitFor('"type":"user-joined"');
    expect(interviewer.received().find((m) => m.type === 'user-joined')).toMatchObject({ role: 'candidate', username: 'Candidate' });
    expect(candidate.received().find((m) => m.type === 'session-joined')).toMatchObject({ role: 'candidate', language: 'javascript' });
  }, 300_000);
});
