import { Stack, Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, validationViolations, type Built } from './harness.js';

interface Acknowledgement {
  path: string;
  id: string;
  reason: string;
}

/**
 * The cdk-nag acknowledgements recorded in the construct tree (ours). CDK itself acknowledges a few
 * CloudFormation linter findings (`CloudFormation-Validate::…`: literal AZs on the stack, flow log
 * properties); those are checked apart.
 */
function acknowledgements(built: Built): Acknowledgement[] {
  return allAcknowledgements(built).filter((a) => a.id.includes('AwsSolutions-'));
}

function allAcknowledgements(built: Built): Acknowledgement[] {
  return built.app.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id, reason }))),
  );
}

describe('cdk-nag AwsSolutions on the real app', () => {
  let built: Built;
  let assembly: CloudAssembly;
  let synthError: unknown;

  beforeAll(() => {
    built = buildApp({ stage: 'dev', nag: true });
    try {
      assembly = built.app.synth();
    } catch (err) {
      // Validation errors make synth throw with the whole report in the message: show it in the test.
      synthError = err;
    }
  });
  afterAll(() => built?.cleanup());

  it('synthesizes with zero unacknowledged findings (errors or warnings)', () => {
    expect(synthError instanceof Error ? synthError.message : synthError).toBeUndefined();
    const violations = validationViolations(assembly);
    expect(violations.map((v) => `${v.ruleName} (${v.severity}) at ${v.violatingConstructs?.map((c) => c.constructPath).join(', ')}`)).toEqual([]);
  });

  it('acknowledges only on resources or constructs, never on the whole app or stack', () => {
    const acks = acknowledgements(built);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.path.split('/').length, `${ack.id} at ${ack.path}`).toBeGreaterThanOrEqual(3);
      expect(ack.reason.length, `${ack.id} needs a real reason`).toBeGreaterThanOrEqual(60);
    }
  });

  it('acknowledges Resource::* only on runner execution roles, and ECS2 only on runner task definitions', () => {
    const acks = acknowledgements(built);
    const star = acks.filter((a) => a.id.endsWith('AwsSolutions-IAM5[Resource::*]'));
    expect(star).toHaveLength(8);
    for (const a of star) expect(a.path).toMatch(/\/Execution\/Runners\/[a-z]+-ExecutionRole$/);
    const ecs2 = acks.filter((x) => x.id.endsWith('AwsSolutions-ECS2'));
    expect(ecs2).toHaveLength(8);
    for (const a of ecs2) expect(a.path).toMatch(/\/Execution\/Runners\/[a-z]+-Task(Warm)?$/);
  });

  it('acknowledges SNS2 only on the alarm topic and ECS4 only on the runner cluster', () => {
    const acks = acknowledgements(built);
    expect(acks.filter((a) => a.id.endsWith('AwsSolutions-SNS2')).map((a) => a.path)).toEqual(['Interview-dev/Observability/AlarmTopic']);
    expect(acks.filter((a) => a.id.endsWith('AwsSolutions-ECS4')).map((a) => a.path)).toEqual(['Interview-dev/Execution/Runners/Cluster']);
  });

  it('leaves only CDK\'s own CloudFormation-linter acknowledgements besides ours', () => {
    const others = allAcknowledgements(built).filter((a) => !a.id.includes('AwsSolutions-'));
    for (const a of others) expect(a.id, a.path).toMatch(/^CloudFormation-Validate::[EFW]\d+$/);
  });

  it('acknowledges only the expected rules', () => {
    const allowed = [
      /AwsSolutions-L1$/, // Node 22 pinned on purpose
      /AwsSolutions-APIG4$/, // authorization in the handlers (docs/protocol.md §2)
      /AwsSolutions-IAM5\[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<WebSocketApi[0-9A-F]+>\/dev\/(POST|DELETE)\/@connections\/\*\]$/,
      /AwsSolutions-IAM4\[Policy::arn:<AWS::Partition>:iam::aws:policy\/service-role\/AmazonAPIGatewayPushToCloudWatchLogs\]$/,
      /AwsSolutions-ECS2$/, // non-secret configuration in runner task definitions
      /AwsSolutions-IAM5\[Resource::\*\]$/, // ecr:GetAuthorizationToken (runner execution roles only, below)
      /AwsSolutions-IAM5\[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task\/<ExecutionRunnersCluster[0-9A-F]+>\/\*\]$/, // launcher: tag the tasks it runs
      /AwsSolutions-SNS2$/, // alarm topic: CloudWatch cannot use the AWS managed key (below)
      /AwsSolutions-ECS4$/, // Container Insights off by default, a cost decision (below)
      /AwsSolutions-S1$/, /AwsSolutions-CFR[1-4]$/, // web app: static files only (infra/constructs/web-app.ts)
      /AwsSolutions-IAM4\[Policy::arn:<AWS::Partition>:iam::aws:policy\/service-role\/AWSLambdaBasicExecutionRole\]$/, // CDK's BucketDeployment handler
      /AwsSolutions-IAM5\[(Action::s3:(GetBucket|GetObject|List|Abort|DeleteObject)\*|Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>\/\*|Resource::<WebAppBucket[0-9A-F]+\.Arn>\/\*)\]$/,
    ];
    for (const ack of acknowledgements(built)) {
      expect(allowed.some((re) => re.test(ack.id)), `unexpected acknowledgement ${ack.id} at ${ack.path}`).toBe(true);
    }
  });
});

describe('cdk-nag harness', () => {
  let built: Built;
  afterAll(() => built?.cleanup());

  it('does report a finding that is not acknowledged (the check above is not vacuous)', () => {
    built = buildApp({ stage: 'dev', nag: true, bundle: false });
    // A queue without DLQ and without enforced TLS breaks AwsSolutions-SQS3/SQS4.
    new Queue(built.stack as Stack, 'NagProbe');
    expect(() => built.app.synth()).toThrow(/AwsSolutions-SQS[34]/);
  });
});
