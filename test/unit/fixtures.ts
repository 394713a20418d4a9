/**
 * Typed builders for the unit tests: API Gateway v2 HTTP events (WebSocket events: ws/events.ts), SQS
 * events, table items (session, document, snapshot, connection, execution, runner) and the mocked SDK
 * clients (DynamoDB DocumentClient, API Gateway Management API, SQS, ECS). Import this module before any product
 * module: its first import sets the environment (see env.ts).
 */
import { LAUNCH_QUEUE, TABLE } from './env.js';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException, DynamoDBClient, TransactionCanceledException, TransactWriteItemsCommand, type TransactWriteItemsCommandInput } from '@aws-sdk/client-dynamodb';
import { ApiGatewayManagementApiClient, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, SQSEvent, SQSRecord } from 'aws-lambda';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach } from 'vitest';
import { resetConfig } from '#aws/config.js';
import { dynamo } from '#aws/clients.js';
import { resetDocumentCache } from '#core/document-cache.js';
import { resetConnectionCache } from '#aws/store/connection-cache.js';
// Tests call use-cases directly too: the same composition root as the handlers.
import '#aws/wiring.js';

export { LAUNCH_QUEUE, TABLE };
export * from './items.js';
import { apiKeyItem, lookupItem, OPERATOR_KEY, sessionItem, type Item, type StoredSession } from './items.js';

// ---------------------------------------------------------------- events

export interface HttpEventInput {
  /** e.g. `GET /api/sessions/{sessionId}/code`: method and path template, as API Gateway sends it. */
  routeKey: string;
  sessionId?: string;
  snapshotId?: string;
  executionId?: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Claims of a JWT API Gateway's JWT authorizer verified (`requestContext.authorizer.jwt.claims`). */
  jwtClaims?: Record<string, unknown>;
  /** Serialised with JSON.stringify. */
  body?: unknown;
  /** Sent as is (wins over `body`). */
  rawBody?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  sourceIp?: string;
  /** Base64-encode the body, as API Gateway does for some content types. */
  base64?: boolean;
}

let requestCounter = 0;

/** A complete API Gateway HTTP API (payload v2) event for one route. */
export function httpEvent(input: HttpEventInput): APIGatewayProxyEventV2 {
  const [method = 'GET', template = '/'] = input.routeKey.split(' ');
  const pathParameters: Record<string, string> = {};
  if (input.sessionId !== undefined) pathParameters.sessionId = input.sessionId;
  if (input.snapshotId !== undefined) pathParameters.snapshotId = input.snapshotId;
  if (input.executionId !== undefined) pathParameters.executionId = input.executionId;
  const rawPath = template.replace(/\{(\w+)\}/g, (_, name: string) => pathParameters[name] ?? `{${name}}`);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'vitest', ...input.headers };
  if (input.token !== undefined) headers.authorization = `Bearer ${input.token}`;
  let body = input.rawBody ?? (input.body === undefined ? undefined : JSON.stringify(input.body));
  if (body !== undefined && input.base64) body = Buffer.from(body, 'utf8').toString('base64');
  const now = Date.now();
  const requestId = `req-${++requestCounter}`;
  const sourceIp = input.sourceIp ?? '203.0.113.7';
  return {
    version: '2.0',
    routeKey: input.routeKey,
    rawPath,
    rawQueryString: new URLSearchParams(input.query ?? {}).toString(),
    headers,
    ...(input.query ? { queryStringParameters: input.query } : {}),
    ...(Object.keys(pathParameters).length ? { pathParameters } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'api1234567',
      domainName: 'api1234567.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'api1234567',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp, userAgent: 'vitest' },
      requestId,
      routeKey: input.routeKey,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
      ...(input.jwtClaims ? { authorizer: { jwt: { claims: input.jwtClaims, scopes: [] } } } : {}),
    },
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: input.base64 ?? false,
  };
}

export type HttpHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2 & { statusCode: number }>;

export interface Reply<T = any> {
  status: number;
  headers: Record<string, string | number | boolean>;
  raw: string;
  body: T;
}

/** Invokes a handler and parses its JSON body. */
export async function call<T = any>(handler: HttpHandler, input: HttpEventInput): Promise<Reply<T>> {
  const result = await handler(httpEvent(input));
  const raw = result.body ?? '';
  return { status: result.statusCode, headers: result.headers ?? {}, raw, body: raw ? JSON.parse(raw) : undefined };
}

/** An SQS event (Lambda event source) with one record per body. */
export const sqsEvent = (...bodies: string[]): SQSEvent => ({
  Records: bodies.map(
    (body, i): SQSRecord => ({
      messageId: `msg-${i + 1}`,
      receiptHandle: `receipt-${i + 1}`,
      body,
      attributes: {
        ApproximateReceiveCount: '3',
        SentTimestamp: String(Date.now() - 60_000),
        SenderId: 'AIDAEXAMPLE',
        ApproximateFirstReceiveTimestamp: String(Date.now() - 55_000),
      },
      messageAttributes: {},
      md5OfBody: 'not-checked',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:runs-python-dlq',
      awsRegion: 'eu-west-1',
    }),
  ),
});

// ---------------------------------------------------------------- the mocked DocumentClient

export const ddb = mockClient(DynamoDBDocumentClient);

/**
 * The DocumentClient's base client, which the document append uses with attributes it marshalled itself
 * (shared/aws/store/items.ts `transactWriteMarshalled`). Its TransactWriteItems is handed to the mocked
 * DocumentClient as the TransactWriteCommand it stands for, unmarshalled: every test and table model
 * sees one kind of transaction, whichever client sent it.
 */
export const ddbBase = mockClient(DynamoDBClient);
const asDocumentItem = (v: Record<string, any> | undefined) => (v === undefined ? undefined : unmarshall(v));
export function bridgeBaseClient(): void {
  ddbBase.reset();
  ddbBase.on(TransactWriteItemsCommand).callsFake((input: TransactWriteItemsCommandInput) =>
    dynamo().send(
      new TransactWriteCommand({
        ...input,
        TransactItems: (input.TransactItems ?? []).map((item) => {
          const [kind, body] = Object.entries(item).find(([, v]) => v !== undefined) as [string, Record<string, any>];
          const converted: Record<string, unknown> = { ...body };
          for (const attr of ['Key', 'Item', 'ExpressionAttributeValues']) {
            if (body[attr] === undefined) delete converted[attr];
            else converted[attr] = asDocumentItem(body[attr]);
          }
          return { [kind]: converted };
        }),
      }),
    ),
  );
}
bridgeBaseClient();
/** The API Gateway Management API: HTTP routes push their effects to live sockets. */
export const mgmt = mockClient(ApiGatewayManagementApiClient);
/** Run queues (SendMessage from the API, Delete/ChangeVisibility from the runner). */
export const sqsMock = mockClient(SQSClient);
/** Runner launches (RunTask, from the launcher function only). */
export const ecsMock = mockClient(ECSClient);

const sqsMessages = () => sqsMock.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
/** Run messages sent so far (every SendMessage but launch requests), in order. */
export const runMessages = () => sqsMessages().filter((m) => m.QueueUrl !== LAUNCH_QUEUE);
/** Runner launch requests `{language, count}` queued for the launcher function, in order. */
export const launchRequests = (): { language: string; count: number }[] =>
  sqsMessages().filter((m) => m.QueueUrl === LAUNCH_QUEUE).map((m) => JSON.parse(m.MessageBody!));

/** What the session's Queries find; see `answerQuery`. */
const stored = { docPages: [] as Item[][], connections: [] as Item[], live: [] as Item[], runners: [] as Item[], overdue: [] as Item[] };

const nextDocPage = (): Item[] => (stored.docPages.length > 1 ? stored.docPages.shift()! : (stored.docPages[0] ?? []));

/**
 * Answers the Queries of the store by their key condition: a range of the document's items (`DOC#…`,
 * in the order asked for), the `C#` range (connections), runners and the watchdog index. Successive
 * document reads see successive pages of `givenDocument` (the document's items as they were at that
 * read). Anything else finds nothing (tests register specific answers).
 */
function answerQuery(input: { ExpressionAttributeValues?: Record<string, unknown>; ScanIndexForward?: boolean }) {
  const v = input.ExpressionAttributeValues ?? {};
  if (typeof v[':lo'] === 'string' && v[':lo'].startsWith('DOC#')) {
    const [lo, hi] = [v[':lo'], String(v[':hi'])];
    const items = nextDocPage()
      .filter((i) => typeof i.SK === 'string' && i.SK >= lo && i.SK <= hi)
      .sort((a, b) => String(a.SK).localeCompare(String(b.SK)));
    return { Items: input.ScanIndexForward === false ? items.reverse() : items };
  }
  if (v[':c'] === 'C#') return { Items: stored.connections };
  if (v[':pk'] === 'LIVE') return { Items: stored.live };
  if (typeof v[':pk'] === 'string' && v[':pk'].startsWith('RUNNERS#')) return { Items: stored.runners };
  if (v[':w'] === 'WATCH') return { Items: stored.overdue };
  return { Items: [] };
}

/** reset() before each test, then neutral answers: nothing stored, every write succeeds. */
export function useMockedDynamo(): void {
  beforeEach(() => {
    resetConfig();
    stored.docPages = [];
    resetDocumentCache();
    resetConnectionCache();
    stored.connections = [];
    stored.live = [];
    stored.runners = [];
    stored.overdue = [];
    ddb.reset();
    bridgeBaseClient();
    ddb.on(GetCommand).resolves({});
    ddb.on(QueryCommand).callsFake(answerQuery);
    ddb.on(TransactWriteCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});
    ddb.on(PutCommand).resolves({});
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(DeleteCommand).resolves({});
    mgmt.reset();
    mgmt.onAnyCommand().resolves({});
    sqsMock.reset();
    sqsMock.onAnyCommand().resolves({});
    ecsMock.reset();
    ecsMock.onAnyCommand().resolves({ tasks: [], failures: [] });
    givenApiKey();
  });
}

/** An operator API key the table knows (OPERATOR_KEY is registered for every test). */
export function givenApiKey(key = OPERATOR_KEY, overrides: Item = {}): Item {
  const item = apiKeyItem(key, overrides);
  ddb.on(GetCommand, { Key: { PK: item.PK, SK: item.SK } }).resolves({ Item: item });
  return item;
}

export function givenSession(item: StoredSession = sessionItem()): StoredSession {
  ddb.on(GetCommand, { Key: { PK: item.PK, SK: 'META' } }).resolves({ Item: item });
  return item;
}

/** The session's document (state + log items); several pages answer successive document reads. */
export function givenDocument(...pages: Item[][]): void {
  stored.docPages = pages;
}

export function givenConnections(items: Item[]): void {
  stored.connections = items;
}

/** The `CONN#` lookup of a live connection: the message handler's sender. */
export function givenSender(connectionId: string, overrides: Item = {}): Item {
  const item = lookupItem(connectionId, overrides);
  ddb.on(GetCommand, { Key: { PK: `CONN#${connectionId}`, SK: 'CONN' } }).resolves({ Item: item });
  return item;
}

/** The gauges' partition (LIVE / C#<connectionId>: sessionId, ttl), as the watchdog's Query finds it. */
export function givenLive(items: Item[]): void {
  stored.live = items;
}

/** Heartbeat items the runner registry Query finds (its FilterExpression is DynamoDB's job). */
export function givenRunners(items: Item[]): void {
  stored.runners = items;
}

/** Executions the watchdog's Query on the `watch` index finds. */
export function givenOverdue(items: Item[]): void {
  stored.overdue = items;
}

/** Messages pushed to sockets, parsed, with their connection id. */
export const pushed = (): { connectionId: string; message: any }[] =>
  mgmt.commandCalls(PostToConnectionCommand).map((c) => ({
    connectionId: c.args[0].input.ConnectionId!,
    message: JSON.parse(Buffer.from(c.args[0].input.Data as Uint8Array).toString('utf8')),
  }));

/** Messages pushed to one connection, in order. */
export const pushedTo = (connectionId: string): any[] =>
  pushed().filter((p) => p.connectionId === connectionId).map((p) => p.message);

/** Byte size of every Data sent to a socket. */
export const pushedSizes = (): number[] =>
  mgmt.commandCalls(PostToConnectionCommand).map((c) => (c.args[0].input.Data as Uint8Array).byteLength);

/** What a lost race on a conditional write looks like from the SDK. */
export const transactionCanceled = () => canceledBy('ConditionalCheckFailed');

/**
 * A transaction cancelled because another transaction was touching the same item at that moment (e.g.
 * a document append updating META): no condition failed, the write may simply be retried.
 */
export const transactionConflict = () => canceledBy('TransactionConflict');

const canceledBy = (code: string) => transactionCanceledWith(code, 'None');

/** A cancelled transaction with one reason per item, in order (`None` for the items that were fine). */
export const transactionCanceledWith = (...codes: string[]) =>
  new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

/**
 * A document append that lost: its condition on the session item failed, and DynamoDB returned the
 * item as it was (ReturnValuesOnConditionCheckFailure ALL_OLD) — a newer version, or an ended session.
 */
export const appendRefused = (meta: object) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]',
    $metadata: {},
    CancellationReasons: [{ Code: 'ConditionalCheckFailed', Item: marshall(meta, { removeUndefinedValues: true }) as never }, { Code: 'None' }],
  });

/** A recipient whose socket is closed (HTTP 410 from postToConnection). */
export const goneException = () => new GoneException({ message: 'Gone', $metadata: { httpStatusCode: 410 } });

/** The account's callback throttle (shared with the HTTP API's 10,000 req/s). */
export const throttled = () =>
  Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } });

export const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

// ---------------------------------------------------------------- reading what was sent

/** Inputs of every command of one type sent so far, in order. */
export function sent<C extends abstract new (...args: any) => any>(command: C): InstanceType<C>['input'][] {
  return ddb.commandCalls(command as any).map((c) => c.args[0].input as InstanceType<C>['input']);
}

/** The TransactItems of the n-th TransactWriteCommand. */
export function transactItems(n = 0) {
  const input = sent(TransactWriteCommand)[n];
  if (!input) throw new Error(`no TransactWriteCommand #${n} was sent`);
  return input.TransactItems ?? [];
}

/** Names of all commands sent, in order: for call-count assertions with a readable diff. */
export const commandNames = (): string[] => ddb.calls().map((c) => (c.args[0] as object).constructor.name);

/** Every write command sent (a 4xx that "writes nothing" must leave this empty). */
export const writes = (): string[] =>
  commandNames().filter((n) => ['TransactWriteCommand', 'UpdateCommand', 'PutCommand', 'BatchWriteCommand', 'DeleteCommand'].includes(n));
