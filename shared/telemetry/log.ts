/**
 * Structured JSON logs (Powertools Logger). Every line carries the request id and, once known, the
 * session id. Never log a token or user code: log sizes and ids instead.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'interview-backend',
  logLevel: (process.env.POWERTOOLS_LOG_LEVEL ?? process.env.LOG_LEVEL ?? 'INFO') as 'INFO',
});
