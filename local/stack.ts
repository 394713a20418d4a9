/**
 * The local stack as a list of services started in order and stopped in reverse: DynamoDB Local with the
 * product table, then one node:http server carrying the HTTP API front, the WebSocket front (`/ws`) and
 * the management API (`/@management`). The handlers run in this process with the environment the CDK
 * stack would give them, pointed at these local services.
 * `npm start` (local/start.ts), the integration tests and the benches all start it through startLocalStack.
 */
import { createServer, type Server } from 'node:http';
import { ENV, resetConfig } from '#aws/config.js';
import { resetClients } from '#aws/clients.js';
import { LIMITS } from '#contract/limits.js';
import { LOCAL_TABLE_NAME } from '#aws/table.js';
import { METRICS_FILE_ENV } from '#telemetry/metrics.js';
import { defaultMetricsFile } from './metrics.js';
import { ensureTable, startDynamoDbLocal } from './dynamodb.js';
import { createHttpFront, defaultHttpEntries, sendJson, type HttpEntries } from './http-front.js';
import { WsFront, defaultWsEntries, type WsEntries, type WsQuotas } from './ws-front.js';
import { MANAGEMENT_BASE_PATH, directPushTransport, handleManagementRequest } from './management-api.js';
import { usePushTransport } from '#aws/push.js';
import { createLogger, type Logger } from './log.js';
import { startPipeline, type LocalPipeline, type PipelineOptions } from './pipeline.js';
import { installLocalKey } from '#core/operators.js';
import '#aws/wiring.js';
import { resolveOperatorKey, type OperatorKey } from './operator-key.js';
import { freePortOr } from './ports.js';
import { prepareWebApp, serveWebApp } from './web-app.js';

export interface LocalStackOptions {
  /** HTTP + WebSocket port (default 3001; 0 = any free port). */
  port?: number;
  /** DynamoDB Local port (default 8000; 0 = any free port). */
  ddbPort?: number;
  /** Persist DynamoDB data in this directory (default: in memory). */
  dataDir?: string;
  /** Interface to listen on (default 127.0.0.1: the stack runs code, keep it off the network). */
  host?: string;
  /** Log errors only. */
  quiet?: boolean;
  tableName?: string;
  /** Override API Gateway's WebSocket quotas (tests use small idle/lifetime values). */
  wsQuotas?: Partial<WsQuotas>;
  /** Use this DynamoDB (e.g. one already started) instead of starting DynamoDB Local. */
  ddbEndpoint?: string;
  /** The execution pipeline (local SQS, runner processes, dead-letter poller, watchdog); false: off. */
  pipeline?: PipelineOptions | false;
  /**
   * How this process's handlers push to sockets: `direct` (default) through the front, or
   * `management-api`: the real SDK client over HTTP to the local Management API, as runner workers do.
   */
  pushVia?: 'direct' | 'management-api';
  /** Substitute handler modules (repository-relative), for tests of the front itself. */
  handlerEntries?: { http?: Partial<HttpEntries>; ws?: Partial<WsEntries> };
  /** The operator API key (default: INTERVIEW_API_KEY, else `local-dev-key` on loopback only). */
  operatorKey?: string;
  /** Where the handlers' and runners' metric lines go (default: local/metrics.ts defaultMetricsFile). */
  metricsFile?: string;
}

export interface LocalStack {
  httpUrl: string;
  wsUrl: string;
  managementUrl: string;
  ddbEndpoint: string;
  tableName: string;
  /** The one operator key this stack accepts besides keys made with `npm run api-key -- --local`. */
  operatorKey: OperatorKey;
  /** Present when the pipeline runs. */
  pipeline?: LocalPipeline;
  /** The metric lines (EMF) of this stack's handlers and runners: `npm run metrics` reads it. */
  metricsFile: string;
  stop(): Promise<void>;
}

/** One running piece of the stack. Later services (queue, runner workers) join the same list. */
interface Service {
  name: string;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = createLogger(options.quiet);
  const tableName = options.tableName ?? LOCAL_TABLE_NAME;
  // Before anything starts: the default key on a network interface is refused outright.
  const operatorKey = resolveOperatorKey(options.operatorKey ?? process.env.INTERVIEW_API_KEY, options.host);
  const services: Service[] = [];
  const stopAll = async () => {
    for (const service of services.splice(0).reverse()) {
      try {
        await service.stop();
      } catch (err) {
        log.error(`stopping ${service.name} failed`, err);
      }
    }
  };

  try {
    let ddbEndpoint = options.ddbEndpoint;
    if (!ddbEndpoint) {
      const ddb = await startDynamoDbLocal({ port: await freePortOr(options.ddbPort ?? 8000), dataDir: options.dataDir });
      services.push({ name: 'dynamodb-local', stop: ddb.stop });
      ddbEndpoint = ddb.endpoint;
    }
    const table = await ensureTable(ddbEndpoint, tableName);
    log.info(`DynamoDB on ${ddbEndpoint}, table ${tableName} (${table})`);

    const front = await startFront(log, options);
    services.push({ name: 'http+ws front', stop: front.stop });
    const base = `localhost:${front.port}`;
    const stack: LocalStack = {
      httpUrl: `http://${base}`,
      wsUrl: `ws://${base}/ws`,
      managementUrl: `http://${base}${MANAGEMENT_BASE_PATH}`,
      ddbEndpoint,
      tableName,
      operatorKey,
      metricsFile: options.metricsFile ?? defaultMetricsFile(options.dataDir),
      stop: stopAll,
    };
    configureHandlers(stack);
    await installLocalKey(operatorKey.key);
    if (options.pipeline !== false) {
      const pipeline = await startPipeline(log, { host: options.host, ...(options.pipeline ?? {}) });
      // Stopped before the front: running jobs still push their results through it.
      services.push({ name: 'pipeline', stop: pipeline.stop });
      stack.pipeline = pipeline;
    }
    return stack;
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * The environment the CDK stack sets on each function, pointed at the local services. Handlers read it
 * lazily, and the cached config/clients are reset in case something in this process already read them.
 */
function configureHandlers(stack: LocalStack): void {
  process.env[ENV.tableName] = stack.tableName;
  process.env[ENV.dynamoEndpoint] = stack.ddbEndpoint;
  process.env[ENV.wsUrl] = stack.wsUrl;
  process.env[ENV.wsManagementEndpoint] = stack.managementUrl;
  process.env[ENV.stage] = 'local';
  // The local "CloudWatch Logs" of the metric lines; runner processes inherit it (local/runners.ts).
  process.env[METRICS_FILE_ENV] = stack.metricsFile;
  process.env[ENV.region] ??= 'us-east-1';
  // The SDK signs every request; DynamoDB Local and our management API accept any credentials.
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  // Lambda runs Node 22; the SDK's notice about Node 20 (this machine) is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  resetConfig();
  resetClients();
}

async function startFront(log: Logger, options: LocalStackOptions): Promise<{ port: number; stop(): Promise<void> }> {
  await prepareWebApp(log);
  const overrides = options.handlerEntries ?? {};
  const ws = new WsFront(log, 'local', options.wsQuotas, { ...defaultWsEntries(), ...overrides.ws });
  const messageMaxBytes = options.wsQuotas?.messageMaxBytes ?? LIMITS.websocket.messageMaxBytes;
  const http = createHttpFront(log, { ...defaultHttpEntries(), ...overrides.http });
  // This process's handlers push through the front directly; separate processes (runner workers) and
  // `pushVia: 'management-api'` use the Management API endpoint below with the real SDK client.
  if (options.pushVia !== 'management-api') usePushTransport(directPushTransport(ws, messageMaxBytes));
  const server: Server = createServer((req, res) => {
    if (handleManagementRequest(ws, messageMaxBytes, req, res)) return;
    if (serveWebApp(req, res)) return; // the web app (local/web-app.ts); /api and the rest go on
    http(req, res).catch((err: unknown) => {
      log.error(`${req.method} ${req.url} failed in the local front`, err);
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
      else res.destroy();
    });
  });
  server.on('upgrade', (req, socket, head: Buffer) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    ws.handleUpgrade(req, socket, head).catch((err: unknown) => {
      log.error('WebSocket upgrade failed in the local front', err);
      socket.destroy();
    });
  });

  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 3001, options.host ?? '127.0.0.1', () => {
      server.off('error', fail);
      ready();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  log.info(`HTTP + WebSocket front on port ${port}`);

  return {
    port,
    stop: async () => {
      // WebSockets first, while the server still serves the management API their $disconnect may call.
      await ws.close();
      usePushTransport();
      const closed = new Promise<void>((done) => server.close(() => done()));
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), 2_000);
      await closed;
      clearTimeout(force);
    },
  };
}
