/**
 * Where user code runs: the runner VPC, security group and cluster, the per-language task definitions
 * and images, the runners' own permissions, and the optional warm services.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNNER_DOCKERFILE } from '../../infra/constructs/runner-image.js';
import { ENV } from '#aws/config.js';
import { LANGUAGE_IDS, type LanguageId } from '#contract/languages.js';
import { LIMITS } from '#contract/limits.js';
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
const taskDefinition = (language: LanguageId) => r.resources[logicalId(execution().runners.taskDefinitions[language])]!.Properties;
const container = (language: LanguageId) => (taskDefinition(language).ContainerDefinitions as Json[])[0]!;
const containerEnv = (language: LanguageId): Record<string, unknown> =>
  Object.fromEntries((container(language).Environment as Json[]).map((e) => [e.Name, e.Value]));

describe('runner network and cluster', () => {
  it('has public subnets only and no NAT gateway', () => {
    r.template.resourceCountIs('AWS::EC2::NatGateway', 0);
    r.template.resourceCountIs('AWS::EC2::InternetGateway', 1);
    const subnets = r.ofType('AWS::EC2::Subnet');
    expect(subnets).toHaveLength(2);
    for (const [id, subnet] of subnets) expect(subnet.Properties.MapPublicIpOnLaunch, id).toBe(true);
    for (const [id, route] of r.ofType('AWS::EC2::Route')) expect(route.Properties.GatewayId, id).toBeDefined();
  });

  it('logs VPC flows to a log group with retention', () => {
    const [[, flowLog]] = r.ofType('AWS::EC2::FlowLog') as [[string, Json]];
    expect(flowLog.Properties).toMatchObject({ ResourceType: 'VPC', TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    const group = r.resources[flowLog.Properties.LogGroupName.Ref]!;
    expect(group.Properties.RetentionInDays).toBeGreaterThan(0);
  });

  it('gives runners a security group with no inbound rule and only TCP 443 outbound', () => {
    const [[id, group]] = r.ofType('AWS::EC2::SecurityGroup') as [[string, Json]];
    expect(id).toBe(logicalId(execution().runners.securityGroup));
    expect(group.Properties.SecurityGroupIngress).toBeUndefined();
    expect(group.Properties.SecurityGroupEgress).toEqual([{ CidrIp: '0.0.0.0/0', Description: expect.any(String), FromPort: 443, ToPort: 443, IpProtocol: 'tcp' }]);
    r.template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    r.template.resourceCountIs('AWS::EC2::SecurityGroupEgress', 0);
  });

  it('leaves Container Insights off by default (a cost decision, docs/cost.md)', () => {
    r.template.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'disabled' }] });
  });

  it('tags the cluster with the project and the stage (npm run destroy finds it by them)', () => {
    const tags = r.resources[logicalId(execution().runners.cluster)]!.Properties.Tags as Json[];
    expect(tags).toEqual(expect.arrayContaining([{ Key: 'project', Value: 'interview-backend' }, { Key: 'stage', Value: 'dev' }]));
  });

  it('starts no always-on runner by default (no ECS service)', () => {
    r.template.resourceCountIs('AWS::ECS::Service', 0);
  });

  it('outputs the cluster name and the queue URLs', () => {
    r.template.hasOutput('RunnerClusterName', { Value: ref(execution().runners.cluster) });
    r.template.hasOutput('RunQueueUrls', {});
  });
});

describe('runner task definitions', () => {
  it('has one arm64 Fargate task definition per language, 1 vCPU / 2 GiB', () => {
    r.template.resourceCountIs('AWS::ECS::TaskDefinition', LANGUAGE_IDS.length);
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
      expect(r.resources[logicalId(execution().runners.logGroups[language])]!.Properties.RetentionInDays, language).toBeGreaterThan(0);
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
      // 90 % of the task's 2 GiB: on Fargate the container's cgroup has no limit of its own to take it from.
      expect(env.RUNNER_TASK_MEMORY_BUDGET_BYTES, language).toBe(String(Math.floor(2048 * 1024 * 1024 * 0.9)));
      expect(r.resources[logicalId(execution().runners.taskDefinitions[language])]!.Properties.Memory, language).toBe('2048');
      expect(env[ENV.region], language).toEqual({ Ref: 'AWS::Region' });
      // Scale-out goes through the launch queue; RunTask details are the launcher function's business.
      expect(env[ENV.launchQueueUrl], language).toEqual(ref(execution().queues.launchQueue));
      expect(env[ENV.maxRunners], language).toBe(String(LIMITS.execution.maxRunnersPerLanguage));
      for (const key of [ENV.ecsCluster, ENV.ecsTaskDefinitions, ENV.ecsSubnets]) expect(env[key], `${language} ${key}`).toBeUndefined();
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
  it('limits each task role to its own queue (and sending launch requests)', () => {
    for (const language of LANGUAGE_IDS) {
      const statements = r.statementsOfRole(logicalId(execution().runners.taskRoles[language]));
      const sqs = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')));
      const consume = sqs.filter((s) => !actionsOf(s).includes('sqs:SendMessage'));
      expect(consume.flatMap(resourcesOf), language).toEqual([arnOf(execution().queues.queues[language])]);
      expect(consume.flatMap(actionsOf).sort(), language).toEqual(['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage']);
      const send = sqs.filter((s) => actionsOf(s).includes('sqs:SendMessage'));
      expect(send.map((s) => [actionsOf(s), resourcesOf(s)]), language).toEqual([[['sqs:SendMessage'], [arnOf(execution().queues.launchQueue)]]]);
      const text = JSON.stringify(statements);
      expect(text, `${language} role mentions the DLQ`).not.toContain(logicalId(execution().queues.deadLetterQueue));
      for (const other of LANGUAGE_IDS.filter((l) => l !== language)) {
        expect(text, `${language} role mentions ${other}'s queue`).not.toContain(logicalId(execution().queues.queues[other]));
      }
    }
  });

  it('lets a runner push (POST only) on this API and stage and use the table, but not start tasks', () => {
    for (const language of LANGUAGE_IDS) {
      const statements = r.statementsOfRole(logicalId(execution().runners.taskRoles[language]));
      const manage = statements.filter((s) => actionsOf(s).includes('execute-api:ManageConnections')).flatMap(resourcesOf);
      expect(manage, language).toHaveLength(1);
      const parts = (manage[0] as Json)['Fn::Join'][1] as unknown[];
      expect(parts, language).toContainEqual(ref(built.stack.webSocket.api));
      expect(parts.at(-1), language).toBe('/dev/POST/@connections/*');
      expect(statements.flatMap(actionsOf), language).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:UpdateItem']));
      expect(JSON.stringify(statements), language).not.toContain('/index/');
      const actions = statements.flatMap(actionsOf);
      for (const a of ['ecs:RunTask', 'iam:PassRole', 'dynamodb:Scan']) expect(actions, `${language} must not ${a}`).not.toContain(a);
    }
  });

  // Code that escaped the sandbox has the task role's credentials: with the whole table it could write an
  // APIKEYS item (an operator key of its own) or a question bank. The unit tests of the runner's paths
  // check every key they touch against the same list (test/unit/pipeline/runner-partitions.ts).
  it("limits a runner's table access to its partitions (dynamodb:LeadingKeys): sessions, connection lookups, its language's registry and lease", () => {
    for (const language of LANGUAGE_IDS) {
      const statements = r.statementsOfRole(logicalId(execution().runners.taskRoles[language])).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
      expect(statements, language).toHaveLength(1);
      expect(statements[0]!.Condition, language).toEqual({
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['S#*', 'CONN#*', `RUNNERS#${language}`, `LEASE#${language}`] },
      });
    }
  });

  it('keeps the execution role (image pull, logs) separate from the task role', () => {
    for (const language of LANGUAGE_IDS) {
      const exec = r.statementsOfRole(logicalId(execution().runners.executionRoles[language])).flatMap(actionsOf);
      expect(exec, language).toEqual(expect.arrayContaining(['ecr:BatchGetImage', 'logs:PutLogEvents']));
      expect(exec.some((a) => a.startsWith('sqs:') || a.startsWith('dynamodb:')), language).toBe(false);
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
