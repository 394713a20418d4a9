/**
 * Builds the real app (infra/app.ts) into a temporary cloud assembly, once per test file.
 * `bundle: false` skips esbuild (CDK's `aws:cdk:bundling-stacks` context) for tests that only look at
 * stage-dependent properties.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Stack, type App, type CfnElement } from 'aws-cdk-lib';
import { VALIDATION_REPORT_FILE, type CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { IConstruct } from 'constructs';
import { createApp } from '../../infra/app.js';
import type { InterviewStack } from '../../infra/stack.js';

export interface Built {
  app: App;
  stack: InterviewStack;
  outdir: string;
  /** Removes the temporary assembly directory. */
  cleanup(): void;
}

/** The context of cdk.json (feature flags, default stage): tests synthesize what the CLI synthesizes. */
const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context?: Record<string, unknown> }).context ?? {};

export function buildApp(options: { stage?: string; nag?: boolean; bundle?: boolean; context?: Record<string, unknown> } = {}): Built {
  const outdir = mkdtempSync(path.join(tmpdir(), 'infra-test-'));
  const { app, stack } = createApp({
    stage: options.stage ?? 'dev',
    nag: options.nag ?? false,
    outdir,
    context: { ...CDK_JSON_CONTEXT, ...options.context, ...(options.bundle === false ? { 'aws:cdk:bundling-stacks': [] } : {}) },
  });
  return { app, stack, outdir, cleanup: () => rmSync(outdir, { recursive: true, force: true }) };
}

/** Logical id of a construct's CloudFormation resource (its default child, or itself). */
export function logicalId(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(element).resolve(element.logicalId) as string;
}

export interface ReportViolation {
  ruleName: string;
  severity?: string;
  violatingConstructs?: { constructPath: string }[];
}

/** Violations of every plugin in the assembly's validation report (what `cdk synth` prints). */
export function validationViolations(assembly: CloudAssembly): ReportViolation[] {
  const file = path.join(assembly.directory, VALIDATION_REPORT_FILE);
  const report = JSON.parse(readFileSync(file, 'utf8')) as { pluginReports: { violations: ReportViolation[] }[] };
  return report.pluginReports.flatMap((p) => p.violations);
}
