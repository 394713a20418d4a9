/**
 * The unit tests run each function with the environment of test/unit/function-env.json: it must be what
 * the stack sets today. And what the runtime half of the pipeline needs from the stack: the watchdog can
 * ask for runners (launch queue URL + SendMessage on it), the launcher can enforce the deployment-wide cap;
 * $connect may condition-check and delete table items.
 */
import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxRunnersInFlight } from '../../infra/constructs/pipeline-functions.js';
import { DEFAULT_MAX_RUNNERS_IN_FLIGHT, ENV } from '#aws/config.js';
import { HTTP_FUNCTIONS } from '#contract/routes.js';
import { buildApp, type Built } from './harness.js';
import { committedEnvironments, functionEnvironments, serialize } from './function-env.js';
import { actionsOf, arnOf, ref, resourcesOf, TemplateReader } from './template.js';

let built: Built;
let r: TemplateReader;

beforeAll(() => {
  built = buildApp({ stage: 'dev', bundle: false, nag: false });
  r = new TemplateReader(built.stack);
});
afterAll(() => built?.cleanup());

describe('test/unit/function-env.json', () => {
  it('is the environment a fresh synth gives every function and runner task (run `npm run test:function-env` after changing it)', () => {
    expect(committedEnvironments()).toBe(serialize(functionEnvironments(built.stack)));
  });
});

describe('what the execution pipeline functions need at run time', () => {
  const pipeline = () => built.stack.execution.pipeline.functions;
  const launchQueue = () => built.stack.execution.queues.launchQueue;

  it('lets the watchdog ask for runners: the launch queue URL, the per-language cap and SendMessage on that queue only', () => {
    const env = r.envOf(pipeline().watchdog);
    expect(env[ENV.launchQueueUrl]).toEqual(ref(launchQueue()));
    expect(env[ENV.maxRunners]).toBe(String(built.stack.execution.runners.maxRunnersPerLanguage));
    const sends = r.statementsOf(pipeline().watchdog).filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')));
    expect(sends.map((s) => [actionsOf(s), resourcesOf(s)])).toEqual([[['sqs:SendMessage'], [arnOf(launchQueue())]]]);
    // Still nothing of ECS and no run queue: only the launcher starts tasks, only run requests queue runs.
    expect(r.statementsOf(pipeline().watchdog).flatMap(actionsOf).some((a) => a.startsWith('ecs:') || a === 'iam:PassRole')).toBe(false);
    for (const key of [ENV.runQueueUrls, ENV.ecsCluster, ENV.ecsTaskDefinitions]) expect(env[key], key).toBeUndefined();
  });

  // PATCH and a snapshot restore can switch the language; publish() then asks for a runner of it
  // (shared/aws/publish.ts). Without the launch queue that ask fails in AWS only (once-per-container WARN).
  it('lets the functions that can switch the language (PATCH, restore) ask for runners: launch queue only', () => {
    const warming = Object.entries(HTTP_FUNCTIONS).filter(([, def]) => 'warms' in def && def.warms).map(([name]) => name);
    expect(warming.sort()).toEqual(['sessions', 'snapshots']);
    for (const name of warming) {
      const fn = built.stack.http.functions[name as keyof typeof HTTP_FUNCTIONS];
      const env = r.envOf(fn);
      expect(env[ENV.launchQueueUrl], name).toEqual(ref(launchQueue()));
      expect(env[ENV.maxRunners], name).toBe(String(built.stack.execution.runners.maxRunnersPerLanguage));
      expect(env[ENV.runQueueUrls], name).toBeUndefined();
      const sends = r.statementsOf(fn).filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')));
      expect(sends.map((s) => [actionsOf(s), resourcesOf(s)]), name).toEqual([[['sqs:SendMessage'], [arnOf(launchQueue())]]]);
    }
  });

  it('grants no action the code never calls (BatchGetItem, DescribeTable, GetQueueUrl, GetQueueAttributes on a queue it only sends to)', () => {
    const all = { ...built.stack.http.functions, ...built.stack.webSocket.functions, ...pipeline() };
    // The dead-letter handler and the launcher consume their queues through event sources, whose grant
    // (Lambda's poller runs as the function's role) includes GetQueueAttributes and GetQueueUrl.
    const consumers = new Set(['deadLetter', 'launcher']);
    for (const [name, fn] of Object.entries(all)) {
      const actions = r.statementsOf(fn).flatMap(actionsOf);
      for (const unused of ['dynamodb:BatchGetItem', 'dynamodb:DescribeTable']) expect(actions, name).not.toContain(unused);
      if (!consumers.has(name)) for (const unused of ['sqs:GetQueueUrl', 'sqs:GetQueueAttributes']) expect(actions, name).not.toContain(unused);
      // Whoever has a queue URL in its environment may send to it.
      if (r.envOf(fn)[ENV.launchQueueUrl]) expect(actions, name).toContain('sqs:SendMessage');
    }
  });

  it(`gives the launcher the caps (MAX_RUNNERS_IN_FLIGHT default ${DEFAULT_MAX_RUNNERS_IN_FLIGHT}) and the table it counts runners in`, () => {
    const env = r.envOf(pipeline().launcher);
    expect(env[ENV.maxRunnersInFlight]).toBe(String(DEFAULT_MAX_RUNNERS_IN_FLIGHT));
    expect(env[ENV.maxRunners]).toBe(String(built.stack.execution.runners.maxRunnersPerLanguage));
    expect(env[ENV.tableName]).toEqual(ref(built.stack.data.table));
    const actions = r.statementsOf(pipeline().launcher).flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem']));
    // No index, no push, no queue writes.
    expect(JSON.stringify(r.statementsOf(pipeline().launcher))).not.toContain('/index/');
    expect(actions.some((a) => a.startsWith('execute-api:') || a === 'sqs:SendMessage')).toBe(false);
  });

  it('takes the cap from -c maxRunnersInFlight and refuses a value that is not a positive integer', () => {
    const other = buildApp({ stage: 'dev', bundle: false, nag: false, context: { maxRunnersInFlight: '25' } });
    try {
      expect(new TemplateReader(other.stack).envOf(other.stack.execution.pipeline.functions.launcher)[ENV.maxRunnersInFlight]).toBe('25');
    } finally {
      other.cleanup();
    }
    for (const bad of ['0', '-1', '2.5', 'many']) {
      expect(() => maxRunnersInFlight(new App({ context: { maxRunnersInFlight: bad } })), bad).toThrow(/-c maxRunnersInFlight=.*positive integer/);
    }
    expect(maxRunnersInFlight(new App())).toBe(DEFAULT_MAX_RUNNERS_IN_FLIGHT);
  });
});

describe('what $connect needs at run time', () => {
  // The connection is stored on condition that the session is still active (a ConditionCheck on its META
  // in the same TransactWriteItems, which IAM checks as ConditionCheckItem), and a handshake that finds
  // the session over its socket cap deletes what it stored (functions/ws/connect.ts). Locally no IAM
  // applies: without these grants $connect would fail in AWS only.
  it('may condition-check, put and delete items of the table', () => {
    const fn = built.stack.webSocket.functions.connect;
    const table = arnOf(built.stack.data.table);
    const onTable = r.statementsOf(fn).filter((s) => resourcesOf(s).some((res) => JSON.stringify(res) === JSON.stringify(table)));
    expect(onTable.flatMap(actionsOf)).toEqual(expect.arrayContaining(['dynamodb:ConditionCheckItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:GetItem']));
  });
});
