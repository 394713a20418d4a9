/**
 * The errors the local SQS returns, and how each goes over the wire so the real SDK throws the same typed
 * exception it throws against AWS.
 *
 * SQS speaks AWS JSON 1.0 in "awsQueryCompatible" mode: the SDK (@aws-sdk/core AwsJsonRpcProtocol) reads
 * the code from the `x-amzn-query-error: <code>;Sender` header first, then finds the exception class whose
 * model trait `awsQueryError` equals that code (e.g. AWS.SimpleQueueService.NonExistentQueue ->
 * QueueDoesNotExist). Codes with no modelled class (InvalidParameterValue, MissingParameter) come out as an
 * SQSServiceException whose `name` is the code. The pairs below are copied from the SDK model
 * (@aws-sdk/client-sqs dist, `[_aQE]` traits).
 */
const WIRE = {
  QueueDoesNotExist: ['AWS.SimpleQueueService.NonExistentQueue', 400],
  QueueNameExists: ['QueueAlreadyExists', 400],
  InvalidAddress: ['InvalidAddress', 404],
  ReceiptHandleIsInvalid: ['ReceiptHandleIsInvalid', 404],
  MessageNotInflight: ['AWS.SimpleQueueService.MessageNotInflight', 400],
  EmptyBatchRequest: ['AWS.SimpleQueueService.EmptyBatchRequest', 400],
  TooManyEntriesInBatchRequest: ['AWS.SimpleQueueService.TooManyEntriesInBatchRequest', 400],
  BatchEntryIdsNotDistinct: ['AWS.SimpleQueueService.BatchEntryIdsNotDistinct', 400],
  InvalidBatchEntryId: ['AWS.SimpleQueueService.InvalidBatchEntryId', 400],
  BatchRequestTooLong: ['AWS.SimpleQueueService.BatchRequestTooLong', 400],
  UnsupportedOperation: ['AWS.SimpleQueueService.UnsupportedOperation', 400],
  InvalidAttributeName: ['InvalidAttributeName', 400],
  InvalidAttributeValue: ['InvalidAttributeValue', 400],
  InvalidMessageContents: ['InvalidMessageContents', 400],
  InvalidParameterValue: ['InvalidParameterValue', 400],
  MissingParameter: ['MissingParameter', 400],
  SerializationException: ['SerializationException', 400],
  UnknownOperationException: ['UnknownOperationException', 400],
} as const satisfies Record<string, readonly [string, number]>;

export type SqsErrorCode = keyof typeof WIRE;

export class SqsError extends Error {
  constructor(
    readonly code: SqsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export function wireError(err: SqsError): { status: number; headers: Record<string, string>; body: object } {
  const [queryCode, status] = WIRE[err.code];
  return {
    status,
    headers: { 'x-amzn-query-error': `${queryCode};Sender` },
    body: { __type: `com.amazonaws.sqs#${err.code}`, message: err.message },
  };
}

export function invalidParameter(name: string, value: unknown, reason: string): SqsError {
  return new SqsError('InvalidParameterValue', `Value ${String(value)} for parameter ${name} is invalid. Reason: ${reason}`);
}
