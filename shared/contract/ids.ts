/** Ids: sessions are UUID v4 (docs/protocol.md §3); everything else is a ULID so ids sort by creation time. */
import { randomUUID } from 'node:crypto';
import { monotonicFactory } from 'ulid';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** A ULID's 26 Crockford base32 characters, for patterns that embed one (sort keys, cursors, tokens). */
export const ULID_CHARS = '[0-9A-HJKMNP-TV-Z]{26}';
const ULID = new RegExp(`^${ULID_CHARS}$`);

export const newSessionId = (): string => randomUUID();
export const isSessionId = (value: unknown): value is string => typeof value === 'string' && UUID_V4.test(value);

const ulid = monotonicFactory();
export const newId = (): string => ulid();
export const isSortableId = (value: unknown): value is string => typeof value === 'string' && ULID.test(value);
