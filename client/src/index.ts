/**
 * The client library of the interview backend (docs/protocol.md §9): `connect()` gives a connection whose `doc`
 * (Y.Doc, text `code`) and `awareness` any Yjs editor binding can use.
 */
export { connect, Connection } from './connection.js';
export type { ConnectOptions, Timing } from './options.js';
export { splitUpdate } from './chunks.js';
export { colorFor } from './http.js';
export type * from './types.js';
export { SessionApi, QuestionBank, HttpError, request } from './rest.js';
export type { Session, SessionPatch, ReviewLink, TimelineEvent, QuestionSummary, HistoryEntry } from './rest.js';
export { NOTES_TEXT } from './connection.js';
