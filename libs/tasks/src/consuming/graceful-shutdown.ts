import { Logger } from '@nestjs/common';

interface Closable {
  close(): Promise<void>;
}

/**
 * SIGTERM or SIGINT (CTRL+C) closes the app once: a worker stops taking tasks,
 * finishes the ones in hand, acks them and exits 0. A second signal exits at
 * once; the broker then redelivers whatever was unacked.
 *
 * Nest's `enableShutdownHooks()` is not enough for a worker: it runs the
 * destroy hooks while the consumer still takes new tasks.
 */
export function closeOnSignals(app: Closable, exit: (code: number) => void = (code) => process.exit(code)): void {
  const logger = new Logger('Shutdown');
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      logger.warn(`${signal} again: exiting now; unfinished tasks will be redelivered`);
      exit(130);
      return;
    }
    closing = true;
    logger.log(`${signal}: finishing the tasks in hand, then exiting (send it again to exit now)`);
    app.close().then(
      () => exit(0),
      (error: Error) => {
        logger.error(`shutdown failed: ${error.message}`);
        exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
