import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageSettings } from '../../infra/stage.js';
import { buildApp, type Built } from './harness.js';

// Only stage-dependent properties are checked here, so esbuild bundling is skipped.
describe('prod stage', () => {
  let built: Built;
  let template: Template;
  beforeAll(() => {
    built = buildApp({ stage: 'prod', bundle: false });
    template = Template.fromStack(built.stack);
  });
  afterAll(() => built?.cleanup());

  it('names the stack and the WebSocket stage after the stage', () => {
    expect(built.stack.stackName).toBe('Interview-prod');
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { StageName: 'prod' });
  });

  it('retains and deletion-protects the table', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: { DeletionProtectionEnabled: true },
    });
  });

  it('retains every log group', () => {
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    expect(groups.length).toBeGreaterThan(0);
    for (const g of groups) expect(g.DeletionPolicy).toBe('Retain');
  });
});

describe('stage settings', () => {
  it('destroys everything of a non-prod stage', () => {
    expect(stageSettings('dev').removalPolicy).toBe('destroy');
    expect(stageSettings('pr-42').deletionProtection).toBe(false);
  });

  it('rejects names that cannot be part of a stack name and URL path', () => {
    expect(() => stageSettings('Prod')).toThrow(/invalid stage name/);
    expect(() => stageSettings('a/b')).toThrow(/invalid stage name/);
  });
});
