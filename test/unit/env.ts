/**
 * Environment for the unit tests. Imported first by fixtures.ts so it runs before any product module
 * reads it (the logger reads its level, config() the table name, when they are first evaluated).
 */
process.env.TABLE_NAME = 'interview-unit';
process.env.AWS_REGION = 'eu-west-1';
process.env.WS_URL = 'wss://ws.example.test/prod';
process.env.WS_MANAGEMENT_ENDPOINT = 'https://mgmt.example.test/prod';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
delete process.env.DYNAMODB_ENDPOINT;

export const TABLE = 'interview-unit';
