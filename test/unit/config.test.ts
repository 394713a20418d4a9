/**
 * shared/aws/config.ts: local values only off AWS. In a Lambda function or an ECS task (told by what the
 * platform sets, not by STAGE) a missing variable is an error naming it, never a silent local default.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, ENV, loadConfig, runningInAws } from '#aws/config.js';
import { LOCAL_TABLE_NAME } from '#aws/table.js';

const LAMBDA = { AWS_LAMBDA_FUNCTION_NAME: 'Interview-dev-HttpSessions', AWS_REGION: 'eu-west-1', STAGE: 'dev' };

describe('configuration off AWS (local stack, tests)', () => {
  it('falls back to the local stack values', () => {
    const c = loadConfig({});
    expect([c.tableName, c.stage, c.wsUrl, c.region]).toEqual([LOCAL_TABLE_NAME, 'local', 'ws://localhost:3001/ws', 'us-east-1']);
  });

  it('is not fooled by a production-looking STAGE', () => {
    expect(runningInAws({ STAGE: 'prod' })).toBe(false);
    expect(loadConfig({ STAGE: 'prod' }).tableName).toBe(LOCAL_TABLE_NAME);
  });
});

describe('configuration in AWS', () => {
  it('knows Lambda by AWS_LAMBDA_FUNCTION_NAME and Fargate by the task metadata endpoint', () => {
    expect(runningInAws({ AWS_LAMBDA_FUNCTION_NAME: 'f' })).toBe(true);
    expect(runningInAws({ ECS_CONTAINER_METADATA_URI_V4: 'http://169.254.170.2/v4/x' })).toBe(true);
    expect(runningInAws({})).toBe(false);
  });

  it('takes what the stack set', () => {
    const c = loadConfig({ ...LAMBDA, [ENV.tableName]: 'Interview-dev-Table-1', [ENV.wsUrl]: 'wss://x/dev' });
    expect([c.tableName, c.wsUrl, c.stage, c.region]).toEqual(['Interview-dev-Table-1', 'wss://x/dev', 'dev', 'eu-west-1']);
  });

  it('refuses to load without STAGE or AWS_REGION (every function and task gets them)', () => {
    expect(() => loadConfig({ AWS_LAMBDA_FUNCTION_NAME: 'f', AWS_REGION: 'eu-west-1' })).toThrow(/^STAGE is not set/);
    expect(() => loadConfig({ ECS_CONTAINER_METADATA_URI_V4: 'u', STAGE: 'dev' })).toThrow(/^AWS_REGION is not set/);
  });

  it('throws naming TABLE_NAME / WS_URL when a function that lacks them uses them, instead of the local values', () => {
    const c = loadConfig(LAMBDA);
    expect(() => c.tableName).toThrow(ConfigError);
    expect(() => c.tableName).toThrow(/^TABLE_NAME is not set: the CDK stack sets it/);
    expect(() => c.wsUrl).toThrow(/^WS_URL is not set/);
    expect(c.stage).toBe('dev'); // the rest stays usable: a function without the table never asks for it
  });

  it('names a malformed variable', () => {
    expect(() => loadConfig({ ...LAMBDA, [ENV.runQueueUrls]: '{not json' })).toThrow(/^RUN_QUEUE_URLS is not JSON/);
    expect(() => loadConfig({ ...LAMBDA, [ENV.maxRunners]: 'four' })).toThrow(/^MAX_RUNNERS_PER_LANGUAGE is not a non-negative integer/);
  });
});

describe('cold start', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    vi.resetModules();
  });

  it('fails the import of the configuration in a Lambda without STAGE', async () => {
    vi.resetModules();
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'Interview-dev-HttpMeta';
    process.env.AWS_REGION = 'eu-west-1';
    delete process.env.STAGE;
    await expect(import('#aws/config.js')).rejects.toThrow(/STAGE is not set/);
  });

  it('imports fine locally without any variable', async () => {
    vi.resetModules();
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    delete process.env.STAGE;
    await expect(import('#aws/config.js')).resolves.toHaveProperty('config');
  });
});
