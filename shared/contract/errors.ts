/**
 * The contract's error codes (docs/protocol.md §3, §5) and the typed domain errors that carry them.
 * Handlers map an AppError to `{error, message, details}` with its status; anything else is a bug and
 * becomes INTERNAL_ERROR without leaking its message.
 */
export const ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  INVALID_SESSION: 400,
  UNSUPPORTED_LANGUAGE: 400,
  INVALID_MESSAGE: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  /** The interviewer locked the editor: a candidate's edit changed nothing (docs/protocol.md §8). */
  EDITING_LOCKED: 403,
  /** The interviewer turned runs off for candidates (docs/protocol.md §8). */
  RUNS_DISABLED: 403,
  SESSION_NOT_FOUND: 404,
  NOT_FOUND: 404,
  NOT_JOINED: 409,
  VERSION_CONFLICT: 409,
  SESSION_EXPIRED: 410,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMIT_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
  BUSY: 503,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** Seconds, for RATE_LIMIT_EXCEEDED and BUSY (becomes the Retry-After header). */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = ERROR_STATUS[code];
  }
}

export const errors = {
  validation: (details: unknown, message = 'Request is invalid') => new AppError('VALIDATION_ERROR', message, details),
  invalidSession: () => new AppError('INVALID_SESSION', 'Session id is malformed'),
  unsupportedLanguage: (language: unknown) =>
    new AppError('UNSUPPORTED_LANGUAGE', `Language ${JSON.stringify(language)} is not supported`),
  unauthorized: (message = 'Missing or invalid token') => new AppError('UNAUTHORIZED', message),
  forbidden: (what: string) => new AppError('FORBIDDEN', `Your role may not ${what}`),
  editingLocked: () => new AppError('EDITING_LOCKED', 'The interviewer has locked the editor; nothing was changed'),
  runsDisabled: () => new AppError('RUNS_DISABLED', 'The interviewer has turned runs off'),
  sessionNotFound: () => new AppError('SESSION_NOT_FOUND', 'Session not found'),
  notFound: (what: string) => new AppError('NOT_FOUND', `${what} not found`),
  versionConflict: (currentVersion: number, code: string) =>
    new AppError('VERSION_CONFLICT', 'The document has changed since baseVersion', { currentVersion, code }),
  sessionExpired: () => new AppError('SESSION_EXPIRED', 'Session has ended or expired'),
  payloadTooLarge: (what: string, limit: number) =>
    new AppError('PAYLOAD_TOO_LARGE', `${what} exceeds ${limit} bytes`, { limit }),
  busy: (retryAfter: number) =>
    new AppError('BUSY', 'The document is too busy to take this write right now; nothing was changed, try again', { retryAfterSeconds: retryAfter }, retryAfter),
  tooManyConnections: (max: number, retryAfter: number) =>
    new AppError('RATE_LIMIT_EXCEEDED', `This session already has ${max} open connections; close one and try again`, { maxConnections: max, retryAfterSeconds: retryAfter }, retryAfter),
  rateLimited: (retryAfter: number) =>
    new AppError('RATE_LIMIT_EXCEEDED', 'Too many requests, slow down', { retryAfterSeconds: retryAfter }, retryAfter),
};
