/** RunTask for the ECS launcher, loaded on first launch: only launching code bundles the ECS client. */
import { ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import { countingMiddleware, onResetClients } from '../clients.js';
import { config } from '../config.js';
import type { LanguageId } from '../languages.js';

let client: ECSClient | undefined;
onResetClients(() => (client = undefined));

function ecs(): ECSClient {
  if (!client) {
    client = new ECSClient({ region: config().region });
    client.middlewareStack.add(countingMiddleware('ecs'), { step: 'initialize', name: 'countCalls' });
  }
  return client;
}

export async function runTasks(language: LanguageId, count: number): Promise<void> {
  const c = config().runners;
  const taskDefinition = c.taskDefinitions[language];
  if (!c.clusterArn || !taskDefinition) throw new Error(`no runner task definition configured for ${language}`);
  const out = await ecs().send(
    new RunTaskCommand({
      cluster: c.clusterArn,
      taskDefinition,
      launchType: 'FARGATE',
      count,
      startedBy: `launcher-${language}`.slice(0, 36),
      networkConfiguration: {
        // Public subnets, no NAT gateway: the task needs egress to AWS APIs only (see docs/execution.md).
        awsvpcConfiguration: { subnets: c.subnets, securityGroups: c.securityGroups, assignPublicIp: 'ENABLED' },
      },
    }),
  );
  if (out.failures?.length) throw new Error(`RunTask failed: ${out.failures.map((f) => f.reason).join(', ')}`);
}
