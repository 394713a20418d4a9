/**
 * The JVM options DynamoDB Local runs with (local/dynamodb.ts): the client compiler and the serial
 * collector, which cut its CPU per transaction on small machines. Read from the real process.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { DYNAMODB_LOCAL_JVM_OPTIONS } from '../../local/dynamodb.js';

describe('DynamoDB Local JVM', () => {
  it('runs with the options of local/dynamodb.ts, and the options do not leak into our own environment', () => {
    const port = new URL(inject('ddbEndpoint')).port;
    const pids = execFileSync('pgrep', ['-f', `DynamoDBLocal.jar .*-port ${port}( |$)`], { encoding: 'utf8' }).trim().split('\n');
    expect(pids).toHaveLength(1);
    const environ = readFileSync(`/proc/${pids[0]}/environ`, 'utf8').split('\0');
    const options = environ.find((v) => v.startsWith('JDK_JAVA_OPTIONS='));
    const users = process.env.JDK_JAVA_OPTIONS; // a value of the user's own comes after ours (so it wins)
    expect(options).toBe(`JDK_JAVA_OPTIONS=${`${DYNAMODB_LOCAL_JVM_OPTIONS} ${users ?? ''}`.trim()}`);
    expect(DYNAMODB_LOCAL_JVM_OPTIONS).toContain('-XX:TieredStopAtLevel=1');
    expect(users ?? '').not.toContain(DYNAMODB_LOCAL_JVM_OPTIONS);
  });
});
