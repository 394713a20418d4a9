/**
 * `npm start`: the whole product on one machine. Options:
 *   --port N      HTTP + WebSocket port (default 3001)
 *   --ddb-port N  DynamoDB Local port (default 8000)
 *   --ddb-endpoint URL  use this DynamoDB instead of starting DynamoDB Local (another DynamoDB Local, a
 *                 real table for debugging, or a fault-injecting proxy); the table is created if absent
 *   --table NAME  table name (default interview-local)
 *   --data DIR    keep DynamoDB data in DIR across restarts (default: in memory), e.g. --data .data
 *   --host H      interface to listen on (default 127.0.0.1)
 * The operator key (POST/GET /api/sessions) is INTERVIEW_API_KEY, or `local-dev-key` on loopback only.
 * Ctrl-C stops everything, DynamoDB Local's JVM included.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_OPERATOR_KEY } from './operator-key.js';
import { startLocalStack } from './stack.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '3001' },
    'ddb-port': { type: 'string', default: '8000' },
    'ddb-endpoint': { type: 'string' },
    table: { type: 'string' },
    data: { type: 'string' },
    host: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log('usage: npm start -- [--port 3001] [--ddb-port 8000 | --ddb-endpoint URL] [--table NAME] [--data DIR] [--host 127.0.0.1]');
  process.exit(0);
}

const port = Number(values.port);
const ddbPort = Number(values['ddb-port']);
if (!Number.isInteger(port) || !Number.isInteger(ddbPort)) {
  console.error('--port and --ddb-port take numbers');
  process.exit(2);
}

const ddbEndpoint = values['ddb-endpoint'];
if (ddbEndpoint !== undefined && !/^https?:\/\/[^/\s]+\/?$/.test(ddbEndpoint)) {
  console.error('--ddb-endpoint takes a URL such as http://127.0.0.1:8000');
  process.exit(2);
}
const stack = await startLocalStack({ port, ddbPort, ddbEndpoint, tableName: values.table, dataDir: values.data, host: values.host }).catch((err: unknown) => {
  console.error(`Could not start the local stack: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

console.log(`
Local stack ready${values.data ? ` (data in ${values.data})` : ' (in memory: data is lost on exit)'}
  HTTP API        ${stack.httpUrl}
  WebSocket API   ${stack.wsUrl}
  Management API  ${stack.managementUrl}
  DynamoDB Local  ${stack.ddbEndpoint}  table ${stack.tableName}
  Operator key    ${
    stack.operatorKey.source === 'default'
      ? `${stack.operatorKey.key} (the default: INTERVIEW_API_KEY is unset; accepted on loopback only)`
      : 'from INTERVIEW_API_KEY'
  }

Try:
  export INTERVIEW_API_KEY=\${INTERVIEW_API_KEY:-${DEFAULT_OPERATOR_KEY}}
  curl -s -X POST ${stack.httpUrl}/api/sessions -H "authorization: Bearer $INTERVIEW_API_KEY" \\
    -H 'content-type: application/json' -d '{"title":"Demo"}'
then connect with the returned sessionId and token:
  npx wscat -c '${stack.wsUrl}?sessionId=<sessionId>&token=<interviewerToken>'

Ctrl-C to stop.
`);

let stopping = false;
const shutdown = (signal: NodeJS.Signals) => {
  if (stopping) {
    // Second Ctrl-C: leave now; the exit hook still kills DynamoDB Local's process group.
    process.exit(130);
  }
  stopping = true;
  console.log(`\n${signal}: stopping the local stack...`);
  stack.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
process.on('SIGHUP', shutdown);
