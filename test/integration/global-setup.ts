/**
 * Vitest globalSetup of the "integration" project: one local stack (DynamoDB Local + the HTTP/WebSocket
 * front running the real handlers) on free ports for the whole run, stopped in teardown.
 * Tests read the URLs with `inject('httpUrl')` etc. The same values are also exported as environment
 * variables (TABLE_NAME, DYNAMODB_ENDPOINT, ...) so a test may use the shared clients against DynamoDB Local.
 * The stack's operator key is INTERVIEW_API_KEY, else `local-dev-key` (`inject('operatorKey')`, or
 * `OPERATOR_KEY` / `operatorHeaders()` / `createSession()` of ./http.ts).
 */
import type { TestProject } from 'vitest/node';
import { startLocalStack } from '../../local/stack.js';

declare module 'vitest' {
  export interface ProvidedContext {
    httpUrl: string;
    wsUrl: string;
    managementUrl: string;
    ddbEndpoint: string;
    tableName: string;
    /** The operator key the stack accepts for POST/GET /api/sessions. */
    operatorKey: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stack = await startLocalStack({ port: 0, ddbPort: 0, quiet: true });
  project.provide('httpUrl', stack.httpUrl);
  project.provide('wsUrl', stack.wsUrl);
  project.provide('managementUrl', stack.managementUrl);
  project.provide('ddbEndpoint', stack.ddbEndpoint);
  project.provide('tableName', stack.tableName);
  project.provide('operatorKey', stack.operatorKey.key);
  // startLocalStack set TABLE_NAME, DYNAMODB_ENDPOINT, WS_URL, WS_MANAGEMENT_ENDPOINT, STAGE, AWS_* in
  // this process; test workers are started after this and inherit them.
  return () => stack.stop();
}
