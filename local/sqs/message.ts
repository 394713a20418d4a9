/**
 * Message bodies and message attributes as SQS checks and hashes them. The SDK verifies MD5OfMessageBody
 * and MD5OfBody on every send/receive, so these digests must match AWS byte for byte.
 */
import { createHash } from 'node:crypto';
import { SqsError, invalidParameter } from './errors.js';

/** A message attribute as the JSON protocol carries it (binary values are base64 strings). */
export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
  StringListValues?: string[];
  BinaryListValues?: string[];
}
export type MessageAttributes = Record<string, MessageAttributeValue>;

/** SQS accepts only these XML 1.0 characters in bodies and string attributes (InvalidMessageContents). */
const INVALID_CHARS = /[^\t\n\r\u{20}-\u{D7FF}\u{E000}-\u{FFFD}\u{10000}-\u{10FFFF}]/u;

export function md5Hex(data: string | Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

export function checkBody(body: unknown): string {
  if (typeof body !== 'string' || body.length === 0) {
    throw new SqsError('MissingParameter', 'The request must contain the parameter MessageBody.');
  }
  if (INVALID_CHARS.test(body)) {
    throw new SqsError('InvalidMessageContents', 'Invalid characters found in the message body.');
  }
  return body;
}

/** Validates attributes and returns their size in bytes (it counts toward the message size limit). */
export function checkAttributes(attributes: MessageAttributes | undefined): number {
  const entries = Object.entries(attributes ?? {});
  if (entries.length > 10) throw invalidParameter('MessageAttributes', entries.length, 'Number of message attributes exceeds the allowed maximum of 10.');
  let size = 0;
  for (const [name, value] of entries) {
    if (!/^(String|Number|Binary)(\..+)?$/.test(value?.DataType ?? '')) {
      throw invalidParameter(`MessageAttributes.${name}.DataType`, value?.DataType, 'Must be String, Number or Binary, optionally with a custom suffix.');
    }
    const payload = value.DataType.startsWith('Binary') ? value.BinaryValue : value.StringValue;
    if (payload === undefined) {
      throw new SqsError('InvalidParameterValue', `Message attribute '${name}' must contain a non-empty value of type '${value.DataType}'.`);
    }
    size += Buffer.byteLength(name) + Buffer.byteLength(value.DataType) + Buffer.byteLength(payload);
  }
  return size;
}

/**
 * SQS's digest of message attributes: attributes sorted by name; for each, length-prefixed (4-byte big
 * endian) name and data type, a transport byte (1 string, 2 binary), then the length-prefixed value.
 */
export function md5OfAttributes(attributes: MessageAttributes): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const parts: Buffer[] = [];
  const prefixed = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  };
  for (const name of names) {
    const value = attributes[name]!;
    prefixed(Buffer.from(name, 'utf8'));
    prefixed(Buffer.from(value.DataType, 'utf8'));
    const binary = value.DataType.startsWith('Binary');
    parts.push(Buffer.from([binary ? 2 : 1]));
    prefixed(binary ? Buffer.from(value.BinaryValue ?? '', 'base64') : Buffer.from(value.StringValue ?? '', 'utf8'));
  }
  return md5Hex(Buffer.concat(parts));
}

/** ReceiveMessage's MessageAttributeNames: `All`, `.*`, `prefix.*` or exact names. */
export function selectAttributes(attributes: MessageAttributes, requested: string[] | undefined): MessageAttributes {
  const wanted = requested ?? [];
  const matches = (name: string) =>
    wanted.some((w) => w === 'All' || w === '.*' || w === name || (w.endsWith('.*') && name.startsWith(w.slice(0, -1))));
  return Object.fromEntries(Object.entries(attributes).filter(([name]) => matches(name)));
}
