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

/** Every `Validations.of(x).acknowledge()` recorded in the construct tree. */
function acknowledgements(built: Built): Acknowledgement[] {
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

  it('acknowledges only the expected rules', () => {
    const allowed = [
      /AwsSolutions-L1$/, // Node 22 pinned on purpose
      /AwsSolutions-APIG4$/, // authorization in the handlers (SPEC §2)
      /AwsSolutions-IAM5\[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<WebSocketApi[0-9A-F]+>\/dev\/(POST|DELETE)\/@connections\/\*\]$/,
      /AwsSolutions-IAM4\[Policy::arn:<AWS::Partition>:iam::aws:policy\/service-role\/AmazonAPIGatewayPushToCloudWatchLogs\]$/,
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
