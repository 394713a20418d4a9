/**
 * The local stack's console output: what CloudWatch Logs would show for the Lambdas and API Gateway access
 * logs. `quiet` (tests, benches) keeps errors only, so a failing handler is never silent.
 */
export interface Logger {
  info(message: string): void;
  error(message: string, err?: unknown): void;
}

export function createLogger(quiet = false): Logger {
  const stamp = () => new Date().toISOString().slice(11, 23);
  return {
    info: (message) => {
      if (!quiet) console.log(`${stamp()} ${message}`);
    },
    error: (message, err) => {
      console.error(`${stamp()} ERROR ${message}`, ...(err === undefined ? [] : [err]));
    },
  };
}
