/**
 * Reading a synthesized stack in tests: resources by type, the IAM statements of a role, a function's
 * environment. Pure reference builders (`ref`, `arnOf`) need no template.
 */
import { Template } from 'aws-cdk-lib/assertions';
import type { ProjectFunction } from '../../infra/constructs/project-function.js';
import type { InterviewStack } from '../../infra/stack.js';
import { logicalId } from './harness.js';

export type Json = Record<string, any>;

type Construct = Parameters<typeof logicalId>[0];
export const ref = (construct: Construct) => ({ Ref: logicalId(construct) });
export const arnOf = (construct: Construct) => ({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] });
export const actionsOf = (s: Json): string[] => [s.Action].flat();
export const resourcesOf = (s: Json): unknown[] => [s.Resource].flat();

export class TemplateReader {
  readonly template: Template;
  readonly resources: Record<string, Json>;

  constructor(stack: InterviewStack) {
    this.template = Template.fromStack(stack);
    this.resources = this.template.toJSON().Resources as Record<string, Json>;
  }

  ofType(type: string): [string, Json][] {
    return Object.entries(this.resources).filter(([, r]) => r.Type === type);
  }

  /** Statements of every AWS::IAM::Policy attached to the role with this logical id. */
  statementsOfRole(roleId: string): Json[] {
    return this.ofType('AWS::IAM::Policy')
      .filter(([, p]) => (p.Properties.Roles as Json[]).some((r) => r.Ref === roleId))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
  }

  statementsOf(fn: ProjectFunction): Json[] {
    return this.statementsOfRole(logicalId(fn.role));
  }

  envOf(fn: ProjectFunction): Json {
    return this.resources[logicalId(fn.fn)]!.Properties.Environment.Variables;
  }
}
