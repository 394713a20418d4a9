/**
 * Ids shaped like API Gateway's: `connectionId`, `requestId`, `messageId` and `extendedRequestId` are
 * 16-character base64 strings such as `L0SM9cOFvHcCIhw=`. Real ones may contain `+`, `/` and `=`, so
 * code that puts a connection id into a URL must encode it; using the same alphabet here keeps that
 * honest locally.
 */
import { randomBytes } from 'node:crypto';

export const apiGatewayId = (): string => randomBytes(11).toString('base64');
