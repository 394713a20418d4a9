/**
 * Every limit of the product contract (docs/protocol.md §4, §5) lives here and only here.
 * The CDK stack, the handlers, the local stack and the runner all import these numbers.
 */
const KIB = 1024;
const MIB = 1024 * KIB;

export const LIMITS = {
  session: {
    /** Default lifetime of an active session (docs/protocol.md §4: 4 h). */
    defaultDurationMinutes: 4 * 60,
    /** Upper bound a creator may ask for (docs/protocol.md §4: 24 h). */
    maxDurationMinutes: 24 * 60,
    minDurationMinutes: 5,
    /** How long an ended/expired session stays readable before TTL removes every item of it. */
    retentionSeconds: 7 * 24 * 3600,
    titleMaxLength: 200,
    usernameMaxLength: 64,
  },
  /** Code is measured in UTF-8 bytes. */
  codeMaxBytes: 100 * KIB,
  stdinMaxBytes: 64 * KIB,
  /** The interviewers' private notes (docs/protocol.md §10), UTF-8 bytes. */
  notesMaxBytes: 64 * KIB,
  /** Output kept and pushed per stream; beyond it the run is marked truncated. */
  outputMaxBytesPerStream: 32 * KIB,
  /**
   * HTTP request bodies. The largest legal one is a run's: 100 KiB of code and 64 KiB of stdin, and JSON
   * escapes a control character as 6 bytes (\u0001), so legal text can take 6 times its size on the wire.
   */
  httpBodyMaxBytes: 6 * (100 + 64) * KIB + 4 * KIB,
  snapshotLabelMaxLength: 120,
  history: { defaultPageSize: 50, maxPageSize: 200 },
  /** GET /timeline pages (docs/protocol.md §10); a page also stops at about pageMaxBytes of updates (Lambda answers ≤ 6 MB). */
  timeline: { defaultPageSize: 500, maxPageSize: 2000, pageMaxBytes: 1 * MIB },
  /** Review links (docs/protocol.md §10): expiresInHours 1–720, default 168 (a week). */
  reviewLinks: { defaultHours: 168, maxHours: 720 },
  /** GET /api/sessions pages. */
  sessionList: { defaultPageSize: 20, maxPageSize: 100 },
  run: {
    wallMs: 10_000,
    cpuMs: 5_000,
    memoryBytes: 256 * MIB,
    processes: 64,
    fileBytes: 16 * MIB,
    openFiles: 256,
    compileWallMs: 30_000,
    compileCpuMs: 20_000,
    compileMemoryBytes: 1024 * MIB,
  },
  /**
   * A `mode:"tests"` run (docs/protocol.md §8): each test gets the run limits, cut to what is left of these totals
   * for all its tests together (wall: the whole test phase, sandbox set-up included; CPU: the programs').
   * A test that finds less than 100 ms left is not run and ends TIMEOUT (runner/tests-job.ts).
   */
  tests: {
    totalWallMs: 60_000,
    totalCpuMs: 30_000,
  },
  execution: {
    /** A QUEUED run not picked up by then ends SYSTEM_ERROR (covers a runner that never started). */
    queuedTimeoutMs: 5 * 60 * 1000,
    /** Added to compile + run wall limits for a RUNNING deadline: upload, pushes, slow disks. */
    runningGraceMs: 30_000,
    /** Deliveries before a message is dead-lettered (SQS maxReceiveCount). */
    maxReceives: 3,
    /** Visibility timeout of a received run message; the worker extends it while the job runs. */
    visibilityTimeoutSeconds: 60,
    /** Runners exit after this long without a job (SPEC default 10 min). */
    runnerIdleMs: 10 * 60 * 1000,
    runnerHeartbeatMs: 15_000,
    /** A runner whose heartbeat is older than this (two missed beats) is presumed dead. */
    runnerStaleMs: 40_000,
    /** A run still QUEUED after this long makes the watchdog ensure a runner for its language. */
    queuedNudgeMs: 20_000,
    /** How long a launch lease blocks another launch for the same language (a cold Fargate start). */
    launchLeaseMs: 90_000,
    maxRunnersPerLanguage: 4,
    slotsPerRunner: 2,
    listLimit: 50,
    idempotencyKeyMaxLength: 128,
    /** execution-output pushes: flush after this long or this many bytes, whichever first. */
    outputFlushMs: 50,
    outputFlushBytes: 4 * 1024,
    /** How long a finished run waits for its live output to go out before its result is stored (runner/output-pusher.ts). */
    outputDrainMs: 5_000,
  },
  rate: {
    /** Session creation per operator identity (docs/protocol.md §4). */
    sessionCreatePerMinute: 60,
    runsPerMinutePerUser: 10,
    cursorPerSecond: 10,
    editsPerSecond: 50,
    languageChangeIntervalMs: 5_000,
    /** `activity` reports per connection (docs/protocol.md §10). */
    activityPerSecond: 5,
  },
  /** API Gateway WebSocket quotas (docs/aws-notes.md): they must hold in the local front as well. */
  websocket: {
    frameMaxBytes: 32 * KIB,
    messageMaxBytes: 128 * KIB,
    idleTimeoutMs: 10 * 60 * 1000,
    connectionLifetimeMs: 2 * 60 * 60 * 1000,
    /** Bounded concurrency of postToConnection fan-out. */
    fanOutConcurrency: 16,
    /**
     * Open sockets per session, counted at `$connect` (a soft cap: connects at the same instant may pass
     * it by a few). An interview has a handful of people with a tab or two each; without a cap one link
     * could open thousands of sockets and every edit would be posted to each of them.
     */
    maxConnectionsPerSession: 50,
    /** Retry-After of a connect refused by that cap: sockets close when their people leave. */
    connectionsFullRetryAfterSeconds: 30,
  },
  document: {
    /** Compact (store a new state) once this many versions were written since the last state... */
    compactAfterUpdates: 32,
    /** ...or this many bytes of updates. */
    compactAfterBytes: 128 * KIB,
    /**
     * One write's budget against the version race (and DynamoDB's TransactionConflict when transactions
     * meet on the session item): this many tries or this long, whichever ends first; then the client is
     * told BUSY and nothing changed. Well under API Gateway's 29 s integration timeout.
     */
    writeAttempts: 40,
    writeBudgetMs: 8_000,
    /** Cap of the backoff between two tries (jittered, doubling from 4 ms). */
    writeBackoffMaxMs: 150,
    /**
     * The whole encoded Yjs state, not only the text: deleted text keeps its items' structure, so
     * typing and deleting could grow a session's state (and every reader's work) without bound.
     */
    maxStateBytes: 4 * MIB,
    /** Retry-After of a BUSY answer. */
    busyRetryAfterSeconds: 1,
    /**
     * How far back (log items read) a text client's baseVersion may be rebuilt to merge its edit;
     * older than that it gets VERSION_CONFLICT with the current text.
     */
    baseVersionReachItems: 256,
  },
} as const;

/** Epoch seconds: the unit of DynamoDB TTLs and of the `*Epoch` fields (the whole second `ms` falls in). */
export const epochSeconds = (ms: number = Date.now()): number => Math.floor(ms / 1000);
