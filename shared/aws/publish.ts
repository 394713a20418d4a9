/**
 * The one place where what happened to a session becomes visible: socket fan-out, the run queue and
 * runner warm-up. Every entry point (HTTP routes, WebSocket actions, pipeline functions) hands its
 * use-case's events here, so a language change warms a runner whether it came from PATCH, a restore
 * or a WebSocket message.
 */
import { AppError } from '#contract/errors.js';
import { textAfter } from '#core/code.js';
import type { SessionEvent } from '#core/events.js';
import { emit } from '#telemetry/metrics.js';
import { logger } from '#telemetry/log.js';
import { broadcast, broadcastDocumentChange, endSessionSockets, finishedMessage, joinedRecipients } from './notify.js';
import { ensureRunners } from './runners/launcher.js';
import { broadcastQuestion } from './question-push.js';
import { listConnections, type ConnectionItem } from './store/connections.js';
import { failExecution } from './store/executions.js';
import { appendHistory } from './store/history.js';
import { participantsOf } from '#core/records.js';
import { sendRunMessage } from './runners/run-queue-send.js';

export interface PublishOptions {
  /** The session's connections when the caller has read them already (saves a Query). */
  connections?: ConnectionItem[];
  /** The writer's or joiner's own connection: it has its document change or session-joined already (DocumentChanged, SessionJoined). */
  exclude?: string;
}

/** Applies the events of ONE session; rejects only when a RunQueued run could not be handed to its queue. */
export async function publish(events: readonly SessionEvent[], options: PublishOptions = {}): Promise<void> {
  const first = events[0];
  if (!first) return;
  // A re-queued run tells nobody: its sockets need not be read.
  const tellsSomeone = events.some((e) => e.type !== 'RunRequeued');
  const connections = options.connections ?? (tellsSomeone ? await listConnections(first.sessionId) : []);
  await Promise.all(events.map((event) => apply(event, connections, options.exclude)));
}

async function apply(event: SessionEvent, connections: ConnectionItem[], exclude: string | undefined): Promise<void> {
  switch (event.type) {
    case 'DocumentChanged': {
      const recipients = joinedRecipients(connections, exclude);
      if (recipients.length === 0) return;
      // Text clients need the text after the write; read it only when one is listening.
      const text = recipients.some((c) => c.format !== 'yjs') ? await textAfter(event.sessionId, event.version) : undefined;
      const { sessionId, update, version, userId } = event;
      await broadcastDocumentChange(recipients, { sessionId, update, version, userId, ...(text ? { code: text.code, textVersion: text.version } : {}) });
      return;
    }
    case 'SessionJoined':
      await Promise.all([
        event.user ? broadcast(connections, { type: 'user-joined', ...event.user }, exclude) : undefined,
        ensureRunners(event.language),
      ]);
      return;
    case 'LanguageChanged':
      await Promise.all([
        broadcast(connections, { type: 'language-update', language: event.language, userId: event.userId }),
        ensureRunners(event.language),
      ]);
      return;
    case 'SessionEnded': {
      await endSessionSockets(connections, event.reason);
      // Those the end disconnects left too: the history and the playback say so, as for a closed socket
      // ($disconnect finds their presence gone and writes nothing).
      const left = participantsOf(connections);
      await Promise.all(left.map((u) => appendHistory(event.sessionId, event.ttl, 'user-left', { username: u.username }, u.id)));
      return;
    }
    case 'ExecutionFinished':
      await broadcast(connections, finishedMessage(event.execution));
      return;
    case 'RunQueued':
      return queueRun(event, connections);
    case 'RunRequeued':
      try {
        await sendRunMessage(event.language, { sessionId: event.sessionId, executionId: event.executionId });
      } catch (err) {
        logger.warn('run queue unreachable for a retried request; the run stays QUEUED', { executionId: event.executionId, error: err as Error });
      }
      return;
    case 'QuestionChanged':
      return broadcastQuestion(event.sessionId, connections, event.question);
    case 'SessionUpdated': {
      const { title, language, runsDisabled, editingLocked, settingsRevision } = event.session;
      await broadcast(connections, {
        type: 'session-updated', title, language, runsDisabled: runsDisabled === true, editingLocked: editingLocked === true, userId: event.userId,
        ...(settingsRevision !== undefined ? { revision: settingsRevision } : {}),
      });
      return;
    }
  }
}

async function queueRun(event: Extract<SessionEvent, { type: 'RunQueued' }>, connections: ConnectionItem[]): Promise<void> {
  const { sessionId, executionId, language, userId } = event;
  // Told before the message is sent, so no participant can see execution-started before execution-queued.
  await broadcast(connections, { type: 'execution-queued', executionId, language, userId });
  try {
    await sendRunMessage(language, { sessionId, executionId });
  } catch (err) {
    logger.error('run queue unreachable', { executionId, language, error: err as Error });
    const failed = await failExecution(sessionId, executionId, 'the run queue could not be reached');
    if (failed) await broadcast(connections, finishedMessage(failed));
    throw new AppError('INTERNAL_ERROR', 'The run could not be queued; it ended as SYSTEM_ERROR', { executionId, status: 'SYSTEM_ERROR' });
  }
  const runner = await ensureRunners(language);
  emit('RunsQueued', 1, { Language: language, Runner: runner === 'warm' ? 'warm' : 'cold' });
}
