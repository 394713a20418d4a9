/** Process entry of a runner: the image's CMD and the local stack's runner processes start this file. */
import { logger } from '#telemetry/log.js';
import { RunnerStartError, main } from './worker.js';

/** Exit code of a runner whose sandbox cannot start (local/runners.ts says so in plain words). */
const CANNOT_START = 3;

main().then(
  () => process.exit(0),
  (err) => {
    if (err instanceof RunnerStartError) {
      // One plain line for whoever watches the terminal (npm start), besides the JSON log.
      console.error(`runner for ${process.env.LANGUAGE} cannot start: ${err.message}`);
      process.exit(CANNOT_START);
    }
    logger.error('runner worker crashed', { error: err as Error });
    process.exit(1);
  },
);
