/**
 * The execution pipeline as deployed: run queues and DLQs, the pipeline functions, the runner network,
 * cluster and task definitions, the runners' and the launching functions' permissions.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProjectFunction } from '../../infra/constructs/project-function.js';
import { RUNNER_DOCKERFILE } from '../../infra/constructs/runner-image.js';
import { ENV } from '../../shared/config.js';
import { LANGUAGE_IDS, type LanguageId } from '../../shared/languages.js';
import { LIMITS } from '../../shared/limits.js';
import { HTTP_FUNCTIONS, PIPELINE_FUNCTIONS, type HttpFunctionName } from '../../shared/routes.js';
import { TABLE_DEFINITION, WATCH_INDEX } from '../../shared/table.js';
import { buildApp, logicalId, type Built } from './harness.js';

type Json = Record<string, any>;

let built: Built;
let template: Template;
let resources: Record<string, Json>;

beforeAll(() => {
  built = buildApp({ stage: 'dev', bundle: false });
  template = Template.fromStack(built.stack);
  resources = template.toJSON().Resources as Record<string, Json>;
});
afterAll(() => built?.cleanup());

const execution = () => built.stack.execution;
const ofType = (type: string): [string, Json][] => Object.entries(resources).filter(([, r]) => r.Type === type);
const ref = (construct: Parameters<typeof logicalId>[0]) => ({ Ref: logicalId(construct) });
const arnOf = (construct: Parameters<typeof logicalId>[0]) => ({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] });
const actionsOf = (s: Json): string[] => [s.Action].flat();
const resourcesOf = (s: Json): unknown[] => [s.Resource].flat();

/** Statements of every AWS::IAM::Policy attached to the role with this logical id. */
function statementsOfRole(roleId: string): Json[] {
  return ofType('AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as Json[]).some((r) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
}
const statementsOf = (fn: ProjectFunction) => statementsOfRole(logicalId(fn.role));
const envOf = (fn: ProjectFunction): Json => resources[logicalId(fn.fn)]!.Properties.Environment.Variables;
const taskDefinition = (language: LanguageId) => resources[logicalId(execution().runners.taskDefinitions[language])]!.Properties;
const container = (language: LanguageId) => (taskDefinition(language).ContainerDefinitions as Json[])[0]!;
const containerEnv = (language: LanguageId): Record<string, unknown> =>
  Object.fromEntries((container(language).Environment as Json[]).map((e) => [e.Name, e.Value]));

describe('run queues', () => {
  it('has one queue and one DLQ per language, redriving after LIMITS.execution.maxReceives deliveries', () => {
    template.resourceCountIs('AWS::SQS::Queue', 2 * LANGUAGE_IDS.length);
    for (const language of LANGUAGE_IDS) {
      const queue = resources[logicalId(execution().queues.queues[language])]!.Properties;
      expect(queue.RedrivePolicy, language).toEqual({
        deadLetterTargetArn: arnOf(execution().queues.deadLetterQueues[language]),
        maxReceiveCount: LIMITS.execution.maxReceives,
      });
      expect(queue.VisibilityTimeout, language).toBe(LIMITS.execution.visibilityTimeoutSeconds);
      const dlq = resources[logicalId(execution().queues.deadLetterQueues[language])]!.Properties;
      expect(dlq.MessageRetentionPeriod, language).toBe(14 * 24 * 3600);
      expect(dlq.RedrivePolicy, language).toBeUndefined();
    }
    expect(LIMITS.execution.maxReceives).toBe(3);
  });

  it('encrypts every queue with SQS-managed keys and denies requests without TLS', () => {
    const queues = ofType('AWS::SQS::Queue');
    const policies = ofType('AWS::SQS::QueuePolicy').map(([, p]) => p.Properties);
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
  it('consumes every DLQ with the dead-letter function, reporting partial batch failures', () => {
    const mappings = ofType('AWS::Lambda::EventSourceMapping').map(([, m]) => m.Properties);
    const deadLetter = execution().pipeline.functions.deadLetter;
    for (const language of LANGUAGE_IDS) {
      const mapping = mappings.find((m) => JSON.stringify(m.EventSourceArn) === JSON.stringify(arnOf(execution().queues.deadLetterQueues[language])));
      expect(mapping, language).toBeDefined();
      expect(mapping!.FunctionName, language).toEqual(ref(deadLetter.fn));
      expect(mapping!.FunctionResponseTypes, language).toEqual(['ReportBatchItemFailures']);
    }
    // Only DLQs are event sources: run queues belong to the runners.
    expect(mappings).toHaveLength(LANGUAGE_IDS.length);
    expect(resources[logicalId(deadLetter.fn)]!.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME).toBe('interview-pipeline-dead-letter');
  });

  it(`runs the watchdog on a schedule every ${PIPELINE_FUNCTIONS.watchdog.everyMinutes} minute(s)`, () => {
    const rules = ofType('AWS::Events::Rule').map(([, r]) => r.Properties);
    const watchdog = execution().pipeline.functions.watchdog;
    const rule = rules.find((r) => (r.Targets as Json[]).some((t) => JSON.stringify(t.Arn) === JSON.stringify(arnOf(watchdog.fn))));
    expect(rule?.ScheduleExpression).toBe(PIPELINE_FUNCTIONS.watchdog.everyMinutes === 1 ? 'rate(1 minute)' : `rate(${PIPELINE_FUNCTIONS.watchdog.everyMinutes} minutes)`);
    expect(rule?.State ?? 'ENABLED').toBe('ENABLED');
  });

  it('builds the `watch` GSI from TABLE_DEFINITION and lets only the watchdog query it', () => {
    const table = resources[logicalId(built.stack.data.table)]!.Properties;
    const [index] = TABLE_DEFINITION.globalSecondaryIndexes;
    expect(table.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: WATCH_INDEX,
        KeySchema: [
          { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    const indexArn = { 'Fn::Join': ['', [arnOf(built.stack.data.table), `/index/${WATCH_INDEX}`]] };
    const watchdog = statementsOf(execution().pipeline.functions.watchdog);
    expect(watchdog.filter((s) => JSON.stringify(resourcesOf(s)).includes('/index/')).map((s) => [actionsOf(s), resourcesOf(s)])).toEqual([
      [['dynamodb:Query'], [indexArn]],
    ]);
    expect(watchdog.flatMap(actionsOf)).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:UpdateItem']));
    // Nobody else reads the index (nor gets CDK's `index/*`).
    for (const [id, policy] of ofType('AWS::IAM::Policy')) {
      const text = JSON.stringify(policy.Properties.PolicyDocument);
      if (text.includes('/index/')) expect(policy.Properties.Roles, id).toEqual([ref(execution().pipeline.functions.watchdog.role)]);
    }
  });

  it('lets both pipeline functions read/write the table and push (POST) to the WebSocket stage', () => {
    for (const [name, fn] of Object.entries(execution().pipeline.functions)) {
      const statements = statementsOf(fn);
      expect(statements.flatMap(actionsOf), name).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'execute-api:ManageConnections']));
      const manage = statements.filter((s) => actionsOf(s).includes('execute-api:ManageConnections')).flatMap(resourcesOf);
      expect(manage, name).toHaveLength(1);
      expect(((manage[0] as Json)['Fn::Join'][1] as string[]).at(-1), name).toBe('/dev/POST/@connections/*');
      expect(envOf(fn)[ENV.wsManagementEndpoint], name).toBeDefined();
    }
  });
});

describe('runner network and cluster', () => {
  it('has public subnets only and no NAT gateway', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 1);
    const subnets = ofType('AWS::EC2::Subnet');
    expect(subnets).toHaveLength(2);
    for (const [id, subnet] of subnets) expect(subnet.Properties.MapPublicIpOnLaunch, id).toBe(true);
    for (const [id, route] of ofType('AWS::EC2::Route')) expect(route.Properties.GatewayId, id).toBeDefined();
  });

  it('logs VPC flows to a log group with retention', () => {
    const [[, flowLog]] = ofType('AWS::EC2::FlowLog') as [[string, Json]];
    expect(flowLog.Properties).toMatchObject({ ResourceType: 'VPC', TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    const group = resources[flowLog.Properties.LogGroupName.Ref]!;
    expect(group.Properties.RetentionInDays).toBeGreaterThan(0);
  });

  it('gives runners a security group with no inbound rule and only TCP 443 outbound', () => {
    const [[id, group]] = ofType('AWS::EC2::SecurityGroup') as [[string, Json]];
    expect(id).toBe(logicalId(execution().runners.securityGroup));
    expect(group.Properties.SecurityGroupIngress).toBeUndefined();
    expect(group.Properties.SecurityGroupEgress).toEqual([{ CidrIp: '0.0.0.0/0', Description: expect.any(String), FromPort: 443, ToPort: 443, IpProtocol: 'tcp' }]);
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    template.resourceCountIs('AWS::EC2::SecurityGroupEgress', 0);
  });

  it('enables Container Insights on the cluster', () => {
    template.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] });
  });

  it('starts no always-on runner by default (no ECS service)', () => {
    template.resourceCountIs('AWS::ECS::Service', 0);
  });

  it('outputs the cluster name and the queue URLs', () => {
    template.hasOutput('RunnerClusterName', { Value: ref(execution().runners.cluster) });
    template.hasOutput('RunQueueUrls', {});
  });
});

describe('runner task definitions', () => {
  it('has one arm64 Fargate task definition per language, 1 vCPU / 2 GiB', () => {
    template.resourceCountIs('AWS::ECS::TaskDefinition', LANGUAGE_IDS.length);
    for (const language of LANGUAGE_IDS) {
      const def = taskDefinition(language);
      expect(def.RuntimePlatform, language).toEqual({ CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' });
      expect(def.RequiresCompatibilities, language).toEqual(['FARGATE']);
      expect([def.Cpu, def.Memory], language).toEqual(['1024', '2048']);
      expect(def.Family, language).toBe(`Interview-dev-runner-${language}`);
      expect(def.TaskRoleArn, language).toEqual(arnOf(execution().runners.taskRoles[language]));
      expect(def.ExecutionRoleArn, language).toEqual(arnOf(execution().runners.executionRoles[language]));
    }
  });

  it('runs the container read-only, unprivileged, with an init process and writable /scratch and /tmp volumes', () => {
    for (const language of LANGUAGE_IDS) {
      const c = container(language);
      expect(c.Name, language).toBe('runner');
      expect(c.ReadonlyRootFilesystem, language).toBe(true);
      expect(c.Privileged ?? false, language).toBe(false);
      expect(c.LinuxParameters.InitProcessEnabled, language).toBe(true);
      expect(c.LinuxParameters.Capabilities.Drop, language).toContain('NET_RAW');
      expect(taskDefinition(language).Volumes, language).toEqual([{ Name: 'scratch' }, { Name: 'tmp' }]);
      expect(c.MountPoints, language).toEqual([
        { SourceVolume: 'scratch', ContainerPath: '/scratch', ReadOnly: false },
        { SourceVolume: 'tmp', ContainerPath: '/tmp', ReadOnly: false },
      ]);
    }
  });

  it('logs through awslogs to its own log group with a retention', () => {
    for (const language of LANGUAGE_IDS) {
      const log = container(language).LogConfiguration;
      expect(log.LogDriver, language).toBe('awslogs');
      expect(log.Options['awslogs-group'], language).toEqual(ref(execution().runners.logGroups[language]));
      expect(resources[logicalId(execution().runners.logGroups[language])]!.Properties.RetentionInDays, language).toBeGreaterThan(0);
    }
  });

  it('hands the worker its language, its own queue and the rest of its configuration', () => {
    for (const language of LANGUAGE_IDS) {
      const env = containerEnv(language);
      expect(env.LANGUAGE, language).toBe(language);
      expect(env.RUN_QUEUE_URL, language).toEqual(ref(execution().queues.queues[language]));
      expect(env[ENV.tableName], language).toEqual(ref(built.stack.data.table));
      expect(JSON.stringify(env[ENV.wsManagementEndpoint]), language).toContain(logicalId(built.stack.webSocket.api));
      expect(env.RUNNER_WORK_ROOT, language).toBe('/scratch/work');
      expect(env.RUNNER_IDLE_MS, language).toBe(String(LIMITS.execution.runnerIdleMs));
      expect(env.RUNNER_SLOTS, language).toBe(String(LIMITS.execution.slotsPerRunner));
      expect(env[ENV.region], language).toEqual({ Ref: 'AWS::Region' });
      // Its own scale-out: its own family only.
      expect(JSON.parse(env[ENV.ecsTaskDefinitions] as string), language).toEqual({ [language]: `Interview-dev-runner-${language}` });
      expect(env[ENV.ecsCluster], language).toEqual(arnOf(execution().runners.cluster));
    }
  });

  it('builds each image from runner/images/Dockerfile for arm64 with LANGUAGE, without shipping the repository', () => {
    const assets = JSON.parse(readFileSync(path.join(built.outdir, 'Interview-dev.assets.json'), 'utf8')) as { dockerImages: Record<string, Json> };
    const images = Object.values(assets.dockerImages).map((i) => i.source as Json);
    expect(images.map((i) => i.dockerBuildArgs.LANGUAGE).sort()).toEqual([...LANGUAGE_IDS].sort());
    for (const image of images) {
      expect(image.dockerFile).toBe(RUNNER_DOCKERFILE);
      expect(image.platform).toBe('linux/arm64');
      const context = path.join(built.outdir, image.directory as string);
      expect(existsSync(path.join(context, RUNNER_DOCKERFILE))).toBe(true);
      expect(readdirSync(context).sort()).toEqual(['package-lock.json', 'package.json', 'runner', 'shared']);
      expect(existsSync(path.join(context, 'runner', 'sandbox', 'build'))).toBe(false);
    }
  });
});

describe('runner permissions', () => {
  it('limits each task role to its own queue', () => {
    for (const language of LANGUAGE_IDS) {
      const statements = statementsOfRole(logicalId(execution().runners.taskRoles[language]));
      const sqs = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')));
      expect(sqs.flatMap(resourcesOf), language).toEqual([arnOf(execution().queues.queues[language])]);
      expect(sqs.flatMap(actionsOf).sort(), language).toEqual(['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage']);
      const text = JSON.stringify(statements);
      for (const other of LANGUAGE_IDS.filter((l) => l !== language)) {
        expect(text, `${language} role mentions ${other}'s queue`).not.toContain(logicalId(execution().queues.queues[other]));
        expect(text, `${language} role mentions ${other}'s DLQ`).not.toContain(logicalId(execution().queues.deadLetterQueues[other]));
      }
    }
  });

  it('lets a runner push (POST only) on this API and stage, use the table and launch only its own language', () => {
    for (const language of LANGUAGE_IDS) {
      const statements = statementsOfRole(logicalId(execution().runners.taskRoles[language]));
      const manage = statements.filter((s) => actionsOf(s).includes('execute-api:ManageConnections')).flatMap(resourcesOf);
      expect(manage, language).toHaveLength(1);
      const parts = (manage[0] as Json)['Fn::Join'][1] as unknown[];
      expect(parts, language).toContainEqual(ref(built.stack.webSocket.api));
      expect(parts.at(-1), language).toBe('/dev/POST/@connections/*');
      expect(statements.flatMap(actionsOf), language).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:UpdateItem']));
      const runTask = statements.filter((s) => actionsOf(s).includes('ecs:RunTask'));
      expect(runTask, language).toHaveLength(1);
      expect(JSON.stringify(runTask[0]!.Resource), language).toContain(`:task-definition/Interview-dev-runner-${language}:*`);
      expect(runTask[0]!.Condition, language).toEqual({ ArnEquals: { 'ecs:cluster': arnOf(execution().runners.cluster) } });
      const passRole = statements.filter((s) => actionsOf(s).includes('iam:PassRole'));
      expect(passRole.flatMap(resourcesOf), language).toEqual(
        expect.arrayContaining([arnOf(execution().runners.taskRoles[language]), arnOf(execution().runners.executionRoles[language])]),
      );
      expect(passRole.flatMap(resourcesOf), language).toHaveLength(2);
      expect(passRole[0]!.Condition, language).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
    }
  });

  it('keeps the execution role (image pull, logs) separate from the task role', () => {
    for (const language of LANGUAGE_IDS) {
      const exec = statementsOfRole(logicalId(execution().runners.executionRoles[language])).flatMap(actionsOf);
      expect(exec, language).toEqual(expect.arrayContaining(['ecr:BatchGetImage', 'logs:PutLogEvents']));
      expect(exec.some((a) => a.startsWith('sqs:') || a.startsWith('dynamodb:')), language).toBe(false);
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

  it('grants SendMessage on every run queue, RunTask in the cluster and PassRole to ECS tasks only', () => {
    expect(runs().map(([n]) => n)).toEqual(['http-executions', 'ws-message']);
    for (const [name, fn] of runs()) {
      const statements = statementsOf(fn);
      const send = statements.filter((s) => actionsOf(s).includes('sqs:SendMessage'));
      expect(send.flatMap(resourcesOf), name).toEqual(expect.arrayContaining(LANGUAGE_IDS.map((l) => arnOf(execution().queues.queues[l]))));
      expect(send.flatMap(resourcesOf), name).toHaveLength(LANGUAGE_IDS.length);
      const runTask = statements.filter((s) => actionsOf(s).includes('ecs:RunTask'));
      expect(runTask.flatMap(resourcesOf), name).toEqual(expect.arrayContaining(LANGUAGE_IDS.map((l) => ref(execution().runners.taskDefinitions[l]))));
      expect(runTask.flatMap(resourcesOf), name).toHaveLength(LANGUAGE_IDS.length);
      for (const s of runTask) expect(s.Condition, name).toEqual({ ArnEquals: { 'ecs:cluster': arnOf(execution().runners.cluster) } });
      const passRole = statements.filter((s) => actionsOf(s).includes('iam:PassRole'));
      const roles = LANGUAGE_IDS.flatMap((l) => [arnOf(execution().runners.taskRoles[l]), arnOf(execution().runners.executionRoles[l])]);
      expect(passRole.flatMap(resourcesOf), name).toEqual(expect.arrayContaining(roles));
      expect(passRole.flatMap(resourcesOf), name).toHaveLength(roles.length);
      for (const s of passRole) expect(s.Condition, name).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
    }
  });

  it('hands them the queue URLs and the launcher configuration', () => {
    for (const [name, fn] of runs()) {
      const env = envOf(fn);
      for (const key of [ENV.runQueueUrls, ENV.ecsCluster, ENV.ecsTaskDefinitions, ENV.ecsSubnets, ENV.ecsSecurityGroups]) expect(env[key], `${name} ${key}`).toBeDefined();
      const urls = JSON.stringify(env[ENV.runQueueUrls]);
      for (const l of LANGUAGE_IDS) expect(urls, `${name} ${l}`).toContain(logicalId(execution().queues.queues[l]));
      const defs = JSON.stringify(env[ENV.ecsTaskDefinitions]);
      for (const l of LANGUAGE_IDS) expect(defs, `${name} ${l}`).toContain(logicalId(execution().runners.taskDefinitions[l]));
      expect(JSON.stringify(env[ENV.ecsSecurityGroups]), name).toContain(logicalId(execution().runners.securityGroup));
    }
  });

  it('gives no other function SendMessage, RunTask, PassRole or the launcher configuration', () => {
    const names = others().map(([n]) => n);
    expect(names).toEqual(expect.arrayContaining(['http-meta', 'http-activity', 'http-code', 'ws-connect', 'pipeline-watchdog']));
    for (const [name, fn] of others()) {
      const actions = statementsOf(fn).flatMap(actionsOf);
      for (const a of ['sqs:SendMessage', 'ecs:RunTask', 'iam:PassRole']) expect(actions, `${name} must not ${a}`).not.toContain(a);
      const env = envOf(fn);
      for (const key of [ENV.runQueueUrls, ENV.ecsCluster, ENV.ecsTaskDefinitions]) expect(env[key], `${name} ${key}`).toBeUndefined();
    }
  });
});

describe('execution alarms', () => {
  const alarms = () => ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);

  it('alarms when any DLQ holds a message', () => {
    for (const language of LANGUAGE_IDS) {
      const dlqName = { 'Fn::GetAtt': [logicalId(execution().queues.deadLetterQueues[language]), 'QueueName'] };
      const alarm = alarms().find(
        (a) => a.MetricName === 'ApproximateNumberOfMessagesVisible' && (a.Dimensions as Json[]).some((d) => JSON.stringify(d.Value) === JSON.stringify(dlqName)),
      );
      expect(alarm, language).toBeDefined();
      expect([alarm!.Threshold, alarm!.ComparisonOperator], language).toEqual([1, 'GreaterThanOrEqualToThreshold']);
    }
  });

  it('counts "level":"ERROR" lines of every runner log group and alarms on them', () => {
    const filters = ofType('AWS::Logs::MetricFilter').map(([, f]) => f.Properties);
    for (const language of LANGUAGE_IDS) {
      const filter = filters.find((f) => JSON.stringify(f.LogGroupName) === JSON.stringify(ref(execution().runners.logGroups[language])));
      expect(filter?.FilterPattern, language).toBe('{ $.level = "ERROR" }');
      expect(filter?.MetricTransformations[0].MetricName, language).toBe('RunnerErrors');
    }
    expect(alarms().some((a) => a.MetricName === 'RunnerErrors' && a.Namespace === 'InterviewBackend/dev')).toBe(true);
  });

  it('alarms on errors of the dead-letter and watchdog functions', () => {
    for (const [name, { fn }] of Object.entries(execution().pipeline.functions)) {
      const found = alarms().some((a) => a.MetricName === 'Errors' && (a.Dimensions as Json[]).some((d) => JSON.stringify(d.Value) === JSON.stringify(ref(fn))));
      expect(found, name).toBe(true);
    }
  });
});

describe('warm runners (-c warmRunners=1)', () => {
  let warm: Built;
  let warmResources: Record<string, Json>;
  beforeAll(() => {
    warm = buildApp({ stage: 'dev', bundle: false, context: { warmRunners: '1' } });
    warmResources = Template.fromStack(warm.stack).toJSON().Resources as Record<string, Json>;
  });
  afterAll(() => warm?.cleanup());

  it('keeps one always-on runner per language in a service on a task definition that never idles out', () => {
    const services = Object.values(warmResources).filter((r) => r.Type === 'AWS::ECS::Service');
    expect(services).toHaveLength(LANGUAGE_IDS.length);
    for (const language of LANGUAGE_IDS) {
      const service = warm.stack.execution.runners.warmServices[language]!;
      const props = warmResources[logicalId(service)]!.Properties;
      expect(props.DesiredCount, language).toBe(1);
      expect(props.LaunchType, language).toBe('FARGATE');
      expect(props.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp, language).toBe('ENABLED');
      expect(props.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups, language).toEqual([
        { 'Fn::GetAtt': [logicalId(warm.stack.execution.runners.securityGroup), 'GroupId'] },
      ]);
      const def = warmResources[props.TaskDefinition.Ref]!.Properties;
      expect(def.Family, language).toBe(`Interview-dev-runner-${language}-warm`);
      expect(def.TaskRoleArn, language).toEqual({ 'Fn::GetAtt': [logicalId(warm.stack.execution.runners.taskRoles[language]), 'Arn'] });
      const env = Object.fromEntries((def.ContainerDefinitions[0].Environment as Json[]).map((e) => [e.Name, e.Value]));
      expect(Number(env.RUNNER_IDLE_MS), language).toBeGreaterThan(365 * 24 * 3600 * 1000);
      expect(def.ContainerDefinitions[0].ReadonlyRootFilesystem, language).toBe(true);
    }
  });

  it('rejects a warmRunners value that is not a non-negative integer', () => {
    expect(() => buildApp({ stage: 'dev', bundle: false, context: { warmRunners: 'two' } })).toThrow(/warmRunners/);
  });
});
