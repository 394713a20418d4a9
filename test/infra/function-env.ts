/**
 * The environment the stack gives each Lambda function and each runner task, read from the synthesized
 * template, with CloudFormation references turned into realistic placeholder values (a queue's URL, a
 * task definition's ARN, ...). Written to test/unit/function-env.json, which the unit tests load per
 * function (test/unit/env.ts): a unit test of the watchdog runs with exactly the watchdog's variables,
 * so a variable the stack forgets to set fails the test instead of being supplied by a hand-written list.
 *
 *   npm run test:function-env    regenerate the file after changing what the stack sets
 *
 * test/infra/function-env.test.ts fails when the committed file differs from a fresh synth.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ProjectFunction } from '../../infra/constructs/project-function.js';
import type { InterviewStack } from '../../infra/stack.js';
import { buildApp, logicalId } from './harness.js';
import { TemplateReader, type Json } from './template.js';

export const FUNCTION_ENV_FILE = fileURLToPath(new URL('../unit/function-env.json', import.meta.url));

export type Environment = Record<string, string>;
/** `http-<name>`, `ws-<name>`, `pipeline-<name>` (functions) and `runner-<language>` (RunTask tasks). */
export type FunctionEnvironments = Record<string, Environment>;

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const short = (id: string, length = 8) => createHash('sha256').update(id).digest('hex').slice(0, length);

/** Resolves the intrinsic functions the stack uses in environment values to what AWS would put there. */
class Resolver {
  constructor(
    private readonly resources: Record<string, Json>,
    private readonly stackName: string,
  ) {}

  value(v: unknown): string {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    const o = v as Json;
    if ('Ref' in o) return this.ref(o.Ref as string);
    if ('Fn::GetAtt' in o) {
      const [id, attr] = o['Fn::GetAtt'] as [string, string];
      return this.attribute(id, attr);
    }
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map((p) => this.value(p)).join(sep);
    }
    if ('Fn::Select' in o) {
      const [index, list] = o['Fn::Select'] as [number, unknown];
      return this.list(list)[Number(index)] ?? '';
    }
    throw new Error(`unsupported intrinsic in a function environment: ${JSON.stringify(v)}`);
  }

  private list(v: unknown): string[] {
    if (Array.isArray(v)) return v.map((x) => this.value(x));
    const o = v as Json;
    if ('Fn::Split' in o) {
      const [sep, source] = o['Fn::Split'] as [string, unknown];
      return this.value(source).split(sep);
    }
    throw new Error(`unsupported list in a function environment: ${JSON.stringify(v)}`);
  }

  private typeOf(id: string): string {
    const type = this.resources[id]?.Type as string | undefined;
    if (!type) throw new Error(`reference to ${id}, which is not a resource of the stack`);
    return type;
  }

  private ref(id: string): string {
    switch (id) {
      case 'AWS::Region':
        return REGION;
      case 'AWS::AccountId':
        return ACCOUNT;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.stackName;
    }
    switch (this.typeOf(id)) {
      case 'AWS::SQS::Queue':
        return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${id}`;
      case 'AWS::ECS::TaskDefinition':
        return `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${this.resources[id]!.Properties.Family as string}:1`;
      case 'AWS::ECS::Cluster':
        return id;
      case 'AWS::EC2::Subnet':
        return `subnet-${short(id, 17)}`;
      case 'AWS::EC2::SecurityGroup':
        return `sg-${short(id, 17)}`;
      case 'AWS::ApiGatewayV2::Api':
        return short(id, 10);
      case 'AWS::ApiGatewayV2::Stage':
        return this.resources[id]!.Properties.StageName as string;
      default:
        // Tables, log groups, functions...: Ref is the physical name; the logical id stands in for it.
        return id;
    }
  }

  private attribute(id: string, attr: string): string {
    const type = this.typeOf(id);
    const service = type.split('::')[1]!.toLowerCase();
    if (attr === 'Arn') {
      if (type === 'AWS::ECS::Cluster') return `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${id}`;
      if (type === 'AWS::SQS::Queue') return `arn:aws:sqs:${REGION}:${ACCOUNT}:${id}`;
      return `arn:aws:${service}:${REGION}:${ACCOUNT}:${id}`;
    }
    if (type === 'AWS::EC2::SecurityGroup' && attr === 'GroupId') return `sg-${short(id, 17)}`;
    if (type === 'AWS::SQS::Queue' && attr === 'QueueName') return id;
    if (type === 'AWS::SQS::Queue' && attr === 'QueueUrl') return this.ref(id);
    if (type === 'AWS::ApiGatewayV2::Api' && attr === 'ApiEndpoint') {
      const scheme = this.resources[id]!.Properties.ProtocolType === 'WEBSOCKET' ? 'wss' : 'https';
      return `${scheme}://${short(id, 10)}.execute-api.${REGION}.amazonaws.com`;
    }
    throw new Error(`unsupported attribute ${type}.${attr} in a function environment`);
  }
}

/** Every function's and runner task's environment, as the template sets it. */
export function functionEnvironments(stack: InterviewStack): FunctionEnvironments {
  const reader = new TemplateReader(stack);
  const resolve = new Resolver(reader.resources, stack.stackName);
  const functions: Record<string, ProjectFunction> = {
    ...prefixed('http', stack.http.functions),
    ...prefixed('ws', stack.webSocket.functions),
    ...prefixed('pipeline', stack.execution.pipeline.functions),
  };
  const out: FunctionEnvironments = {};
  for (const [name, fn] of Object.entries(functions)) {
    const variables = (reader.resources[logicalId(fn.fn)]!.Properties.Environment?.Variables ?? {}) as Json;
    out[name] = sorted(Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, resolve.value(v)])));
  }
  for (const [language, definition] of Object.entries(stack.execution.runners.taskDefinitions)) {
    const container = (reader.resources[logicalId(definition)]!.Properties.ContainerDefinitions as Json[])[0]!;
    const variables = (container.Environment ?? []) as { Name: string; Value: unknown }[];
    out[`runner-${language}`] = sorted(Object.fromEntries(variables.map((v) => [v.Name, resolve.value(v.Value)])));
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

function prefixed<T>(prefix: string, record: Readonly<Record<string, T>>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).map(([name, value]) => [`${prefix}-${name}`, value]));
}

const sorted = (env: Environment): Environment => Object.fromEntries(Object.entries(env).sort(([a], [b]) => a.localeCompare(b)));

export const serialize = (envs: FunctionEnvironments): string => `${JSON.stringify(envs, null, 2)}\n`;

/** A fresh synth of the default stage (no bundling: the environment does not depend on it). */
export function synthesizeEnvironments(): FunctionEnvironments {
  const built = buildApp({ stage: 'dev', bundle: false, nag: false });
  try {
    return functionEnvironments(built.stack);
  } finally {
    built.cleanup();
  }
}

export const committedEnvironments = (): string => readFileSync(FUNCTION_ENV_FILE, 'utf8');

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(FUNCTION_ENV_FILE, serialize(synthesizeEnvironments()));
  console.log(`wrote ${FUNCTION_ENV_FILE}`);
}
