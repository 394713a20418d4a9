/**
 * Environment for the unit tests. Imported first by fixtures.ts so it runs before any product module
 * reads it (the logger reads its level, config() the table name, when they are first evaluated).
 */
process.env.TABLE_NAME = 'interview-unit';
process.env.AWS_REGION = 'eu-west-1';
process.env.WS_URL = 'wss://ws.example.test/prod';
process.env.WS_MANAGEMENT_ENDPOINT = 'https://mgmt.example.test/prod';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
delete process.env.DYNAMODB_ENDPOINT;
delete process.env.SQS_ENDPOINT;
// The execution pipeline: one run queue and one Fargate task definition per language (mocked SQS / ECS).
process.env.RUN_QUEUE_URLS = JSON.stringify({
  python: 'https://sqs.eu-west-1.amazonaws.com/123456789012/runs-python',
  go: 'https://sqs.eu-west-1.amazonaws.com/123456789012/runs-go',
});
// Launch requests go to one queue; the launcher function (the only one allowed ecs:RunTask) consumes it.
export const LAUNCH_QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/runner-launches';
process.env.LAUNCH_QUEUE_URL = LAUNCH_QUEUE;
process.env.RUNNER_CLUSTER_ARN = 'arn:aws:ecs:eu-west-1:123456789012:cluster/runners';
process.env.RUNNER_TASK_DEFINITIONS = JSON.stringify({
  python: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/runner-python:3',
  go: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/runner-go:3',
});
process.env.RUNNER_SUBNETS = 'subnet-aaa, subnet-bbb';
process.env.RUNNER_SECURITY_GROUPS = 'sg-runner';
delete process.env.MAX_RUNNERS_PER_LANGUAGE;

export const TABLE = 'interview-unit';
