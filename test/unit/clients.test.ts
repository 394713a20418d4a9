/**
 * shared/aws/clients.ts: the SDK clients skip per-call work nobody uses (bench/realtime.ts measures the
 * CPU per DynamoDB call): no logger middleware formatting every input and output for a no-op logger, and
 * the management client resolves its middleware chain once per command class instead of once per post.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoDBClient, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { HttpResponse } from '@smithy/core/protocols';
import { dynamo, dynamoBase, management, observeCommands, resetClients } from '#aws/clients.js';
import { ENV, resetConfig } from '#aws/config.js';
import { marshallTransaction } from '#aws/store/items.js';

const names = (stack: { identify(): string[] }) => stack.identify().map((m) => m.split(' ')[0]);

describe('AWS SDK clients', () => {
  afterEach(() => {
    delete process.env[ENV.wsManagementEndpoint];
    resetConfig();
    resetClients();
  });

  it('the DynamoDB client has no logger middleware and still counts calls', () => {
    const stack = names(dynamo().middlewareStack);
    expect(stack).not.toContain('loggerMiddleware');
    expect(stack).toContain('countCalls');
    expect(stack).toContain('retryMiddleware');
  });

  it('the management client has no logger middleware and caches its resolved middleware', async () => {
    process.env[ENV.wsManagementEndpoint] = 'http://127.0.0.1:9/@management';
    resetConfig();
    const client = management();
    expect(names(client.middlewareStack)).not.toContain('loggerMiddleware');
    expect(client.config.cacheMiddleware).toBe(true);
    // The cached chain still runs the counting middleware on every call.
    const seen: string[] = [];
    const stop = observeCommands((service, command) => seen.push(`${service}:${command}`));
    const { PostToConnectionCommand } = await import('@aws-sdk/client-apigatewaymanagementapi');
    for (let i = 0; i < 2; i++) {
      await client.send(new PostToConnectionCommand({ ConnectionId: 'c', Data: new Uint8Array([1]) })).catch(() => undefined);
    }
    stop();
    expect(seen).toEqual(['apigatewaymanagementapi:PostToConnectionCommand', 'apigatewaymanagementapi:PostToConnectionCommand']);
  });

  it('the document append goes on the wire exactly as the DocumentClient would send it, through its base client', async () => {
    // A base client whose HTTP handler keeps the request body and answers an empty 200.
    const bodies: string[] = [];
    const client = new DynamoDBClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'k', secretAccessKey: 's' },
      requestHandler: {
        handle: async (request: { body?: unknown }) => {
          bodies.push(String(request.body));
          return { response: new HttpResponse({ statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: Buffer.from('{}') }) };
        },
      } as never,
    });
    // As shared/aws/store/documents.ts appendUpdate writes it: numbers, booleans, bytes, a name map, and
    // an undefined attribute the client's options drop.
    const input: TransactWriteCommandInput = {
      ClientRequestToken: 'abcdefghijklmnop-8',
      TransactItems: [
        {
          Update: {
            TableName: 'interview-test',
            Key: { PK: 'S#01J0', SK: 'META' },
            UpdateExpression: 'SET version = :next, lastActivity = :at',
            ConditionExpression: 'version = :expected AND #status = :active AND (attribute_not_exists(editingLocked) OR editingLocked <> :locked)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':next': 8, ':expected': 7, ':at': '2026-11-30T19:00:00.000Z', ':active': 'active', ':locked': true },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        {
          Put: {
            TableName: 'interview-test',
            Item: { PK: 'S#01J0', SK: 'DOC#000000000008#U', version: 8, update: new Uint8Array([1, 2, 3, 250]), userId: 'u-1', gone: undefined, ttl: 1796000000 },
            ConditionExpression: 'attribute_not_exists(SK)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        { Put: { TableName: 'interview-test', Item: { PK: 'S#01J0', SK: 'H#01J1', detail: { version: 8, names: ['a', 'b'], note: '' } } } },
      ],
    };
    const documentClient = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false } });
    await documentClient.send(new TransactWriteCommand(input));
    await client.send(new TransactWriteItemsCommand(marshallTransaction(input)));
    expect(bodies).toHaveLength(2);
    expect(JSON.parse(bodies[1]!)).toEqual(JSON.parse(bodies[0]!));
    expect(bodies[0]).toContain('"B":"AQID+g=="');
    // The product's base client is the DocumentClient's own: same configuration and call counting.
    expect(names(dynamoBase().middlewareStack)).toContain('countCalls');
  });
});
