/**
 * Monitoring counters with Flume's names (MonitoredCounterGroup): one group per component, typed
 * SOURCE, CHANNEL, SINK... The HTTP monitor prints every group as `"TYPE.name": {counter: "value"}`
 * with all values as strings, which is what Flume's JSON reporter does.
 */

export type CounterGroupType =
  | 'SOURCE'
  | 'CHANNEL_PROCESSOR'
  | 'CHANNEL'
  | 'SINK_PROCESSOR'
  | 'SINK'
  | 'INTERCEPTOR'
  | 'SERIALIZER'
  | 'OTHER';

export const SOURCE_COUNTERS = [
  'EventReceivedCount',
  'EventAcceptedCount',
  'AppendReceivedCount',
  'AppendAcceptedCount',
  'AppendBatchReceivedCount',
  'AppendBatchAcceptedCount',
  'OpenConnectionCount',
  'EventReadFail',
  'ChannelWriteFail',
  'GenericProcessingFail',
] as const;

export const CHANNEL_COUNTERS = [
  'ChannelSize',
  'ChannelCapacity',
  'EventPutAttemptCount',
  'EventPutSuccessCount',
  'EventTakeAttemptCount',
  'EventTakeSuccessCount',
] as const;

export const SINK_COUNTERS = [
  'ConnectionCreatedCount',
  'ConnectionClosedCount',
  'ConnectionFailedCount',
  'BatchEmptyCount',
  'BatchUnderflowCount',
  'BatchCompleteCount',
  'EventDrainAttemptCount',
  'EventDrainSuccessCount',
  'EventWriteFail',
  'ChannelReadFail',
] as const;

export class CounterGroup<N extends string = string> {
  readonly type: CounterGroupType;
  readonly name: string;
  readonly #counters = new Map<string, number>();
  /** Values computed when read (ChannelFillPercentage), printed after the counters. */
  readonly #gauges = new Map<string, () => number | string>();
  #startTime = 0;
  #stopTime = 0;

  constructor(type: CounterGroupType, name: string, counters: readonly N[]) {
    this.type = type;
    this.name = name;
    for (const c of counters) this.#counters.set(c, 0);
  }

  /** Records the start time, clearing a previous stop time (Flume's `start()`). */
  start(now = Date.now()): void {
    this.#startTime = now;
    this.#stopTime = 0;
  }

  stop(now = Date.now()): void {
    this.#stopTime = now;
  }

  get(name: N): number {
    return this.#counters.get(name) ?? 0;
  }

  set(name: N, value: number): void {
    this.#counters.set(name, value);
  }

  add(name: N, delta = 1): number {
    const v = (this.#counters.get(name) ?? 0) + delta;
    this.#counters.set(name, v);
    return v;
  }

  gauge(name: string, read: () => number | string): void {
    this.#gauges.set(name, read);
  }

  /** `TYPE.name`, the key Flume's JSON reporter uses. */
  get key(): string {
    return `${this.type}.${this.name}`;
  }

  /** Every value as a string, as Flume prints them. */
  snapshot(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of this.#counters) out[k] = String(v);
    for (const [k, read] of this.#gauges) {
      const v = read();
      out[k] = typeof v === 'number' ? javaDouble(v) : v;
    }
    out.Type = this.type;
    out.StartTime = String(this.#startTime);
    out.StopTime = String(this.#stopTime);
    return out;
  }
}

/** Java's Double.toString for the values a fill percentage takes (`0.0`, `12.5`). */
export function javaDouble(v: number): string {
  return Number.isInteger(v) ? `${v}.0` : String(v);
}
