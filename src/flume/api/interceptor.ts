import type { FlumeEvent } from './event.ts';

/**
 * Inspects or changes events on their way from a source to its channels, in configuration order.
 * Returning null (or leaving an event out of the batch) drops it.
 */
export interface Interceptor {
  intercept(event: FlumeEvent): FlumeEvent | null;
  interceptBatch(events: readonly FlumeEvent[]): FlumeEvent[];
}
