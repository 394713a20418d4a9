/**
 * `npm run destroy -- --stage dev [--force]`: stops the stage's runner tasks (infra/stop-runners.ts),
 * which would otherwise make the stack deletion fail, then runs `cdk destroy` for that stage.
 * AWS credentials and region come from the usual places (environment, profile), as for `cdk`.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { ECSClient } from '@aws-sdk/client-ecs';
import { stageSettings } from './stage.js';
import { stopRunnerTasks } from './stop-runners.js';

const { values } = parseArgs({
  options: { stage: { type: 'string' }, force: { type: 'boolean', default: false } },
  strict: true,
});
if (!values.stage) {
  console.error('usage: npm run destroy -- --stage <name> [--force]');
  process.exit(2);
}
const stage = stageSettings(values.stage).name; // same name check as the app: no surprise stack names

await stopRunnerTasks({ client: new ECSClient({}), stage, log: (line) => console.log(line) });

const args = ['cdk', 'destroy', `Interview-${stage}`, '-c', `stage=${stage}`, ...(values.force ? ['--force'] : [])];
console.log(`npx ${args.join(' ')}`);
const result = spawnSync('npx', args, { stdio: 'inherit' });
process.exit(result.status ?? 1);
