import type { Logger } from '../telemetry/index.ts';

/** What a long-running command starts and stops. */
export interface Service {
  /** Starts everything; `fatal` may be called later to stop the service as if signalled. */
  start(fatal: () => void): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs `service` until SIGINT or SIGTERM (or a fatal error it reports), then stops it gracefully.
 * The handlers are installed before the service starts, so a signal at any moment stops it
 * cleanly; a second signal during the stop exits at once. Resolves with what ended the run.
 */
export async function runUntilSignal(service: Service, logger: Logger): Promise<NodeJS.Signals | 'fatal'> {
  let ended: (reason: NodeJS.Signals | 'fatal') => void = () => {};
  const end = new Promise<NodeJS.Signals | 'fatal'>((resolve) => {
    ended = resolve;
  });
  let count = 0;
  const onSignal = (s: NodeJS.Signals) => {
    count++;
    if (count > 1) {
      logger.warn('second signal: exiting without waiting', { signal: s });
      process.exit(130);
    }
    ended(s);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await service.start(() => ended('fatal'));
    const reason = await end;
    logger.info('stopping', { reason });
    return reason;
  } finally {
    await service.stop();
  }
}
