/**
 * X-Ray traces with Powertools Tracer, only in functions deployed with `-c tracing=true` (docs/metrics.md).
 *
 * Off, the tracer is not even in the bundle: infra/bundling.ts `lambdaDefine()` replaces
 * `process.env.POWERTOOLS_TRACE_ENABLED` below with the literal `"false"`, esbuild drops the dead
 * branch and with it the import of Powertools Tracer and aws-xray-sdk-core (127 KB, cls-hooked, semver),
 * which every function would otherwise load at each cold start for nothing. With `-c tracing=true` the
 * stack builds the functions with `"true"` and sets the same variable in their environment, which the
 * Tracer reads too. Unbundled (the local stack, the tests, the runners) the variable is read at run time:
 * unset, nothing is loaded; set outside Lambda, the Tracer turns itself off (it needs Lambda's segment).
 *
 * What is recorded: one `## handler` subsegment per invocation (cold start and service annotations, the
 * error if it fails) and one subsegment per AWS SDK call (DynamoDB, API Gateway management, SQS, ECS).
 * Never the handler's response: it carries session tokens.
 */
import type { Tracer } from '@aws-lambda-powertools/tracer';

/** Replaced at bundle time (see above); a plain environment read when unbundled. */
const TRACING = process.env.POWERTOOLS_TRACE_ENABLED === 'true';

export const tracer: Tracer | undefined = TRACING
  ? new (await import('@aws-lambda-powertools/tracer')).Tracer({
      serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'interview-backend',
      // Every outbound call is an AWS SDK call, captured per client below: patching http/https as well
      // would record each of them twice.
      captureHTTPsRequests: false,
    })
  : undefined;

/** An AWS SDK v3 client whose calls become X-Ray subsegments when tracing is on; the client itself otherwise. */
export function traceClient<T>(client: T): T {
  return tracer ? tracer.captureAWSv3Client(client) : client;
}

/**
 * A Lambda handler run inside a `## <handler>` subsegment of the invocation's segment (Powertools'
 * manual instrumentation). Without tracing it returns the handler itself: no wrapper on the hot path.
 */
export function traceHandler<A extends unknown[], R>(handler: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  const t = tracer;
  if (!t) return handler;
  return async (...args: A): Promise<R> => {
    if (!t.isTracingEnabled()) return handler(...args);
    const segment = t.getSegment();
    if (!segment) return handler(...args);
    const subsegment = segment.addNewSubsegment(`## ${process.env._HANDLER ?? 'handler'}`);
    t.setSegment(subsegment);
    t.annotateColdStart();
    t.addServiceNameAnnotation();
    try {
      return await handler(...args);
    } catch (err) {
      t.addErrorAsMetadata(err as Error);
      throw err;
    } finally {
      subsegment.close();
      t.setSegment(segment);
    }
  };
}
