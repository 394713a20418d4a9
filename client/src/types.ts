/** The server messages of docs/protocol.md §5, §8 and §10 the client reads, the events it emits, and the HTTP shapes. */
export type Role = 'interviewer' | 'candidate' | 'observer' | 'reviewer' | string;

/** The session's documents (docs/protocol.md §10): the shared code, and the interviewers' private notes. */
export type DocName = 'code' | 'notes';

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
  /** `mode:"tests"` (docs/protocol.md §8): one verdict per test; a candidate's hidden tests carry no data. */
  tests?: TestResult[];
  summary?: { passed: number; total: number };
  /** Set when the outputs did not fit in a message: read them here (HTTP, with the token). */
  resultUrl?: string;
}

/** Execution events in the order the server sends them; `output` chunks carry `seq`. */
export type ExecutionEvent =
  | { type: 'queued' | 'started'; executionId: string; language: string; userId: string }
  | { type: 'output'; executionId: string; stream: 'stdout' | 'stderr'; data: string; seq: number }
  | ({ type: 'test-result'; executionId: string; index: number } & TestResult)
  | { type: 'finished'; execution: ExecutionResult };

export type TestStatus = 'PASSED' | 'FAILED' | 'TIMEOUT' | 'MEMORY_LIMIT' | 'OUTPUT_LIMIT' | 'RUNTIME_ERROR' | 'COMPILE_ERROR';

export interface TestResult {
  name: string;
  hidden: boolean;
  status: TestStatus | string;
  durationMs: number;
  stdout?: string;
  stderr?: string;
  expectedStdout?: string;
}

/** A test of a question; a candidate gets hidden ones as `{name, hidden:true}` only. */
export interface TestCase {
  name: string;
  hidden: boolean;
  stdin?: string;
  expectedStdout?: string;
}

export interface Question {
  questionId?: string;
  title: string;
  /** Markdown. */
  prompt: string;
  starterCode: Record<string, string>;
  tests: TestCase[];
  updatedAt?: string;
}

/** What the question form sends (POST/PUT /api/questions, or inline on PUT /sessions/{id}/question). */
export interface QuestionInput {
  title: string;
  prompt: string;
  starterCode?: Record<string, string>;
  tests?: { name: string; stdin: string; expectedStdout: string; hidden?: boolean }[];
}

export type ActivityKind = 'paste' | 'focus-lost' | 'focus-gained';

/** Client-reported activity (docs/protocol.md §10), relayed to interviewers: what a browser said, not a proof. */
export interface ActivityEvent {
  userId: string;
  username?: string;
  kind: ActivityKind | string;
  chars?: number;
  at: string;
}

export interface ConnectionEvents extends Record<string, unknown> {
  status: Status;
  /** Everyone joined, after each change (the client's own user included). */
  presence: User[];
  language: { language: string; userId?: string };
  session: SessionInfo;
  /** `question-updated`: the session's question as this role sees it. */
  question: Question;
  /** Interviewers only. */
  activity: ActivityEvent;
  execution: ExecutionEvent;
  error: ServerError;
  ended: { reason: string };
  /** After `ended`, when the connection never joined: `doc` now holds the session's final document (read over HTTP). */
  final: { version: number };
  /** The server's document version after a sync or a relayed update. */
  version: number;
}

/** Server messages are read defensively field by field; the contract is docs/protocol.md §5. */
export type ServerMessage = { type: string } & Record<string, any>;
