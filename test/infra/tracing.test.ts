/**
 * Traces (issue 11), off by default: `-c tracing=true` turns on X-Ray active tracing, sets
 * POWERTOOLS_TRACE_ENABLED and builds Powertools Tracer into every function's bundle (the X-Ray write
 * permissions come with active tracing); without it none of that is in the template, the roles or
 * the bundles (shared/telemetry/tracing.ts, infra/bundling.ts lambdaDefine).
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectFunction } from '../../infra/constructs/project-function.js';
import { stageSettings } from '../../infra/stage.js';
import { buildApp, validationViolations, type Built } from './harness.js';

type Json = Record<string, any>;

/** The project's functions (each sets POWERTOOLS_SERVICE_NAME), with the X-Ray actions their roles get. */
function functions(b: Built) {
  const resources = Template.fromStack(b.stack).toJSON().Resources as Record<string, Json>;
  const policies = Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Policy');
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME)
    .map((r) => {
      const role = r.Properties.Role['Fn::GetAtt'][0] as string;
      const actions = policies
        .filter((p) => (p.Properties.Roles as Json[]).some((ref) => ref.Ref === role))
        .flatMap((p) => (p.Properties.PolicyDocument.Statement as Json[]).flatMap((s) => [s.Action].flat() as string[]));
      return { mode: r.Properties.TracingConfig?.Mode, env: r.Properties.Environment.Variables as Record<string, unknown>, xray: actions.filter((a) => a.startsWith('xray:')).sort() };
    });
}

describe('traces', () => {
  let plain: Built;
  let traced: Built;
  let tracedAssembly: CloudAssembly;
  beforeAll(() => {
    plain = buildApp({ stage: 'dev', bundle: false });
    traced = buildApp({ stage: 'dev', bundle: false, nag: true, context: { tracing: 'true' } });
    tracedAssembly = traced.app.synth();
  });
  afterAll(() => {
    plain?.cleanup();
    traced?.cleanup();
  });

  it('are off by default: no TracingConfig, no POWERTOOLS_TRACE_ENABLED, no X-Ray permission', () => {
    const fns = functions(plain);
    expect(fns.length).toBeGreaterThan(10);
    for (const fn of fns) {
      expect(fn.mode).toBeUndefined();
      expect(fn.env).not.toHaveProperty('POWERTOOLS_TRACE_ENABLED');
      expect(fn.xray).toEqual([]);
    }
  });

  it('with -c tracing=true every function traces actively, with the tracer enabled and the X-Ray write permissions', () => {
    const fns = functions(traced);
    expect(fns.length).toBe(functions(plain).length);
    for (const fn of fns) {
      expect(fn.mode).toBe('Active');
      expect(fn.env.POWERTOOLS_TRACE_ENABLED).toBe('true');
      expect(fn.xray).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    }
  });

  it('with -c tracing=true cdk-nag still has zero unacknowledged findings', () => {
    expect(validationViolations(tracedAssembly).map((v) => `${v.ruleName} at ${v.violatingConstructs?.map((c) => c.constructPath).join(', ')}`)).toEqual([]);
  });
});

describe('the bundle a function deploys', () => {
  /** Synthesizes one project function (real esbuild bundling) and returns its bundled handler. */
  function bundled(tracing: boolean): string {
    const app = new App({ context: tracing ? { tracing: 'true' } : {} });
    const stack = new Stack(app, 'Bundle');
    new ProjectFunction(stack, 'Meta', { entry: 'functions/http/meta.ts', stage: stageSettings('dev'), serviceName: 'interview-meta' });
    const dir = app.synth().directory;
    const asset = readdirSync(dir).find((d) => d.startsWith('asset.'))!;
    return readFileSync(path.join(dir, asset, 'index.mjs'), 'utf8');
  }

  it('carries Powertools Tracer and the X-Ray SDK only when built with -c tracing=true', () => {
    const off = bundled(false);
    const on = bundled(true);
    // Strings of the X-Ray SDK and of the Tracer that minification keeps.
    for (const marker of ['XRaySDKInstrumentation', 'AWS_XRAY_DAEMON_ADDRESS', '## Dummy segment']) {
      expect(off).not.toContain(marker);
      expect(on).toContain(marker);
    }
    expect(on.length - off.length).toBeGreaterThan(100_000);
  });
});
