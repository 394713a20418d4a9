/** Server messages that only become events (docs/protocol.md §5, §8, §10): read field by field, no state involved. */
import type { ActivityEvent, ExecutionEvent, ExecutionResult, ServerMessage } from './types.js';

/** The execution event of an `execution-*` message, or undefined for any other message. */
export function executionEvent(msg: ServerMessage): ExecutionEvent | undefined {
  switch (msg.type) {
    case 'execution-queued':
    case 'execution-started':
      return { type: msg.type === 'execution-queued' ? 'queued' : 'started', executionId: msg.executionId, language: msg.language, userId: msg.userId };
    case 'execution-output':
      return { type: 'output', executionId: msg.executionId, stream: msg.stream, data: msg.data, seq: msg.seq };
    case 'execution-test-result': {
      // Outputs and expected output come along when this role may see them (never a candidate's hidden test).
      const { type: _type, ...result } = msg;
      return { type: 'test-result', ...(result as Omit<Extract<ExecutionEvent, { type: 'test-result' }>, 'type'>) };
    }
    case 'execution-finished': {
      const { type: _type, ...execution } = msg;
      return { type: 'finished', execution: execution as ExecutionResult };
    }
    default:
      return undefined;
  }
}

export function activityEvent(msg: ServerMessage): ActivityEvent {
  return { userId: msg.userId, username: msg.username, kind: msg.kind, chars: msg.chars, at: msg.at };
}

/**
 * Browsers say when the network goes away and comes back: a connection need not wait for a dead socket
 * to time out. Returns the function that stops listening (nothing to listen to in Node).
 */
export function watchNetwork(onOffline: () => void, onOnline: () => void): () => void {
  const target = globalThis as { addEventListener?: (e: string, f: () => void) => void; removeEventListener?: (e: string, f: () => void) => void };
  if (typeof target.addEventListener !== 'function') return () => undefined;
  target.addEventListener('offline', onOffline);
  target.addEventListener('online', onOnline);
  return () => {
    target.removeEventListener?.('offline', onOffline);
    target.removeEventListener?.('online', onOnline);
  };
}
