/**
 * Imported first by every bench: the handlers run in the bench's process, and their per-request INFO
 * lines would drown the figures. Must run before shared/telemetry/log.ts creates the logger.
 */
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
