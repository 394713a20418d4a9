/**
 * The execution pipeline around the runners: run queues and DLQs, the dead-letter and watchdog
 * functions, the grants of the functions that queue runs, and the pipeline's alarms.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProjectFunction } from '../../infra/constructs/project-function.js';
import { ENV } from '#aws/config.js';
import { LANGUAGE_IDS } from '#contract/languages.js';
import { LIMITS } from '#contract/limits.js';
import { HTTP_FUNCTIONS, PIPELINE_FUNCTIONS, type HttpFunctionName } from '#contract/routes.js';
import { TABLE_DEFINITION, WATCH_INDEX } from '#aws/table.js';
import { buildApp, logicalId, type Built } from './harness.js';
import { actionsOf, arnOf, ref, resourcesOf, TemplateReader, type Json } from './template.js';

let built: Built;
let r: TemplateReader;

beforeAll(() => {
  built = buildApp({ stage: 'dev', bundle: false });
  r = new TemplateReader(built.stack);
});
afterAll(() => built?.cleanup());

const execution = () => built.stack.execution;

describe('run queues', () => {
  it('has one queue per language, all redriving to ONE shared DLQ after LIMITS.execution.maxReceives deliveries', () => {
    // 8 run queues, the launch queue, one DLQ (was one DLQ per queue: 18 queues, 9 pollers).
    r.template.resourceCountIs('AWS::SQS::Queue', LANGUAGE_IDS.length + 2);
    const dlq = execution().queues.deadLetterQueue;
    for (const language of LANGUAGE_IDS) {
      const queue = r.resources[logicalId(execution().queues.queues[language])]!.Properties;
      expect(queue.RedrivePolicy, language).toEqual({ deadLetterTargetArn: arnOf(dlq), maxReceiveCount: LIMITS.execution.maxReceives });
      expect(queue.VisibilityTimeout, language).toBe(LIMITS.execution.visibilityTimeoutSeconds);
    }
    const props = r.resources[logicalId(dlq)]!.Properties;
    expect(props.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    expect(props.RedrivePolicy).toBeUndefined();
    expect(LIMITS.execution.maxReceives).toBe(3);
  });

  it('has a launch queue redriving to the same DLQ, kept short (a stale launch request serves no run)', () => {
    const queue = r.resources[logicalId(execution().queues.launchQueue)]!.Properties;
    expect(queue.RedrivePolicy).toEqual({ deadLetterTargetArn: arnOf(execution().queues.deadLetterQueue), maxReceiveCount: LIMITS.execution.maxReceives });
    expect(queue.MessageRetentionPeriod).toBeLessThanOrEqual(LIMITS.execution.queuedTimeoutMs / 1000 * 3);
    // The visibility timeout must cover the launcher's timeout (Lambda refuses the event source otherwise).
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * r.resources[logicalId(execution().pipeline.functions.launcher.fn)]!.Properties.Timeout);
  });

  it('encrypts every queue with SQS-managed keys and denies requests without TLS', () => {
    const queues = r.ofType('AWS::SQS::Queue');
    const policies = r.ofType('AWS::SQS::QueuePolicy').map(([, p]) => p.Properties);
    for (const [id, queue] of queues) {
      expect(queue.Properties.SqsManagedSseEnabled, id).toBe(true);
      const policy = policies.find((p) => (p.Queues as Json[]).some((q) => q.Ref === id));
      expect(policy, id).toBeDefined();
      const deny = (policy!.PolicyDocument.Statement as Json[]).find((s) => s.Effect === 'Deny');
      expect(deny?.Condition, id).toEqual({ Bool: { 'aws:SecureTransport': 'false' } });
    }
  });
});

describe('pipeline functions', () => {
  it('consumes the shared DLQ with ONE mapping of the dead-letter function, reporting partial batch failures', () => {
    const mappings = r.ofType('AWS::Lambda::EventSourceMapping').map(([, m]) => m.Properties);
    const deadLetter = execution().pipeline.functions.deadLetter;
    const ofDeadLetter = mappings.filter((m) => JSON.stringify(m.FunctionName) === JSON.stringify(ref(deadLetter.fn)));
    expect(ofDeadLetter).toHaveLength(1);
    expect(ofDeadLetter[0]!.EventSourceArn).toEqual(arnOf(execution().queues.deadLetterQueue));
    expect(ofDeadLetter[0]!.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    // Each mapping keeps Lambda's pollers long-polling while idle: the DLQ's and the launch queue's only.
    expect(mappings).toHaveLength(2);
    expect(r.resources[logicalId(deadLetter.fn)]!.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME).toBe('interview-pipeline-dead-letter');
  });

  it(`runs the watchdog on a schedule every ${PIPELINE_FUNCTIONS.watchdog.everyMinutes} minute(s)`, () => {
    const rules = r.ofType('AWS::Events::Rule').map(([, r]) => r.Properties);
    const watchdog = execution().pipeline.functions.watchdog;
    const rule = rules.find((r) => (r.Targets as Json[]).some((t) => JSON.stringify(t.Arn) === JSON.stringify(arnOf(watchdog.fn))));
    expect(rule?.ScheduleExpression).toBe(PIPELINE_FUNCTIONS.watchdog.everyMinutes === 1 ? 'rate(1 minute)' : `rate(${PIPELINE_FUNCTIONS.watchdog.everyMinutes} minutes)`);
    expect(rule?.State ?? 'ENABLED').toBe('ENABLED');
  });

  it('builds the `watch` GSI from TABLE_DEFINITION (INCLUDE projection) and lets only the watchdog query it', () => {
    const table = r.resources[logicalId(built.stack.data.table)]!.Properties;
    const [index] = TABLE_DEFINITION.globalSecondaryIndexes;
    expect(table.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: WATCH_INDEX,
        KeySchema: [
          { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
        ],
        // INCLUDE, not ALL: the index holds what the watchdog reads, not the executions' code and output.
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['sessionId', 'executionId', 'status', 'language'] },
      },
    ]);
    const indexArn = { 'Fn::Join': ['', [arnOf(built.stack.data.table), `/index/${WATCH_INDEX}`]] };
    const watchdog = r.statementsOf(execution().pipeline.functions.watchdog);
    expect(watchdog.filter((s) => JSON.stringify(resourcesOf(s)).includes('/index/')).map((s) => [actionsOf(s), resourcesOf(s)])).toEqual([
      [['dynamodb:Query'], [indexArn]],
    ]);
    expect(watchdog.flatMap(actionsOf)).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:UpdateItem']));
    // Nobody else reads the index (nor gets CDK's `index/*`).
    for (const [id, policy] of r.ofType('AWS::IAM::Policy')) {
      const text = JSON.stringify(policy.Properties.PolicyDocument);
      if (text.includes('/index/')) expect(policy.Properties.Roles, id).toEqual([ref(execution().pipeline.functions.watchdog.role)]);
    }
  });

  it('projects every attribute the watchdog reads from the index (overdueExecutions in shared/aws/store/executions.ts)', () => {
    const source = readFileSync(new URL('shared/aws/store/executions.ts', new URL('../../', import.meta.url)), 'utf8');
    const start = source.indexOf('export async function overdueExecutions');
    const body = source.slice(start, source.indexOf('\nexport ', start + 1));
    const read = new Set([...body.matchAll(/\bi\.(\w+)/g)].map((m) => m[1]!));
    expect(read.size).toBeGreaterThan(0);
    const [index] = TABLE_DEFINITION.globalSecondaryIndexes;
    const projected = new Set<string>([index.partitionKey.name, index.sortKey.name, TABLE_DEFINITION.partitionKey.name, TABLE_DEFINITION.sortKey.name, ...index.nonKeyAttributes]);
    for (const attribute of read) expect(projected.has(attribute), `the watch index lacks ${attribute}`).toBe(true);
  });

  it('lets the dead-letter function and the watchdog read/write the table and push (POST) to the WebSocket stage; the watchdog also closes (DELETE)', () => {
    const { deadLetter, watchdog } = execution().pipeline.functions;
    const methods = { deadLetter: ['POST'], watchdog: ['POST', 'DELETE'] };
    for (const [name, fn] of Object.entries({ deadLetter, watchdog })) {
      const statements = r.statementsOf(fn);
      expect(statements.flatMap(actionsOf), name).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'execute-api:ManageConnections']));
      const manage = statements.filter((s) => actionsOf(s).includes('execute-api:ManageConnections')).flatMap(resourcesOf);
      const allowed = manage.map((m) => ((m as Json)['Fn::Join'][1] as string[]).at(-1));
      expect(allowed.sort(), name).toEqual(methods[name as keyof typeof methods].map((m) => `/dev/${m}/@connections/*`).sort());
      expect(r.envOf(fn)[ENV.wsManagementEndpoint], name).toBeDefined();
    }
  });
});

describe('functions that queue runs', () => {
  const runs = (): [string, ProjectFunction][] => [
    ...(Object.keys(HTTP_FUNCTIONS) as HttpFunctionName[])
      .filter((n) => (HTTP_FUNCTIONS[n] as { runs?: boolean }).runs)
      .map((n) => [`http-${n}`, built.stack.http.functions[n]] as [string, ProjectFunction]),
    ['ws-message', built.stack.webSocket.functions.message],
  ];
  const others = (): [string, ProjectFunction][] => {
    const running = new Set(runs().map(([, fn]) => fn));
    return [
      ...Object.entries(built.stack.http.functions).map(([n, fn]) => [`http-${n}`, fn] as [string, ProjectFunction]),
      ...Object.entries(built.stack.webSocket.functions).map(([n, fn]) => [`ws-${n}`, fn] as [string, ProjectFunction]),
      ...Object.entries(execution().pipeline.functions).map(([n, fn]) => [`pipeline-${n}`, fn] as [string, ProjectFunction]),
    ].filter(([, fn]) => !running.has(fn));
  };

  const launcher = () => execution().pipeline.functions.launcher;
  const sendTargets = (fn: ProjectFunction) =>
    r.statementsOf(fn).filter((s) => actionsOf(s).includes('sqs:SendMessage')).flatMap(resourcesOf);

  it('grants SendMessage on every run queue and on the launch queue, and nothing of ECS', () => {
    expect(runs().map(([n]) => n)).toEqual(['http-executions', 'ws-message']);
    for (const [name, fn] of runs()) {
      const expected = [...LANGUAGE_IDS.map((l) => arnOf(execution().queues.queues[l])), arnOf(execution().queues.launchQueue)];
      expect(sendTargets(fn), name).toEqual(expect.arrayContaining(expected));
      expect(sendTargets(fn), name).toHaveLength(expected.length);
      const actions = r.statementsOf(fn).flatMap(actionsOf);
      for (const a of ['ecs:RunTask', 'iam:PassRole']) expect(actions, `${name} must not ${a}`).not.toContain(a);
    }
  });

  it('hands them the queue URLs, the launch queue and the runner cap', () => {
    for (const [name, fn] of runs()) {
      const env = r.envOf(fn);
      const urls = JSON.stringify(env[ENV.runQueueUrls]);
      for (const l of LANGUAGE_IDS) expect(urls, `${name} ${l}`).toContain(logicalId(execution().queues.queues[l]));
      expect(env[ENV.launchQueueUrl], name).toEqual(ref(execution().queues.launchQueue));
      expect(env[ENV.maxRunners], name).toBe(String(LIMITS.execution.maxRunnersPerLanguage));
      for (const key of [ENV.ecsCluster, ENV.ecsTaskDefinitions]) expect(env[key], `${name} ${key}`).toBeUndefined();
    }
  });

  it('lets only the launcher call RunTask (in the cluster) and pass the runner roles (to ECS tasks)', () => {
    const statements = r.statementsOf(launcher());
    const runTask = statements.filter((s) => actionsOf(s).includes('ecs:RunTask'));
    expect(runTask.flatMap(resourcesOf)).toEqual(expect.arrayContaining(LANGUAGE_IDS.map((l) => ref(execution().runners.taskDefinitions[l]))));
    expect(runTask.flatMap(resourcesOf)).toHaveLength(LANGUAGE_IDS.length);
    for (const s of runTask) expect(s.Condition).toEqual({ ArnEquals: { 'ecs:cluster': arnOf(execution().runners.cluster) } });
    const passRole = statements.filter((s) => actionsOf(s).includes('iam:PassRole'));
    const roles = LANGUAGE_IDS.flatMap((l) => [arnOf(execution().runners.taskRoles[l]), arnOf(execution().runners.executionRoles[l])]);
    expect(passRole.flatMap(resourcesOf)).toEqual(expect.arrayContaining(roles));
    expect(passRole.flatMap(resourcesOf)).toHaveLength(roles.length);
    for (const s of passRole) expect(s.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
    // No other role of the stack (functions, runner task roles) may start tasks or pass the runner roles.
    const launcherRole = logicalId(launcher().role);
    for (const [id, policy] of r.ofType('AWS::IAM::Policy')) {
      if ((policy.Properties.Roles as Json[]).some((role) => role.Ref === launcherRole)) continue;
      const text = JSON.stringify(policy.Properties.PolicyDocument);
      expect(text, id).not.toContain('ecs:RunTask');
      for (const l of LANGUAGE_IDS) {
        if (text.includes('iam:PassRole')) expect(text, `${id} passes a runner role`).not.toContain(logicalId(execution().runners.taskRoles[l]));
      }
    }
  });

  it('gives the launcher the RunTask configuration, its queue as event source, and no push access (its table access: function-env.test.ts)', () => {
    const env = r.envOf(launcher());
    expect(env[ENV.ecsCluster]).toEqual(arnOf(execution().runners.cluster));
    const defs = JSON.stringify(env[ENV.ecsTaskDefinitions]);
    for (const l of LANGUAGE_IDS) expect(defs, l).toContain(logicalId(execution().runners.taskDefinitions[l]));
    expect(JSON.stringify(env[ENV.ecsSecurityGroups])).toContain(logicalId(execution().runners.securityGroup));
    expect(JSON.stringify(env[ENV.ecsSubnets])).toContain('Subnet');
    const mapping = r.ofType('AWS::Lambda::EventSourceMapping').map(([, m]) => m.Properties).find((m) => JSON.stringify(m.FunctionName) === JSON.stringify(ref(launcher().fn)));
    expect(mapping?.EventSourceArn).toEqual(arnOf(execution().queues.launchQueue));
    expect(mapping?.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    const actions = r.statementsOf(launcher()).flatMap(actionsOf);
    expect(actions.some((a) => a.startsWith('execute-api:') || a === 'sqs:SendMessage')).toBe(false);
  });

  it('lets the launcher tag the tasks it runs (propagateTags) and nothing else: tasks of the cluster, during RunTask', () => {
    const tag = r.statementsOf(launcher()).filter((s) => actionsOf(s).includes('ecs:TagResource'));
    expect(tag).toHaveLength(1);
    expect(actionsOf(tag[0]!)).toEqual(['ecs:TagResource']);
    expect(tag[0]!.Condition).toEqual({ StringEquals: { 'ecs:CreateAction': 'RunTask' } });
    expect(JSON.stringify(resourcesOf(tag[0]!))).toContain(`:task/`);
    expect(JSON.stringify(resourcesOf(tag[0]!))).toContain(logicalId(execution().runners.cluster));
    for (const [id, policy] of r.ofType('AWS::IAM::Policy')) {
      if ((policy.Properties.Roles as Json[]).some((role) => role.Ref === logicalId(launcher().role))) continue;
      expect(JSON.stringify(policy.Properties.PolicyDocument), id).not.toContain('ecs:TagResource');
    }
  });

  it('gives no other function SendMessage, RunTask, PassRole or the launch configuration', () => {
    const names = others().map(([n]) => n);
    expect(names).toEqual(expect.arrayContaining(['http-meta', 'http-activity', 'http-code', 'ws-connect', 'pipeline-watchdog']));
    // The watchdog and the functions that can switch the language (http sessions, snapshots: `warms`) ask
    // for runners through the launch queue: function-env.test.ts checks exactly that grant.
    const warming = [execution().pipeline.functions.watchdog, built.stack.http.functions.sessions, built.stack.http.functions.snapshots];
    for (const [name, fn] of others().filter(([, f]) => f !== launcher() && !warming.includes(f))) {
      const actions = r.statementsOf(fn).flatMap(actionsOf);
      for (const a of ['sqs:SendMessage', 'ecs:RunTask', 'iam:PassRole']) expect(actions, `${name} must not ${a}`).not.toContain(a);
      const env = r.envOf(fn);
      for (const key of [ENV.runQueueUrls, ENV.launchQueueUrl, ENV.ecsCluster, ENV.ecsTaskDefinitions]) expect(env[key], `${name} ${key}`).toBeUndefined();
    }
  });
});

describe('execution alarms', () => {
  const alarms = () => r.ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
  const topicRef = () => ref(built.stack.observability.topic);

  it('alarms on dead-letter function invocations (it drains the DLQ, so the queue depth never shows them)', () => {
    const deadLetter = execution().pipeline.functions.deadLetter;
    const alarm = alarms().find(
      (a) => a.Namespace === 'AWS/Lambda' && a.MetricName === 'Invocations' && (a.Dimensions as Json[]).some((d) => JSON.stringify(d.Value) === JSON.stringify(ref(deadLetter.fn))),
    );
    expect(alarm).toBeDefined();
    expect([alarm!.Statistic, alarm!.Threshold, alarm!.ComparisonOperator]).toEqual(['Sum', 1, 'GreaterThanOrEqualToThreshold']);
    expect(alarm!.AlarmActions).toEqual([topicRef()]);
    // No alarm watches a queue's depth: the dead-letter function empties the DLQ within seconds.
    expect(alarms().filter((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible')).toEqual([]);
  });

  it('counts "level":"ERROR" lines of every runner and function log group into one metric and alarms on it', () => {
    const filters = r.ofType('AWS::Logs::MetricFilter').map(([, f]) => f.Properties);
    const groups = [...LANGUAGE_IDS.map((l) => execution().runners.logGroups[l]), ...Object.values(execution().pipeline.functions).map((f) => f.logGroup)];
    for (const group of groups) {
      const filter = filters.find((f) => JSON.stringify(f.LogGroupName) === JSON.stringify(ref(group)));
      expect(filter?.FilterPattern, group.node.path).toBe('{ $.level = "ERROR" }');
      expect(filter?.MetricTransformations[0].MetricName, group.node.path).toBe('LoggedErrors');
    }
    expect(alarms().filter((a) => a.MetricName === 'LoggedErrors' && a.Namespace === 'InterviewBackend/dev')).toHaveLength(1);
  });

  it('alarms on errors of the launcher, dead-letter and watchdog functions', () => {
    for (const [name, { fn }] of Object.entries(execution().pipeline.functions)) {
      const found = alarms().some((a) => a.MetricName === 'Errors' && (a.Dimensions as Json[]).some((d) => JSON.stringify(d.Value) === JSON.stringify(ref(fn))));
      expect(found, name).toBe(true);
    }
  });
});
