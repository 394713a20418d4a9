import { defineConfig } from 'vitest/config';

// The integration project's local stack runs the handlers inside this (the main) process: keep their
// per-request INFO lines out of the test output, and the AWS SDK's Node 20 notice (Lambda runs Node 22).
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * Four test layers, all run by `npm test`:
 *   unit         handlers and domain with mocked SDK clients (aws-sdk-client-mock)
 *   infra        CDK synth assertions + cdk-nag
 *   runner       the sandbox with real processes (full checks need root)
 *   integration  the real local stack (DynamoDB Local, HTTP + WebSocket front) over real sockets
 */
export default defineConfig({
  test: {
    // One test file at a time across all projects: the runner project's hostile programs (CPU, memory,
    // /tmp lockdown) and the integration and browser projects' local stacks share this 2-core machine,
    // and a run of `npm test` must not be its own noisy neighbour.
    maxWorkers: 1,
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 20_000 } },
      { test: { name: 'infra', include: ['test/infra/**/*.test.ts'], testTimeout: 240_000, hookTimeout: 240_000 } },
      {
        test: {
          name: 'runner',
          include: ['test/runner/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          // expect.poll waits on the real stack: its 1 s default loses to a busy machine.
          expect: { poll: { timeout: 30_000 } },
        },
      },
      {
        // The client library (test/client) and the web app in Debian's chromium (test/browser), against
        // a local stack of their own started by the same global setup.
        test: {
          name: 'web',
          include: ['test/client/**/*.test.ts', 'test/browser/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          expect: { poll: { timeout: 30_000 } },
        },
      },
    ],
  },
});
