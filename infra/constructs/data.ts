/**
 * The product's single DynamoDB table, built from shared/aws/table.ts (the local stack builds DynamoDB Local's
 * table from the same object), so key names, TTL attribute and indexes are stated exactly once.
 */
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLE_DEFINITION } from '#aws/table.js';
import type { StageSettings } from '../stage.js';

const ATTRIBUTE_TYPES = { S: AttributeType.STRING, N: AttributeType.NUMBER, B: AttributeType.BINARY } as const;
const PROJECTIONS = { ALL: ProjectionType.ALL, KEYS_ONLY: ProjectionType.KEYS_ONLY, INCLUDE: ProjectionType.INCLUDE } as const;
const BILLING_MODES = { PAY_PER_REQUEST: BillingMode.PAY_PER_REQUEST, PROVISIONED: BillingMode.PROVISIONED } as const;

export interface DataProps {
  readonly stage: StageSettings;
}

export class Data extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string, props: DataProps) {
    super(scope, id);
    const def = TABLE_DEFINITION;
    this.table = new Table(this, 'Table', {
      // No physical name: CloudFormation derives one, so several stages can share an account.
      partitionKey: { name: def.partitionKey.name, type: ATTRIBUTE_TYPES[def.partitionKey.type] },
      sortKey: { name: def.sortKey.name, type: ATTRIBUTE_TYPES[def.sortKey.type] },
      // On demand: no capacity to pay for while no interview is running.
      billingMode: BILLING_MODES[def.billingMode],
      // Every item carries `ttl` (epoch seconds); expiry is lazy, so reads filter it too (shared/aws/table.ts).
      timeToLiveAttribute: def.timeToLiveAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: props.stage.deletionProtection,
      removalPolicy: props.stage.removalPolicy,
    });
    // `watch` (sparse): the watchdog's view of executions that are not final yet (shared/aws/table.ts).
    for (const index of def.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey.name, type: ATTRIBUTE_TYPES[index.partitionKey.type] },
        sortKey: { name: index.sortKey.name, type: ATTRIBUTE_TYPES[index.sortKey.type] },
        projectionType: PROJECTIONS[index.projection],
        nonKeyAttributes: [...index.nonKeyAttributes],
      });
    }
  }
}
