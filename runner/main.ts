/** Process entry of a runner: the image's CMD and the local stack's runner processes start this file. */
import { logger } from '../shared/log.js';
import { main } from './worker.js';

main().then(
  () => process.exit(0),
  (err) => {
    logger.error('runner worker crashed', { error: err as Error });
    process.exit(1);
  },
);
