/**
 * Context options that must fail at synth, not minutes into a deploy, and those that change the
 * template: -c runnerCpu / runnerMemoryMiB (Fargate's size table), -c alarmEmail, -c containerInsights.
 * Bundling is skipped: only the runner cluster and the alarm topic are looked at.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { afterEach, describe, expect, it } from 'vitest';
import { checkFargateSize } from '../../infra/fargate.js';
import { buildApp, type Built } from './harness.js';

let built: Built | undefined;
afterEach(() => {
  built?.cleanup();
  built = undefined;
});

const build = (context: Record<string, unknown>) => {
  built = buildApp({ stage: 'dev', bundle: false, context });
  return Template.fromStack(built.stack);
};

describe('runner size (-c runnerCpu / -c runnerMemoryMiB)', () => {
  it('accepts every size Fargate offers and the default', () => {
    for (const [cpu, memory] of [[256, 512], [256, 2048], [512, 4096], [1024, 2048], [1024, 8192], [2048, 16384], [4096, 30720], [8192, 61440], [16384, 122880]] as const) {
      expect(() => checkFargateSize(cpu, memory), `${cpu}/${memory}`).not.toThrow();
    }
  });

  it('fails the synth with the valid values when the CPU is not a Fargate size', () => {
    expect(() => build({ runnerCpu: '1000' })).toThrow(/-c runnerCpu=1000: Fargate offers 256, 512, 1024, 2048, 4096, 8192, 16384 CPU units/);
  });

  it('fails the synth when the memory does not fit the CPU (too little, too much, off-step)', () => {
    expect(() => build({ runnerCpu: '2048', runnerMemoryMiB: '2048' })).toThrow(/-c runnerMemoryMiB=2048: with runnerCpu=2048, Fargate allows 4096-16384 in steps of 1024 MiB/);
    expect(() => build({ runnerMemoryMiB: '16384' })).toThrow(/runnerMemoryMiB=16384: with runnerCpu=1024/);
    expect(() => build({ runnerCpu: '8192', runnerMemoryMiB: '20000' })).toThrow(/steps of 4096/);
    expect(() => build({ runnerCpu: '256', runnerMemoryMiB: '1536' })).toThrow(/allows 512, 1024, 2048 MiB/);
  });

  it('sizes every runner task definition as asked when the pair is valid', () => {
    const template = build({ runnerCpu: '2048', runnerMemoryMiB: '4096' });
    const defs = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
    expect(defs.length).toBeGreaterThan(0);
    for (const d of defs) expect([d.Properties.Cpu, d.Properties.Memory]).toEqual(['2048', '4096']);
  });
});

describe('alarm e-mail (-c alarmEmail)', () => {
  it('subscribes the address to the alarm topic', () => {
    const template = build({ alarmEmail: 'oncall@example.com' });
    template.resourceCountIs('AWS::SNS::Subscription', 1);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
  });

  it('refuses something that is not an address', () => {
    expect(() => build({ alarmEmail: 'oncall' })).toThrow(/-c alarmEmail=oncall: expected an e-mail address/);
  });
});

describe('Container Insights (-c containerInsights)', () => {
  it('is turned on by -c containerInsights=true and refuses other values', () => {
    build({ containerInsights: 'true' }).hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] });
    expect(() => build({ containerInsights: 'yes' })).toThrow(/expected true or false/);
  });
});
