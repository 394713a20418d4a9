/**
 * The client library of the interview backend (SPEC §9): `connect()` gives a connection whose `doc`
 * (Y.Doc, text `code`) and `awareness` any Yjs editor binding can use.
 */
export { connect, Connection, type ConnectOptions, type Timing } from './connection.js';
export { splitUpdate } from './chunks.js';
export { colorFor } from './http.js';
export type * from './types.js';
