/**
 * `npm run destroy -- --stage dev [--region R] [--force]`: stops the stage's runner tasks
 * (infra/stop-runners.ts), which would otherwise make the stack deletion fail, then runs `cdk destroy`
 * for that stage. Credentials come from the usual places (environment, profile), as for `cdk`; the region
 * from --region, else AWS_REGION / AWS_DEFAULT_REGION, else the profile.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { ECSClient } from '@aws-sdk/client-ecs';
import { stageSettings } from './stage.js';
import { stopRunnerTasks } from './stop-runners.js';

const USAGE = `usage: npm run destroy -- --stage <name> [--region <region>] [--force]
  Stops the stage's runner tasks (Fargate), then runs \`cdk destroy Interview-<name>\`.
  --region  the stack's region (default: AWS_REGION, AWS_DEFAULT_REGION or your profile's)
  --force   no confirmation prompt from cdk destroy`;

/** Exit 2 with the usage for a wrong command line, 1 (no usage) for a failure in AWS. */
function fail(message: string, code = 2): never {
  console.error(code === 2 ? `destroy: ${message}\n${USAGE}` : `destroy: ${message}`);
  process.exit(code);
}

let values: { stage?: string; region?: string; force?: boolean; help?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      stage: { type: 'string' },
      region: { type: 'string' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }));
} catch (err) {
  fail((err as Error).message);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!values.stage) fail('--stage is required');
let stage: string;
try {
  stage = stageSettings(values.stage).name; // same name check as the app: no surprise stack names
} catch (err) {
  fail((err as Error).message);
}
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'; // as api-key: the README says why
// cdk and the SDK both read AWS_REGION: one region for the runner stop and the stack deletion.
if (values.region) process.env.AWS_REGION = values.region;

try {
  await stopRunnerTasks({ client: new ECSClient({}), stage, log: (line) => console.log(line) });
} catch (err) {
  const e = err as Error;
  const hint = /region/i.test(e.message) ? ' (pass --region or set AWS_REGION)' : /credential/i.test(e.message) ? ' (configure AWS credentials as for cdk)' : '';
  fail(`could not stop the runner tasks of stage "${stage}": ${e.name}: ${e.message}${hint}`, 1);
}

const args = ['cdk', 'destroy', `Interview-${stage}`, '-c', `stage=${stage}`, ...(values.force ? ['--force'] : [])];
console.log(`npx ${args.join(' ')}`);
const result = spawnSync('npx', args, { stdio: 'inherit' });
process.exit(result.status ?? 1);
