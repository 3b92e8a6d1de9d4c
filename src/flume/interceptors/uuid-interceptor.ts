import { randomUUID } from 'node:crypto';
import { defineConfig } from '../../config/index.ts';
import type { FlumeEvent } from '../api/event.ts';
import type { Interceptor } from '../api/interceptor.ts';

/** Flume 1.11 UUIDInterceptor (`org.apache.flume.sink.solr.morphline.UUIDInterceptor$Builder`). */
export const uuidInterceptorConfig = defineConfig({
  headerName: { type: 'string', default: 'id', importance: 'medium', doc: 'Header that receives the id.' },
  preserveExisting: {
    type: 'boolean',
    default: true,
    importance: 'medium',
    doc: 'Keep an id header that is already set.',
  },
  prefix: { type: 'string', default: '', importance: 'low', doc: 'Text put before each UUID.' },
});

/**
 * Sets a random (version 4) UUID header on each event, so a downstream consumer can drop the
 * duplicates Flume's at-least-once delivery produces.
 */
export class UuidInterceptor implements Interceptor {
  readonly #header: string;
  readonly #preserve: boolean;
  readonly #prefix: string;
  readonly #uuid: () => string;

  constructor(
    options: { headerName?: string; preserveExisting?: boolean; prefix?: string },
    uuid: () => string = randomUUID,
  ) {
    this.#header = options.headerName ?? 'id';
    this.#preserve = options.preserveExisting ?? true;
    this.#prefix = options.prefix ?? '';
    this.#uuid = uuid;
  }

  intercept(event: FlumeEvent): FlumeEvent {
    if (this.#preserve && Object.hasOwn(event.headers, this.#header)) return event;
    event.headers[this.#header] = this.#prefix + this.#uuid();
    return event;
  }

  interceptBatch(events: readonly FlumeEvent[]): FlumeEvent[] {
    return events.map((e) => this.intercept(e));
  }
}
