/**
 * The environment DynamoDB Local runs with (local/dynamodb.ts): the client compiler and the serial
 * collector, which cut its CPU per transaction on small machines, and its telemetry to AWS off (the
 * local stack is offline). Read from the real process.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { DYNAMODB_LOCAL_JVM_OPTIONS } from '../../local/dynamodb.js';

function jvmEnvironment(): string[] {
  const port = new URL(inject('ddbEndpoint')).port;
  const pids = execFileSync('pgrep', ['-f', `DynamoDBLocal.jar .*-port ${port}( |$)`], { encoding: 'utf8' }).trim().split('\n');
  expect(pids).toHaveLength(1);
  return readFileSync(`/proc/${pids[0]}/environ`, 'utf8').split('\0');
}

describe('DynamoDB Local JVM', () => {
  it('runs with the options of local/dynamodb.ts, and the options do not leak into our own environment', () => {
    const environ = jvmEnvironment();
    const options = environ.find((v) => v.startsWith('JDK_JAVA_OPTIONS='));
    const users = process.env.JDK_JAVA_OPTIONS; // a value of the user's own comes after ours (so it wins)
    expect(options).toBe(`JDK_JAVA_OPTIONS=${`${DYNAMODB_LOCAL_JVM_OPTIONS} ${users ?? ''}`.trim()}`);
    expect(DYNAMODB_LOCAL_JVM_OPTIONS).toContain('-XX:TieredStopAtLevel=1');
    expect(users ?? '').not.toContain(DYNAMODB_LOCAL_JVM_OPTIONS);
  });

  it('sends no telemetry: DDB_LOCAL_TELEMETRY=0, the switch DynamoDB Local 2.x reads, unless the user set one', () => {
    const telemetry = jvmEnvironment().filter((v) => v.startsWith('DDB_LOCAL_TELEMETRY='));
    expect(telemetry).toEqual([`DDB_LOCAL_TELEMETRY=${process.env.DDB_LOCAL_TELEMETRY ?? '0'}`]);
  });
});
