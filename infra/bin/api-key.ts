/**
 * `npm run api-key -- <command> <target>`: operator API keys (docs/protocol.md §2) of a deployed stage or of the
 * local stack. Keys are written straight to the stage's DynamoDB table with your AWS credentials: there
 * is deliberately no HTTP route that mints keys.
 *
 *   create --name NAME   prints a new key once (only its SHA-256 is stored)
 *   list                 id, name, created, revoked, first characters
 *   revoke ID            the key stops working at once (consistent reads); it stays listed 90 days
 *
 * Target (one of):
 *   --stage STAGE        the table of stack Interview-STAGE, found with dynamodb:ListTables
 *   --table NAME         that table (see README: `aws cloudformation describe-stack-resources`)
 *   --local              DynamoDB Local of `npm start` (http://127.0.0.1:8000, table interview-local);
 *                        --endpoint URL / --table NAME for another one
 * Options: --region R (default AWS_REGION / AWS_DEFAULT_REGION), --json (machine-readable output).
 */
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { parseArgs } from 'node:util';
import { resetClients } from '#aws/clients.js';
import { ENV, resetConfig } from '#aws/config.js';
import { createApiKey, describeApiKeys } from '#core/operators.js';
import '#aws/wiring.js';
import { AppError } from '#contract/errors.js';
import { revokeApiKey } from '#aws/store/api-keys.js';
import { LOCAL_TABLE_NAME } from '#aws/table.js';

const USAGE = `usage: npm run api-key -- create --name NAME | list | revoke ID
       and one of: --stage STAGE | --table NAME | --local [--endpoint URL]
       options: --region REGION, --json`;

const LOCAL_ENDPOINT = 'http://127.0.0.1:8000'; // where npm start's DynamoDB Local listens (IPv4 loopback)

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      stage: { type: 'string' },
      table: { type: 'string' },
      local: { type: 'boolean' },
      endpoint: { type: 'string' },
      region: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const [command, ...rest] = positionals;
  const target = await resolveTarget(values);

  if (command === 'create' && rest.length === 0) {
    if (!values.name) throw new UsageError('create needs --name NAME');
    const created = await createApiKey(values.name);
    if (values.json) return print({ ...created, table: target });
    console.log(`Created API key ${created.keyId} named "${created.name}" in table ${target}.`);
    console.log('It is shown only this once (only its hash is stored): keep it in your secret store.\n');
    console.log(`  ${created.key}\n`);
    console.log('Send it as `Authorization: Bearer <key>` to POST/GET /api/sessions.');
    return;
  }
  if (command === 'list' && rest.length === 0) {
    const keys = await describeApiKeys();
    if (values.json) return print(keys);
    if (keys.length === 0) return console.log(`No API keys in table ${target}.`);
    const rows = [['id', 'name', 'created', 'revoked', 'starts with'], ...keys.map((k) => [k.keyId, k.name, k.createdAt, k.revokedAt ?? '-', k.hint])];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
    return;
  }
  if (command === 'revoke' && rest.length === 1) {
    const outcome = await revokeApiKey(rest[0]!);
    if (outcome === undefined) throw new UsageError(`no API key with id ${rest[0]} in table ${target}`);
    if (values.json) return print({ keyId: rest[0], revoked: true, already: outcome === 'already' });
    console.log(outcome === 'already' ? `API key ${rest[0]} was already revoked.` : `Revoked API key ${rest[0]} ("${outcome.name}").`);
    return;
  }
  throw new UsageError(command ? `unknown command or arguments: ${positionals.join(' ')}` : 'missing command');
}

/** Points the shared configuration (table, endpoint, region) at the chosen table; returns its name. */
async function resolveTarget(values: { stage?: string; table?: string; local?: boolean; endpoint?: string; region?: string }): Promise<string> {
  const chosen = [values.stage !== undefined, values.local === true, values.table !== undefined && !values.local].filter(Boolean).length;
  if (chosen !== 1) throw new UsageError('say which table: --stage STAGE, --table NAME or --local');
  if (values.region) process.env[ENV.region] = values.region;

  if (values.local) {
    process.env[ENV.dynamoEndpoint] = values.endpoint ?? LOCAL_ENDPOINT;
    process.env[ENV.tableName] = values.table ?? LOCAL_TABLE_NAME;
    process.env[ENV.region] ??= 'us-east-1';
    process.env.AWS_ACCESS_KEY_ID ??= 'local';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  } else {
    if (values.endpoint) throw new UsageError('--endpoint goes with --local');
    if (!process.env[ENV.region] && !process.env.AWS_DEFAULT_REGION) {
      throw new UsageError('which region? pass --region or set AWS_REGION');
    }
    delete process.env[ENV.dynamoEndpoint];
    process.env[ENV.tableName] = values.table ?? (await stageTable(values.stage!, process.env[ENV.region] ?? process.env.AWS_DEFAULT_REGION!));
  }
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  resetConfig();
  resetClients();
  return process.env[ENV.tableName]!;
}

/**
 * The table of stack `Interview-<stage>` (infra/app.ts): CloudFormation names it
 * `Interview-<stage>-DataTable<hash>-<suffix>` (construct Data/Table). ListTables is paged.
 */
async function stageTable(stage: string, region: string): Promise<string> {
  const prefix = `Interview-${stage}-DataTable`;
  const client = new DynamoDBClient({ region });
  const found: string[] = [];
  let start: string | undefined;
  do {
    const page = await client.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
    found.push(...(page.TableNames ?? []).filter((name) => name.startsWith(prefix)));
    start = page.LastEvaluatedTableName;
  } while (start);
  if (found.length === 1) return found[0]!;
  if (found.length === 0) throw new UsageError(`no table of stage "${stage}" (${prefix}*) in ${region}; pass --table NAME`);
  throw new UsageError(`several tables match ${prefix}*: ${found.join(', ')}; pass --table NAME`);
}

const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    if (err instanceof UsageError || err instanceof AppError) {
      console.error(`api-key: ${err instanceof AppError && err.details ? JSON.stringify(err.details) : err.message}\n${USAGE}`);
      process.exit(2);
    }
    const name = (err as { name?: string }).name;
    if (name === 'ResourceNotFoundException') console.error('api-key: the table does not exist (is the stack running / deployed?)');
    else if (JSON.stringify(err).includes('ECONNREFUSED') || String(err).includes('ECONNREFUSED')) {
      console.error('api-key: cannot reach DynamoDB (for --local: is `npm start` running, on the default --ddb-port 8000?)');
    } else console.error(`api-key: ${err instanceof Error ? `${name}: ${err.message}` : String(err)}`);
    process.exit(1);
  },
);
