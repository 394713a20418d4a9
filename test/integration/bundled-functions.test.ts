/**
 * The functions that wire only the ports they reach (docs/architecture.md), run as Lambda runs them: each
 * bundled with the stack's own esbuild options (infra/bundling.ts), loaded alone in a fresh Node process
 * with the environment the synthesized template gives it (test/unit/function-env.json; only the table and
 * DynamoDB Local's endpoint replaced) and invoked with an API Gateway event against the shared DynamoDB
 * Local. The local stack and the unit tests load every adapter in one process, so a port such a function
 * reaches but does not wire would fail only in AWS ("not wired"): here it fails the test.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { LAMBDA_BUNDLE } from '../../infra/bundling.js';
import { HTTP_FUNCTIONS, WS_FUNCTIONS } from '#contract/routes.js';
import { createSession, type NewSession } from './http.js';

const run = promisify(execFile);
const ENVIRONMENTS = JSON.parse(readFileSync(new URL('../unit/function-env.json', import.meta.url), 'utf8')) as Record<string, Record<string, string>>;
const dir = mkdtempSync(join(tmpdir(), 'bundled-functions-'));
const driver = join(dir, 'invoke.mjs');
writeFileSync(
  driver,
  `const { handler } = await import(process.argv[2]);
const context = { awsRequestId: 'bundled-test', functionName: process.env.POWERTOOLS_SERVICE_NAME, memoryLimitInMB: '1024', invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test' };
const result = await handler(JSON.parse(process.argv[3]), context);
process.stdout.write('\\nRESULT ' + JSON.stringify(result) + '\\n');`,
);

/** Bundles `entry` as the stack deploys it, once. */
const bundles = new Map<string, Promise<string>>();
function bundled(name: string, entry: string): Promise<string> {
  if (!bundles.has(name)) {
    const outfile = join(dir, `${name}.mjs`);
    bundles.set(name, build({ ...LAMBDA_BUNDLE, banner: { js: LAMBDA_BUNDLE.banner }, entryPoints: [entry], outfile, bundle: true, logLevel: 'error' }).then(() => outfile));
  }
  return bundles.get(name)!;
}

/** Invokes the bundled function `name` in a process of its own; its answer. */
async function invoke(name: string, entry: string, event: unknown): Promise<{ statusCode: number; body?: string }> {
  const file = await bundled(name, entry);
  const env = {
    ...ENVIRONMENTS[name],
    TABLE_NAME: inject('tableName'),
    DYNAMODB_ENDPOINT: inject('ddbEndpoint'),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    PATH: process.env.PATH!,
  };
  const { stdout } = await run(process.execPath, [driver, file, JSON.stringify(event)], { env, maxBuffer: 16 * 1024 * 1024 });
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`${name} gave no result:\n${stdout}`);
  return JSON.parse(line.slice('RESULT '.length)) as { statusCode: number; body?: string };
}

function httpEvent(routeKey: string, sessionId: string, token: string) {
  const [method, template] = routeKey.split(' ') as [string, string];
  const path = template.replace('{sessionId}', sessionId);
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: '',
    headers: { authorization: `Bearer ${token}` },
    pathParameters: { sessionId },
    requestContext: { http: { method, path, sourceIp: '127.0.0.1' }, requestId: `bundled-${Math.random()}`, routeKey, stage: '$default' },
    isBase64Encoded: false,
  };
}

describe('lean-wired functions, bundled and run alone', () => {
  let session: NewSession;
  beforeAll(async () => {
    session = await createSession({ language: 'python' });
  });

  it('ws-connect accepts a candidate and refuses a bad token (sessions, review links)', async () => {
    const connect = (token: string, connectionId: string) =>
      invoke('ws-connect', WS_FUNCTIONS.connect.entry, {
        requestContext: { connectionId, routeKey: '$connect', eventType: 'CONNECT', requestId: connectionId, domainName: 'localhost', stage: 'dev' },
        queryStringParameters: { sessionId: session.sessionId, token },
      });
    expect(await connect(session.candidateToken, `bundled-${Date.now()}=`)).toEqual({ statusCode: 200 });
    expect((await connect('not-a-token', `bundled-bad-${Date.now()}=`)).statusCode).toBe(401);
  });

  it('http-code reads the code (documents)', async () => {
    const res = await invoke('http-code', HTTP_FUNCTIONS.code.entry, httpEvent('GET /api/sessions/{sessionId}/code', session.sessionId, session.candidateToken));
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body!)).toMatchObject({ language: 'python', version: 1 });
  });

  it('http-activity reads participants and the timeline (timeline)', async () => {
    const participants = await invoke('http-activity', HTTP_FUNCTIONS.activity.entry, httpEvent('GET /api/sessions/{sessionId}/participants', session.sessionId, session.interviewerToken));
    expect(participants.statusCode).toBe(200);
    const timeline = await invoke('http-activity', HTTP_FUNCTIONS.activity.entry, httpEvent('GET /api/sessions/{sessionId}/timeline', session.sessionId, session.interviewerToken));
    expect(timeline.statusCode).toBe(200);
    expect((JSON.parse(timeline.body!) as { events: unknown[] }).events.length).toBeGreaterThan(0);
  });
});
