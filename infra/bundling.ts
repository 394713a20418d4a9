/**
 * How every Lambda is bundled: one definition used by the CDK project function and by bench/bundles.ts,
 * so the bench measures exactly what deploys.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export const LAMBDA_BUNDLE = {
  format: 'esm' as const,
  target: 'node22',
  platform: 'node' as const,
  mainFields: ['module', 'main'],
  minify: true,
  // CommonJS dependencies bundled into ESM call `require`, which ESM lacks: the banner provides one.
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  alias: { '@aws-sdk/credential-provider-node': path.join(here, 'lambda-credentials.ts') },
  define: lambdaDefine(false),
};

/**
 * Compile-time constants of a function's bundle. POWERTOOLS_TRACE_ENABLED decides whether Powertools
 * Tracer is built in at all (shared/telemetry/tracing.ts): `true` only with `-c tracing=true`.
 */
export function lambdaDefine(tracing: boolean): Record<string, string> {
  return { 'process.env.POWERTOOLS_TRACE_ENABLED': JSON.stringify(String(tracing)) };
}
