/** HTTP API (payload v2) responses: JSON bodies, and the contract's error body `{error, message, details?}`. */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { AppError } from '#contract/errors.js';

export type HttpResult = APIGatewayProxyStructuredResultV2 & { statusCode: number };

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult => ({
  statusCode,
  headers: { ...JSON_HEADERS, ...headers },
  body: JSON.stringify(body),
});

export function errorResult(err: AppError): HttpResult {
  const headers: Record<string, string> = {};
  if (err.retryAfter !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(err.retryAfter)));
  return json(err.status, { error: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) }, headers);
}

export const internalError = (): HttpResult =>
  json(500, { error: 'INTERNAL_ERROR', message: 'Something went wrong on our side; it has been logged' });
