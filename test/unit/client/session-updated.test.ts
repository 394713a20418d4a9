/**
 * The client library orders `session-updated` by its `revision`: two changes' broadcasts come from two
 * invocations and can arrive in either order, and the older must not undo the newer (an editor shown
 * unlocked while it is locked). A scripted socket stands in for the server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { connect, type Connection } from '../../../client/src/index.js';
import type { SocketLike } from '../../../client/src/socket.js';

class ScriptedSocket implements SocketLike {
  static last: ScriptedSocket | undefined;
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  readonly sent: { action: string }[] = [];
  constructor(readonly url: string) {
    ScriptedSocket.last = this;
    queueMicrotask(() => {
      this.readyState = 1;
      this.onopen?.({});
    });
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data) as { action: string });
  }
  close(): void {
    this.readyState = 3;
  }
  deliver(message: object): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
}

const settle = () => new Promise((r) => setTimeout(r, 0));
const SESSION_ID = '3f1c2a52-7a0e-4d7e-9a57-0d3f4f1f9a11';
let conn: Connection | undefined;
afterEach(() => conn?.leave());

describe('session-updated in the client library', () => {
  it('applies the newest revision and drops an older one that arrives after it', async () => {
    conn = connect({ wsUrl: 'ws://scripted/ws', sessionId: SESSION_ID, token: 't', WebSocket: ScriptedSocket });
    await settle();
    const socket = ScriptedSocket.last!;
    expect(socket.sent[0]?.action).toBe('join-session');
    socket.deliver({
      type: 'session-joined', sessionId: SESSION_ID, userId: 'u1', role: 'candidate', language: 'python', version: 1,
      users: [], userCount: 1, yjsState: Buffer.from(Y.encodeStateAsUpdate(new Y.Doc())).toString('base64'),
    });
    await settle();
    const seen: { editingLocked?: boolean; runsDisabled?: boolean }[] = [];
    conn.on('session', (s) => seen.push({ editingLocked: s.editingLocked, runsDisabled: s.runsDisabled }));
    const update = (revision: number, editingLocked: boolean, runsDisabled: boolean) =>
      socket.deliver({ type: 'session-updated', title: 't', language: 'python', runsDisabled, editingLocked, userId: 'ivy', revision });
    update(2, true, true); // lock, then (older) turn runs off only: delivered newest first
    update(1, false, true);
    await settle();
    expect(seen).toEqual([{ editingLocked: true, runsDisabled: true }]);
    update(3, false, true);
    await settle();
    expect(seen).toEqual([{ editingLocked: true, runsDisabled: true }, { editingLocked: false, runsDisabled: true }]);
  });

  it('applies messages without a revision (an older server) as they come', async () => {
    conn = connect({ wsUrl: 'ws://scripted/ws', sessionId: SESSION_ID, token: 't', WebSocket: ScriptedSocket });
    await settle();
    const socket = ScriptedSocket.last!;
    const seen: (boolean | undefined)[] = [];
    conn.on('session', (s) => seen.push(s.editingLocked));
    socket.deliver({ type: 'session-updated', title: 't', language: 'python', runsDisabled: false, editingLocked: true, userId: 'ivy' });
    socket.deliver({ type: 'session-updated', title: 't', language: 'python', runsDisabled: false, editingLocked: false, userId: 'ivy' });
    await settle();
    expect(seen).toEqual([true, false]);
  });
});
