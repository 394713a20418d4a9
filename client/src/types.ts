/** The server messages of SPEC §5 the client reads, and the events it emits. */
export type Role = 'interviewer' | 'candidate' | 'observer' | string;

export interface User {
  id: string;
  username: string;
  role: Role;
}

export type Status = 'connecting' | 'connected' | 'offline' | 'ended' | 'closed';

export interface ServerError {
  code: string;
  message: string;
  details?: unknown;
  action?: string;
}

export interface SessionInfo {
  title?: string;
  language: string;
  runsDisabled?: boolean;
  editingLocked?: boolean;
  userId?: string;
}

export interface ExecutionResult {
  executionId: string;
  status: string;
  language: string;
  userId?: string;
  stdout: string;
  stderr: string;
  compileOutput?: string;
  exitCode?: number | null;
  signal?: string | null;
  durationMs?: number;
  truncated?: { stdout: boolean; stderr: boolean };
  tests?: unknown[];
  summary?: { passed: number; total: number };
  /** Set when the outputs did not fit in a message: read them here (HTTP, with the token). */
  resultUrl?: string;
}

/** Execution events in the order the server sends them; `output` chunks carry `seq`. */
export type ExecutionEvent =
  | { type: 'queued' | 'started'; executionId: string; language: string; userId: string }
  | { type: 'output'; executionId: string; stream: 'stdout' | 'stderr'; data: string; seq: number }
  | { type: 'test-result'; executionId: string; index: number; name: string; hidden: boolean; status: string; durationMs: number }
  | { type: 'finished'; execution: ExecutionResult };

export interface ConnectionEvents extends Record<string, unknown> {
  status: Status;
  /** Everyone joined, after each change (the client's own user included). */
  presence: User[];
  language: { language: string; userId?: string };
  session: SessionInfo;
  execution: ExecutionEvent;
  error: ServerError;
  ended: { reason: string };
  /** The server's document version after a sync or a relayed update. */
  version: number;
}

/** Server messages are read defensively field by field; the contract is SPEC §5. */
export type ServerMessage = { type: string } & Record<string, any>;
