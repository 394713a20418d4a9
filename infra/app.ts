/**
 * Builds the CDK app: the stage from context (`-c stage=prod`, default from cdk.json), the stack, and
 * the cdk-nag AwsSolutions checks. bin/app.ts runs it for the CLI; tests build the very same app.
 */
import { App, Tags, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { InterviewStack } from './stack.js';
import { stageSettings } from './stage.js';

export interface CreateAppOptions {
  /** Overrides the `stage` context value. */
  readonly stage?: string;
  readonly outdir?: string;
  readonly context?: AppProps['context'];
  /** Register the cdk-nag AwsSolutions pack. @default true */
  readonly nag?: boolean;
}

export function createApp(options: CreateAppOptions = {}): { app: App; stack: InterviewStack } {
  const app = new App({ outdir: options.outdir, context: options.context });
  const stage = stageSettings(options.stage ?? (app.node.tryGetContext('stage') as string | undefined) ?? 'dev');

  // Comma-separated list, e.g. -c allowOrigins=https://interview.example.com
  const origins = app.node.tryGetContext('allowOrigins') as string | undefined;
  const manageAccountLogRole = app.node.tryGetContext('manageAccountLogRole') as string | boolean | undefined;
  const number = (key: string) => numberContext(app, key);

  const stack = new InterviewStack(app, `Interview-${stage.name}`, {
    stage,
    description: `Live coding interview backend (${stage.name})`,
    allowOrigins: origins ? origins.split(',').map((o) => o.trim()) : undefined,
    manageAccountLogRole: manageAccountLogRole === undefined ? undefined : String(manageAccountLogRole) !== 'false',
    warmRunners: number('warmRunners'),
    runnerCpu: number('runnerCpu'),
    runnerMemoryMiB: number('runnerMemoryMiB'),
    alarmEmail: emailContext(app, 'alarmEmail'),
    containerInsights: booleanContext(app, 'containerInsights'),
  });
  Tags.of(app).add('project', 'interview-backend');
  Tags.of(app).add('stage', stage.name);

  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

/** A non-negative integer context value (`-c warmRunners=1` arrives as a string), or undefined. */
function numberContext(app: App, key: string): number | undefined {
  const raw = app.node.tryGetContext(key) as string | number | undefined;
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`-c ${key}=${String(raw)}: expected a non-negative integer`);
  return value;
}

/** `-c alarmEmail=ops@example.com`: checked here, since SNS would only refuse it during the deploy. */
function emailContext(app: App, key: string): string | undefined {
  const raw = app.node.tryGetContext(key) as string | undefined;
  if (raw === undefined || raw === '') return undefined;
  const email = String(raw).trim();
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) throw new Error(`-c ${key}=${email}: expected an e-mail address`);
  return email;
}

/** `-c containerInsights=true` arrives as a string. */
function booleanContext(app: App, key: string): boolean | undefined {
  const raw = app.node.tryGetContext(key) as string | boolean | undefined;
  if (raw === undefined) return undefined;
  const text = String(raw);
  if (text !== 'true' && text !== 'false') throw new Error(`-c ${key}=${text}: expected true or false`);
  return text === 'true';
}
