/**
 * List prices used by the cost model (bench/cost.ts), us-east-1, on-demand, as published on the AWS
 * pricing pages named in `source`; free tiers are not subtracted (they are per account, shared by
 * every stage and every other workload in it). Checked against the pricing pages in 2025; when AWS
 * changes a price, change it here and rerun `npx tsx bench/cost.ts`.
 */
export interface Price {
  readonly usd: number;
  /** How docs/cost.md writes it. */
  readonly label: string;
  readonly source: string;
}

const price = (usd: number, label: string, source: string): Price => ({ usd, label, source });

export const PRICES = {
  alarmMetric: price(0.1, '$0.10 per alarm metric-month (standard resolution)', 'aws.amazon.com/cloudwatch/pricing'),
  compositeAlarm: price(0.5, '$0.50 per composite alarm-month', 'aws.amazon.com/cloudwatch/pricing'),
  dashboard: price(3, '$3.00 per dashboard-month', 'aws.amazon.com/cloudwatch/pricing'),
  customMetric: price(0.3, '$0.30 per custom metric-month, pro-rated by the hour', 'aws.amazon.com/cloudwatch/pricing'),
  logIngestion: price(0.5, '$0.50 per GB ingested', 'aws.amazon.com/cloudwatch/pricing'),
  logStorage: price(0.03, '$0.03 per GB-month stored', 'aws.amazon.com/cloudwatch/pricing'),
  lambdaRequest: price(0.2 / 1e6, '$0.20 per million requests', 'aws.amazon.com/lambda/pricing'),
  lambdaGbSecond: price(0.0000133334, '$0.0000133334 per GB-second (Arm)', 'aws.amazon.com/lambda/pricing'),
  sqsRequest: price(0.4 / 1e6, '$0.40 per million requests (standard queue)', 'aws.amazon.com/sqs/pricing'),
  dynamoWrite: price(0.625 / 1e6, '$0.625 per million write request units (on demand)', 'aws.amazon.com/dynamodb/pricing/on-demand'),
  dynamoRead: price(0.125 / 1e6, '$0.125 per million read request units (on demand)', 'aws.amazon.com/dynamodb/pricing/on-demand'),
  dynamoStorage: price(0.25, '$0.25 per GB-month', 'aws.amazon.com/dynamodb/pricing/on-demand'),
  dynamoPitr: price(0.2, '$0.20 per GB-month (continuous backups)', 'aws.amazon.com/dynamodb/pricing/on-demand'),
  kmsRequest: price(0.03 / 1e4, '$0.03 per 10,000 requests (no monthly fee for AWS managed keys)', 'aws.amazon.com/kms/pricing'),
  ecrStorage: price(0.1, '$0.10 per GB-month', 'aws.amazon.com/ecr/pricing'),
  fargateVcpuHour: price(0.03238, '$0.03238 per vCPU-hour (Linux/Arm)', 'aws.amazon.com/fargate/pricing'),
  fargateGbHour: price(0.00356, '$0.00356 per GB-hour (Linux/Arm)', 'aws.amazon.com/fargate/pricing'),
  publicIpv4Hour: price(0.005, '$0.005 per public IPv4 address-hour', 'aws.amazon.com/vpc/pricing'),
  wsMessage: price(1 / 1e6, '$1.00 per million WebSocket messages (32 KB units)', 'aws.amazon.com/api-gateway/pricing'),
  wsConnectionMinute: price(0.25 / 1e6, '$0.25 per million connection-minutes', 'aws.amazon.com/api-gateway/pricing'),
  httpRequest: price(1 / 1e6, '$1.00 per million HTTP API requests', 'aws.amazon.com/api-gateway/pricing'),
} as const;
