/**
 * API Gateway access-log format shared by both APIs: one JSON object per request, so CloudWatch Logs
 * Insights can filter on fields (`filter status >= 500`) without parsing text.
 */
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';

/** `fields` maps a JSON key to a `$context` variable of the API type (HTTP and WebSocket differ). */
export function jsonAccessLogFormat(fields: Readonly<Record<string, string>>): AccessLogFormat {
  return AccessLogFormat.custom(JSON.stringify(fields));
}
