/**
 * Environment for the unit tests: each test file runs with the environment the stack gives the function
 * it tests, read from the synthesized template (function-env.json, written by test/infra/function-env.ts
 * and checked against a fresh synth by test/infra/function-env.test.ts), never from a hand-written list.
 *
 * Which function: the file's path names it (`pipeline/watchdog.test.ts` → `pipeline-watchdog`,
 * `ws/message-join.test.ts` → `ws-message`, `http/sessions-lifecycle.test.ts` → `http-sessions`); a
 * file whose name does not say can call `useFunctionEnv(name)` at its top level (runner modules:
 * `runner-<language>`). Files that test code shared by several functions (domain, store) get the union of
 * every function's variables.
 *
 * Imported first by fixtures.ts so it runs before any product module reads the environment (the logger
 * reads its level, config() the table name, when they are first evaluated).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { ENV, resetConfig } from '#aws/config.js';

type Environment = Record<string, string>;
const ENVIRONMENTS = JSON.parse(readFileSync(new URL('./function-env.json', import.meta.url), 'utf8')) as Record<string, Environment>;
export type FunctionName = string;
export const FUNCTION_NAMES = Object.keys(ENVIRONMENTS);

/**
 * Set by the test harness, not by the stack: the Lambda runtime sets AWS_REGION itself, logs are
 * silenced, and NODE_OPTIONS is a flag for the runtime that starts the process, not for code in it.
 */
const HARNESS: Environment = {
  AWS_REGION: 'eu-west-1',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  LOG_LEVEL: 'SILENT',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};
const NOT_APPLIED = new Set(['NODE_OPTIONS']);

/**
 * What the platform adds to a function's or task's environment, by which config() knows it runs in AWS
 * and refuses local fallbacks: a variable the stack forgot fails here as it would in AWS.
 */
const PLATFORM = {
  lambda: (name: string): Environment => ({ AWS_LAMBDA_FUNCTION_NAME: `Interview-dev-${name}` }),
  ecs: (): Environment => ({ ECS_CONTAINER_METADATA_URI_V4: 'http://169.254.170.2/v4/unit-test' }),
};
const PLATFORM_KEYS = ['AWS_LAMBDA_FUNCTION_NAME', 'ECS_CONTAINER_METADATA_URI_V4', 'ECS_CONTAINER_METADATA_URI'];

/** Every variable some function or the local stack may read: cleared before a function's own are set. */
const PRODUCT_KEYS = new Set([...Object.values(ENV), ...PLATFORM_KEYS, ...Object.values(ENVIRONMENTS).flatMap((e) => Object.keys(e))]);

const union = (): Environment => Object.assign({}, ...Object.values(ENVIRONMENTS)) as Environment;

/** The one value every function that has the variable agrees on (the table, the launch queue). */
function shared(key: string): string {
  const values = new Set(Object.values(ENVIRONMENTS).flatMap((e) => (e[key] === undefined ? [] : [e[key]])));
  if (values.size !== 1) throw new Error(`function-env.json: expected one ${key} across functions, found ${[...values].join(', ') || 'none'}`);
  return [...values][0]!;
}

export const TABLE = shared(ENV.tableName);
export const LAUNCH_QUEUE = shared(ENV.launchQueueUrl);
/** The public WebSocket URL (WS_URL) handed to clients. */
export const WS_URL = shared(ENV.wsUrl);
/** A language's run queue URL, as RUN_QUEUE_URLS gives it to the run-queuing functions. */
export const runQueueUrl = (language: string): string => {
  const url = (JSON.parse(shared(ENV.runQueueUrls)) as Record<string, string>)[language];
  if (!url) throw new Error(`function-env.json: no run queue for ${language}`);
  return url;
};

/** The environment the stack gives a function (`pipeline-watchdog`) or a runner task (`runner-python`). */
export function functionEnv(name: FunctionName): Environment {
  const env = ENVIRONMENTS[name];
  if (!env) throw new Error(`no function ${name} in the synthesized stack (known: ${FUNCTION_NAMES.join(', ')})`);
  return { ...env };
}

let current: FunctionName | undefined;
/** The function whose environment is in effect (undefined: the union, for shared modules). */
export const currentFunction = (): FunctionName | undefined => current;

/**
 * Replaces the process environment with exactly this function's, plus what its platform (Lambda or ECS)
 * sets and HARNESS. Without a name: the union of every function's variables, without platform markers
 * (modules shared by several functions, tested on their own).
 */
export function useFunctionEnv(name: FunctionName | undefined): void {
  const env = name === undefined ? union() : functionEnv(name);
  for (const key of PRODUCT_KEYS) delete process.env[key];
  for (const [key, value] of Object.entries(env)) if (!NOT_APPLIED.has(key)) process.env[key] = value;
  if (name !== undefined) Object.assign(process.env, name.startsWith('runner-') ? PLATFORM.ecs() : PLATFORM.lambda(name));
  Object.assign(process.env, HARNESS);
  current = name;
  resetConfig();
}

const normalize = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/** `test/unit/<dir>/<name>[-topic].test.ts` → the function `<dir>-<name>`, if the stack has one. */
export function functionOfTestFile(testPath: string): FunctionName | undefined {
  const unitDir = path.dirname(fileURLToPath(import.meta.url));
  const [dir, file] = path.relative(unitDir, testPath).split(path.sep);
  if (!dir || !file) return undefined;
  const base = file.replace(/\.test\.[cm]?ts$/, '');
  for (const candidate of [base, base.split('-')[0]!]) {
    const found = FUNCTION_NAMES.find((n) => normalize(n) === normalize(`${dir}-${candidate}`));
    if (found) return found;
  }
  return undefined;
}

const testPath = expect.getState().testPath;
useFunctionEnv(testPath ? functionOfTestFile(testPath) : undefined);
