import { type ChildProcess, spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { atLeast, defineConfig, nonEmptyString } from '../../config/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import { ChannelException } from '../api/channel.ts';
import type { ChannelProcessor } from '../api/channel-processor.ts';
import { messageOf } from '../api/channel-processor.ts';
import { CounterGroup, SOURCE_COUNTERS } from '../api/counter-group.ts';
import { type FlumeEvent, flumeEvent } from '../api/event.ts';
import type { EventDrivenSource } from '../api/source.ts';
import { canonicalCharset, encodeJava } from './line-deserializer.ts';

const EXEC_CHARSETS = ['UTF-8', 'ISO-8859-1', 'US-ASCII'];

/** Flume 1.11 ExecSource (`exec`) keys and defaults. */
export const execSourceConfig = defineConfig({
  command: { type: 'string', validator: nonEmptyString(), importance: 'high', doc: 'Command to run.' },
  shell: {
    type: 'string',
    default: null,
    importance: 'medium',
    doc: 'Shell that runs the command (e.g. /bin/sh -c); without it the command is split on blanks.',
  },
  restartThrottle: {
    type: 'long',
    default: 10000,
    validator: atLeast(0),
    importance: 'low',
    doc: 'Milliseconds to wait before restarting the command.',
  },
  restart: {
    type: 'boolean',
    default: false,
    importance: 'medium',
    doc: 'Restart the command when it exits.',
  },
  logStdErr: { type: 'boolean', default: false, importance: 'low', doc: "Log the command's stderr." },
  batchSize: {
    type: 'int',
    default: 20,
    validator: atLeast(1),
    importance: 'medium',
    doc: 'Lines per batch.',
  },
  batchTimeout: {
    type: 'long',
    default: 3000,
    validator: atLeast(1),
    importance: 'low',
    doc: 'Milliseconds before a partial batch is sent.',
  },
  charset: {
    type: 'string',
    default: 'UTF-8',
    validator: {
      expected: `one of ${EXEC_CHARSETS.join(', ')}`,
      test: (v: string) => EXEC_CHARSETS.includes(canonicalCharset(v) ?? ''),
    },
    importance: 'low',
    doc: "Charset of the command's output (and of the event bodies).",
  },
});

export interface ExecSourceOptions {
  readonly command: string;
  readonly shell: string | null;
  readonly restartThrottleMs: number;
  readonly restart: boolean;
  readonly logStdErr: boolean;
  readonly batchSize: number;
  readonly batchTimeoutMs: number;
  readonly charset: string;
}

export function execSourceOptions(s: Readonly<Record<string, unknown>>): ExecSourceOptions {
  return {
    command: s.command as string,
    shell: s.shell as string | null,
    restartThrottleMs: s.restartThrottle as number,
    restart: s.restart as boolean,
    logStdErr: s.logStdErr as boolean,
    batchSize: s.batchSize as number,
    batchTimeoutMs: s.batchTimeout as number,
    charset: canonicalCharset(s.charset as string) ?? 'UTF-8',
  };
}

/** The argv Flume runs: `shell` split on blanks plus the command as one argument, or the command split on blanks. */
export function execArgv(command: string, shell: string | null): string[] {
  const split = (s: string) =>
    s
      .trim()
      .split(/\s+/)
      .filter((x) => x.length > 0);
  return shell !== null && shell.trim() !== '' ? [...split(shell), command] : split(command);
}

/**
 * Flume's exec source: runs `command` and makes one event per line of its standard output (lines
 * end at `\n`, `\r\n` or `\r`, as Java's readLine; the final unterminated line counts too). Events go
 * out in batches of batchSize or after batchTimeout. While the channels refuse a batch, the source
 * stops reading the pipe (the command blocks on its output) and retries every second, so lines are
 * not dropped while the command runs; lines still unsent when the agent stops are lost, as in Flume
 * (exec gives no delivery guarantee). With restart=true the command runs again restartThrottle ms
 * after it exits. Stopping the source kills the command and the processes it started (SIGTERM to
 * its process group).
 */
export class ExecSource implements EventDrivenSource {
  readonly kind = 'event-driven';
  readonly name: string;
  readonly counters: CounterGroup;
  readonly batchSize: number;
  readonly #o: ExecSourceOptions;
  readonly #logger: Logger;
  #child: ChildProcess | undefined;
  #pending: FlumeEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #stopping = false;
  #processor: ChannelProcessor | undefined;
  #childExited: Promise<void> = Promise.resolve();
  #retryWake: (() => void) | undefined;

  constructor(name: string, options: ExecSourceOptions, logger: Logger) {
    this.name = name;
    this.#o = options;
    this.batchSize = options.batchSize;
    this.#logger = logger;
    this.counters = new CounterGroup('SOURCE', name, SOURCE_COUNTERS);
  }

  async start(processor: ChannelProcessor): Promise<void> {
    this.#processor = processor;
    this.#stopping = false;
    this.counters.start();
    this.#spawn();
  }

  #spawn(): void {
    const argv = execArgv(this.#o.command, this.#o.shell);
    const o = this.#o;
    this.#logger.info('exec source running command', { source: this.name, command: argv });
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['ignore', 'pipe', o.logStdErr ? 'pipe' : 'ignore'],
      // Its own process group, so stop can end the whole pipeline a shell started.
      detached: true,
    });
    this.#child = child;
    const encoding = o.charset === 'UTF-8' ? 'utf8' : 'latin1';
    const out = new StringDecoder(encoding);
    let partial = '';
    let lastWasCr = false;
    const onText = (text: string, end: boolean) => {
      let s = partial + text;
      if (lastWasCr && s.startsWith('\n')) s = s.slice(1);
      lastWasCr = false;
      const parts = s.split(/\r\n|\r|\n/);
      partial = parts.pop() ?? '';
      // A trailing `\r` may be the first half of `\r\n`: its line is complete, the `\n` is skipped later.
      if (partial === '' && s.endsWith('\r')) lastWasCr = true;
      if (end && partial !== '') {
        parts.push(partial);
        partial = '';
      }
      for (const line of parts) this.#add(line, child);
    };
    child.stdout!.on('data', (chunk: Buffer) => onText(out.write(chunk), false));
    if (o.logStdErr && child.stderr) {
      const errDecoder = new StringDecoder(encoding);
      let errPartial = '';
      child.stderr.on('data', (chunk: Buffer) => {
        const lines = (errPartial + errDecoder.write(chunk)).split(/\r?\n/);
        errPartial = lines.pop() ?? '';
        for (const l of lines) this.#logger.info('exec source stderr', { source: this.name, line: l });
      });
    }
    const stdoutDone = new Promise<void>((resolve) => child.stdout!.once('close', resolve));
    this.#childExited = new Promise<void>((resolve) => {
      child.once('error', (err) => {
        this.#logger.error('exec source: cannot run command', {
          source: this.name,
          command: argv,
          err: err.message,
        });
      });
      child.once('close', (code, signal) => {
        void stdoutDone.then(() => {
          onText(out.end(), true);
          this.#logger.info('exec source: command exited', {
            source: this.name,
            command: o.command,
            code,
            signal,
          });
          this.#flush(child);
          if (this.#child === child) this.#child = undefined;
          if (o.restart && !this.#stopping) {
            this.#restartTimer = setTimeout(() => {
              this.#restartTimer = undefined;
              if (!this.#stopping) this.#spawn();
            }, o.restartThrottleMs);
          }
          resolve();
        });
      });
    });
  }

  #add(line: string, child: ChildProcess): void {
    this.#pending.push(flumeEvent(encodeJava(line, this.#o.charset)));
    this.counters.add('EventReceivedCount');
    if (this.#pending.length >= this.#o.batchSize) this.#flush(child);
    else if (this.#timer === undefined)
      this.#timer = setTimeout(() => this.#flush(child), this.#o.batchTimeoutMs);
  }

  #flush(child: ChildProcess): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    child.stdout?.pause();
    this.#flushing = this.#flushing
      .then(() => this.#deliver(batch))
      .finally(() => {
        if (!child.stdout?.destroyed) child.stdout?.resume();
      });
  }

  async #deliver(batch: readonly FlumeEvent[]): Promise<void> {
    this.counters.add('AppendBatchReceivedCount');
    for (;;) {
      try {
        await this.#processor!.processEventBatch(batch);
        this.counters.add('EventAcceptedCount', batch.length);
        this.counters.add('AppendBatchAcceptedCount');
        return;
      } catch (err) {
        this.counters.add('ChannelWriteFail');
        const retry = err instanceof ChannelException && !this.#stopping;
        this.#logger.warn(
          retry ? 'exec source: channel refused a batch; retrying' : 'exec source: batch lost',
          {
            source: this.name,
            events: batch.length,
            err: messageOf(err),
          },
        );
        if (!retry) return;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 1000);
          this.#retryWake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.#retryWake = undefined;
      }
    }
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#restartTimer);
    this.#retryWake?.();
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
    }
    await this.#childExited;
    await this.#flushing;
    this.counters.stop();
  }
}
