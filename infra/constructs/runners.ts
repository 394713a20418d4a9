/**
 * Where user code runs: Fargate tasks, one task definition per language (its own image, queue, role and
 * log group), started on demand with RunTask by the launcher function (fed by the launch queue, which the
 * run-queuing functions and busy runners write to); a runner exits after RUNNER_IDLE_MS without work. Optionally, `warmRunners` keeps
 * that many always-on runners per language in an ECS service. The network is a VPC with public subnets
 * only and no NAT gateway; the runners' security group admits nothing and lets out HTTPS only
 * (docs/execution.md explains the trade-off and the stricter alternative).
 */
import { type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '#aws/config.js';
import { runnerPartitions } from '#aws/table.js';
import { LANGUAGE_IDS, type LanguageId } from '#contract/languages.js';
import { LIMITS } from '#contract/limits.js';
import { checkFargateSize } from '../fargate.js';
import type { StageSettings } from '../stage.js';
import { grantManageConnections, type ProjectFunction, tableStatements } from './project-function.js';
import { runnerImage } from './runner-image.js';

/** Where the runner's writable volumes are mounted (the root file system is read-only). */
export const SCRATCH_PATH = '/scratch';
export const WORK_ROOT = `${SCRATCH_PATH}/work`;

/** 1 vCPU: two slots of CPU-bound user code. */
export const DEFAULT_CPU = 1024;
/** Two runs at 256 MiB plus a compiler at up to 1 GiB, plus the runner. */
export const DEFAULT_MEMORY_MIB = 2048;

/** The runner's variable for the task memory budget (runner/sandbox/task-memory.ts). */
export const RUNNER_TASK_MEMORY_BUDGET = 'RUNNER_TASK_MEMORY_BUDGET_BYTES';
/** 90 % of the task's memory: the rest is the runner itself and the kernel's share. */
export const taskMemoryBudgetBytes = (memoryMiB: number): number => Math.floor(memoryMiB * 1024 * 1024 * 0.9);

/** A warm runner never idles out: the service would only replace it with a cold one. */
const WARM_IDLE_MS = 10 * 365 * 24 * 3600 * 1000;

export interface RunnerClusterProps {
  readonly stage: StageSettings;
  readonly table: ITable;
  readonly queues: Readonly<Record<LanguageId, IQueue>>;
  /** A busy runner asks for another one of its language here (the launcher function starts it). */
  readonly launchQueue: IQueue;
  /** Runners push output and results to the sockets of this stage. */
  readonly webSocket: WebSocketStage;
  /** Task size in CPU units. @default 1024 (1 vCPU: two slots of CPU-bound user code) */
  readonly cpu?: number;
  /** @default 2048 MiB (two runs at 256 MiB plus a compiler at up to 1 GiB, plus the runner) */
  readonly memoryMiB?: number;
  /** Always-on runners per language (an ECS service each). @default 0: runners start on demand */
  readonly warmRunners?: number;
  /** MAX_RUNNERS_PER_LANGUAGE of the launcher. @default LIMITS.execution.maxRunnersPerLanguage */
  readonly maxRunnersPerLanguage?: number;
  /**
   * Container Insights on the cluster. @default false: its per-task metrics are billed as custom metrics
   * while runners live (docs/cost.md) and nothing alarms on them; runner failures surface as logged
   * errors and as executions ended SYSTEM_ERROR. `-c containerInsights=true` turns it on for a diagnosis.
   */
  readonly containerInsights?: boolean;
  /** The image of a language. @default the runner/images/Dockerfile asset (built at deploy, not synth) */
  readonly image?: (language: LanguageId) => ecs.ContainerImage;
}

export class RunnerCluster extends Construct {
  readonly vpc: ec2.Vpc;
  readonly securityGroup: ec2.SecurityGroup;
  readonly cluster: ecs.Cluster;
  /** What RunTask starts: runners that exit when idle. */
  readonly taskDefinitions: Readonly<Record<LanguageId, ecs.FargateTaskDefinition>>;
  readonly taskRoles: Readonly<Record<LanguageId, iam.Role>>;
  readonly executionRoles: Readonly<Record<LanguageId, iam.Role>>;
  readonly logGroups: Readonly<Record<LanguageId, LogGroup>>;
  /** Only when warmRunners > 0. */
  readonly warmServices: Partial<Record<LanguageId, ecs.FargateService>> = {};

  private readonly props: RunnerClusterProps;

  constructor(scope: Construct, id: string, props: RunnerClusterProps) {
    super(scope, id);
    this.props = props;
    const { stage } = props;
    checkFargateSize(props.cpu ?? DEFAULT_CPU, props.memoryMiB ?? DEFAULT_MEMORY_MIB);

    const flowLogs = new LogGroup(this, 'FlowLogs', { retention: stage.logRetention, removalPolicy: stage.removalPolicy });
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr('10.42.0.0/16'),
      maxAzs: 2,
      // Public subnets only: tasks reach AWS APIs through the internet gateway with a public IP.
      natGateways: 0,
      subnetConfiguration: [{ name: 'runners', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
      // Nothing uses the default security group; restricting it would add a custom-resource Lambda.
      restrictDefaultSecurityGroup: false,
      flowLogs: {
        all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: ec2.FlowLogTrafficType.ALL },
      },
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: this.vpc,
      description: 'Runner tasks: no inbound traffic; outbound HTTPS to AWS APIs only',
      allowAllOutbound: false,
    });
    // DNS (the VPC resolver) and the task metadata/credentials endpoint are not filtered by security
    // groups, so 443 is all a runner needs: SQS, DynamoDB, ECR + S3 (image layers), CloudWatch Logs,
    // the API Gateway management API and ECS itself.
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs');

    const insights = props.containerInsights ?? false;
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: this.vpc,
      containerInsightsV2: insights ? ecs.ContainerInsights.ENABLED : ecs.ContainerInsights.DISABLED,
    });
    if (!insights) {
      Validations.of(this.cluster).acknowledge({
        id: 'AwsSolutions-ECS4',
        reason:
          'Container Insights is off by default on purpose (docs/cost.md): its per-task metrics are billed while runners live and nothing alarms on them; runner errors are alarmed from their logs. -c containerInsights=true turns it on.',
      });
    }

    const taskDefinitions = {} as Record<LanguageId, ecs.FargateTaskDefinition>;
    const taskRoles = {} as Record<LanguageId, iam.Role>;
    const executionRoles = {} as Record<LanguageId, iam.Role>;
    const logGroups = {} as Record<LanguageId, LogGroup>;
    for (const language of LANGUAGE_IDS) {
      logGroups[language] = new LogGroup(this, `${language}-Logs`, { retention: stage.logRetention, removalPolicy: stage.removalPolicy });
      taskRoles[language] = new iam.Role(this, `${language}-TaskRole`, {
        assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
        description: `Runner tasks of ${language} (${stage.name}): its queue, the table, pushes, its own scale-out`,
      });
      executionRoles[language] = new iam.Role(this, `${language}-ExecutionRole`, {
        assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
        description: `ECS agent for ${language} runners (${stage.name}): image pull and logs`,
      });
    }
    this.taskRoles = taskRoles;
    this.executionRoles = executionRoles;
    this.logGroups = logGroups;

    this.taskDefinitions = taskDefinitions;
    for (const language of LANGUAGE_IDS) {
      taskDefinitions[language] = this.taskDefinition(language, (props.image ?? runnerImage)(language), LIMITS.execution.runnerIdleMs);
      this.grantRunnerRole(language);
    }

    const warm = props.warmRunners ?? 0;
    if (warm > 0) {
      for (const language of LANGUAGE_IDS) {
        // A service would replace a runner that idles out with a cold one: warm runners never idle out.
        const warmDefinition = this.taskDefinition(language, (props.image ?? runnerImage)(language), WARM_IDLE_MS, 'warm');
        this.warmServices[language] = new ecs.FargateService(this, `${language}-Warm`, {
          cluster: this.cluster,
          taskDefinition: warmDefinition,
          desiredCount: warm,
          assignPublicIp: true,
          vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
          securityGroups: [this.securityGroup],
          minHealthyPercent: 100,
          maxHealthyPercent: 200,
          // A runner image that cannot start must not restart forever.
          circuitBreaker: { enable: true, rollback: false },
        });
      }
    }
  }

  /**
   * Lets a function start runners (RunTask of these task definition revisions, in this cluster only;
   * PassRole of the runners' roles, to ECS tasks only) and hands it the RunTask configuration
   * (shared/aws/runners/ecs-launch.ts). Only the launcher function gets this.
   */
  grantRunTask(fn: ProjectFunction): void {
    const languages = LANGUAGE_IDS;
    const environment = {
      [ENV.ecsCluster]: this.cluster.clusterArn,
      [ENV.ecsTaskDefinitions]: Stack.of(this).toJsonString(Object.fromEntries(languages.map((l) => [l, this.taskDefinitions[l].taskDefinitionArn]))),
      [ENV.ecsSubnets]: this.vpc.publicSubnets.map((s) => s.subnetId).join(','),
      [ENV.ecsSecurityGroups]: this.securityGroup.securityGroupId,
    };
    for (const [name, value] of Object.entries(environment)) fn.fn.addEnvironment(name, value);
    const statements = [
      new iam.PolicyStatement({
        actions: ['ecs:RunTask'],
        resources: languages.map((l) => this.taskDefinitions[l].taskDefinitionArn),
        conditions: { ArnEquals: { 'ecs:cluster': this.cluster.clusterArn } },
      }),
      // RunTask with propagateTags tags the task it creates, which IAM authorizes as ecs:TagResource on
      // the new task: only tasks of this cluster, and only as part of RunTask.
      new iam.PolicyStatement({
        actions: ['ecs:TagResource'],
        resources: [Stack.of(this).formatArn({ service: 'ecs', resource: 'task', resourceName: `${this.cluster.clusterName}/*` })],
        conditions: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
      }),
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: languages.flatMap((l) => [this.taskRoles[l].roleArn, this.executionRoles[l].roleArn]),
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    ];
    for (const statement of statements) fn.role.addToPrincipalPolicy(statement);
    const clusterId = Stack.of(this).getLogicalId(this.cluster.node.defaultChild as CfnElement);
    Validations.of(fn.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task/<${clusterId}>/*]`,
      reason:
        'Task ids exist only once RunTask creates them; ecs:TagResource is limited to tasks of the runner cluster and to ecs:CreateAction = RunTask (propagateTags copies the stack tags for cost allocation).',
    });
  }

  /** MAX_RUNNERS_PER_LANGUAGE: the cap `ensureRunners` applies before asking the launcher. */
  get maxRunnersPerLanguage(): number {
    return this.props.maxRunnersPerLanguage ?? LIMITS.execution.maxRunnersPerLanguage;
  }

  private taskDefinition(language: LanguageId, image: ecs.ContainerImage, idleMs: number, variant?: 'warm'): ecs.FargateTaskDefinition {
    const { stage, table, queues, webSocket } = this.props;
    const definition = new ecs.FargateTaskDefinition(this, `${language}-Task${variant ? 'Warm' : ''}`, {
      family: this.family(language, variant),
      cpu: this.props.cpu ?? DEFAULT_CPU,
      memoryLimitMiB: this.props.memoryMiB ?? DEFAULT_MEMORY_MIB,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
      taskRole: this.taskRoles[language],
      executionRole: this.executionRoles[language],
      // Task ephemeral storage (20 GiB): work dirs in one volume, /tmp in the other (the entrypoint makes it
      // 0711, closed to programs: runner/images/entrypoint.sh).
      volumes: [{ name: 'scratch' }, { name: 'tmp' }],
    });

    const linuxParameters = new ecs.LinuxParameters(this, `${language}-Linux${variant ? 'Warm' : ''}`, {
      // tini as PID 1: orphans of user programs are reaped instead of piling up as zombies.
      initProcessEnabled: true,
    });
    // The runner needs SETUID/SETGID/CHOWN/KILL/DAC_OVERRIDE/FOWNER to drop each run to its slot uid and
    // clean up after it; none of these default capabilities serve it.
    linuxParameters.dropCapabilities(
      ecs.Capability.NET_RAW,
      ecs.Capability.NET_BIND_SERVICE,
      ecs.Capability.MKNOD,
      ecs.Capability.SYS_CHROOT,
      ecs.Capability.AUDIT_WRITE,
      ecs.Capability.SETFCAP,
      ecs.Capability.SETPCAP,
    );

    const container = definition.addContainer('runner', {
      containerName: 'runner',
      image,
      essential: true,
      // Root inside the container on purpose: it setuids each program to its slot's uid (docs/runner.md).
      privileged: false,
      readonlyRootFilesystem: true,
      linuxParameters,
      // SIGTERM stops taking jobs; the running ones (compile 30 s + run 10 s at most) get to finish.
      stopTimeout: Duration.seconds(120),
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroups[language], streamPrefix: 'runner' }),
      environment: {
        [ENV.stage]: stage.name,
        LANGUAGE: language,
        RUN_QUEUE_URL: queues[language].queueUrl,
        [ENV.tableName]: table.tableName,
        [ENV.wsManagementEndpoint]: webSocket.callbackUrl,
        [ENV.region]: Stack.of(this).region,
        RUNNER_SLOTS: String(LIMITS.execution.slotsPerRunner),
        // The guard that stops running programs before the task's memory runs out (runner/sandbox/
        // task-memory.ts): the container's own cgroup has no limit of its own on Fargate (only the task's
        // has), so the budget is given, 90 % of the task's memory.
        [RUNNER_TASK_MEMORY_BUDGET]: String(taskMemoryBudgetBytes(this.props.memoryMiB ?? DEFAULT_MEMORY_MIB)),
        RUNNER_WORK_ROOT: WORK_ROOT,
        RUNNER_IDLE_MS: String(idleMs),
        POWERTOOLS_SERVICE_NAME: `interview-runner-${language}`,
        POWERTOOLS_LOG_LEVEL: stage.logLevel,
        LOG_LEVEL: stage.logLevel,
        // A busy runner asks the launcher for another runner of its language (shared/aws/runners/launcher.ts).
        [ENV.launchQueueUrl]: this.props.launchQueue.queueUrl,
        [ENV.maxRunners]: String(this.maxRunnersPerLanguage),
      },
    });
    container.addMountPoints(
      { sourceVolume: 'scratch', containerPath: SCRATCH_PATH, readOnly: false },
      // The entrypoint makes it 0711 (runner/images/entrypoint.sh): programs get a private TMPDIR instead.
      { sourceVolume: 'tmp', containerPath: '/tmp', readOnly: false },
    );

    Validations.of(definition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'The variables are non-secret configuration (queue URLs, table name, endpoint, limits); credentials come from the task role. User code never sees them: it runs as another uid with a scrubbed environment.',
    });
    return definition;
  }

  private family(language: LanguageId, variant?: 'warm'): string {
    return `${Stack.of(this).stackName}-runner-${language}${variant ? `-${variant}` : ''}`;
  }

  /** The task role of a language: its own queue, the table, pushes, and asking for more runners. */
  private grantRunnerRole(language: LanguageId): void {
    const role = this.taskRoles[language];
    const queue = this.props.queues[language];
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
        resources: [queue.queueArn],
      }),
    );
    // Only the partitions a runner's code touches (runnerPartitions): not APIKEYS, question banks, …
    for (const statement of tableStatements(this.props.table, 'readWrite', [], runnerPartitions(language))) role.addToPrincipalPolicy(statement);
    grantManageConnections(role, this.props.webSocket, ['POST']);
    // SendMessage only (not GetQueueUrl/GetQueueAttributes): the runner never reads the launch queue.
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.props.launchQueue.queueArn] }));

    const execution = this.executionRoles[language];
    Validations.of(execution).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken, which the ECS agent needs to pull the runner image, has no resource-level permissions; the image pull actions themselves are scoped to the asset repository.',
    });
  }
}
