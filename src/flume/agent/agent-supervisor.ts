import { readFile, stat } from 'node:fs/promises';
import { ConfigError } from '../../config/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import { messageOf } from '../api/channel-processor.ts';
import { type AgentConfig, type FlumeConfigOptions, parseFlumeConfigText } from '../config/flume-config.ts';
import { Agent, type AgentOptions } from './agent.ts';

export interface AgentSupervisorOptions extends AgentOptions {
  readonly file: string;
  readonly agentName: string;
  readonly lenient?: boolean;
  readonly env?: FlumeConfigOptions['env'];
  readonly systemProperties?: FlumeConfigOptions['systemProperties'];
  /** How often the file's modification time is checked; 0 turns reloading off. Flume: 30 s. */
  readonly pollIntervalMs?: number;
}

/** Reads and validates the agent's configuration file; throws ConfigError. */
export async function loadAgentConfig(
  options: Pick<AgentSupervisorOptions, 'file' | 'agentName' | 'lenient' | 'env' | 'systemProperties'>,
): Promise<AgentConfig> {
  let text: string;
  try {
    text = await readFile(options.file, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? String(cause);
    throw new ConfigError(
      [{ source: options.file, key: '', expected: `a readable Flume properties file (${reason})` }],
      {
        cause,
      },
    );
  }
  return parseFlumeConfigText(text, {
    agentName: options.agentName,
    source: options.file,
    ...(options.lenient === undefined ? {} : { lenient: options.lenient }),
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.systemProperties === undefined ? {} : { systemProperties: options.systemProperties }),
  });
}

/**
 * Runs the agent a configuration file describes and reloads it when the file changes, as Flume's
 * PollingPropertiesFileConfigurationProvider does: the file's modification time is polled (every
 * 30 s by default) and a change rebuilds the agent. The whole topology is restarted (stop the old
 * agent, start the new one), which is simpler than Flume's per-component diff and still only
 * loses what a memory channel held, as a Flume reload does. Unlike Flume, a file that no longer
 * validates is reported and the running agent is kept unchanged.
 */
export class AgentSupervisor {
  readonly #options: AgentSupervisorOptions;
  readonly #logger: Logger;
  #agent: Agent | undefined;
  #mtimeMs = 0;
  #timer: NodeJS.Timeout | undefined;
  #reloading: Promise<void> = Promise.resolve();
  #stopped = false;
  #reloads = 0;

  constructor(options: AgentSupervisorOptions) {
    this.#options = options;
    this.#logger = options.logger;
  }

  /** The running agent (replaced on reload). */
  get agent(): Agent | undefined {
    return this.#agent;
  }

  /** Successful reloads so far. */
  get reloads(): number {
    return this.#reloads;
  }

  /** Loads, validates and starts the agent; throws ConfigError on a bad file. */
  async start(): Promise<void> {
    this.#mtimeMs = await this.#mtime();
    const config = await loadAgentConfig(this.#options);
    this.#logWarnings(config);
    const agent = new Agent(config, this.#options);
    await agent.start();
    this.#agent = agent;
    const every = this.#options.pollIntervalMs ?? 30_000;
    if (every > 0) {
      this.#timer = setInterval(() => {
        this.#reloading = this.#reloading.then(() => this.#check());
      }, every);
      this.#timer.unref();
    }
  }

  /** Checks the file now and reloads if it changed (what the poll timer does). */
  async checkNow(): Promise<void> {
    this.#reloading = this.#reloading.then(() => this.#check());
    await this.#reloading;
  }

  async #check(): Promise<void> {
    if (this.#stopped) return;
    let mtime: number;
    try {
      mtime = await this.#mtime();
    } catch (err) {
      this.#logger.warn('cannot read the configuration file; keeping the running agent', {
        file: this.#options.file,
        err: messageOf(err),
      });
      return;
    }
    if (mtime === this.#mtimeMs) return;
    this.#mtimeMs = mtime;
    let config: AgentConfig;
    try {
      config = await loadAgentConfig(this.#options);
    } catch (err) {
      this.#logger.error('configuration changed but is not valid; keeping the running agent', {
        file: this.#options.file,
        err: messageOf(err),
      });
      return;
    }
    if (this.#stopped) return;
    this.#logger.info('configuration changed; restarting the agent', { file: this.#options.file });
    this.#logWarnings(config);
    await this.#agent?.stop();
    const agent = new Agent(config, this.#options);
    try {
      await agent.start();
      this.#agent = agent;
      this.#reloads++;
    } catch (err) {
      this.#agent = undefined;
      this.#logger.error('the reloaded agent failed to start', { err: messageOf(err) });
    }
  }

  async #mtime(): Promise<number> {
    try {
      return (await stat(this.#options.file)).mtimeMs;
    } catch {
      return 0;
    }
  }

  #logWarnings(config: AgentConfig): void {
    for (const w of config.warnings) {
      this.#logger.warn(w.message, {
        source: w.line === undefined ? w.source : `${w.source}:${w.line}`,
        key: w.key,
      });
    }
  }

  /** `{"TYPE.name": {...}}` for the HTTP monitor. */
  metricsSnapshot(): Record<string, Record<string, string>> {
    const out: Record<string, Record<string, string>> = {};
    for (const g of this.#agent?.counterGroups() ?? []) out[g.key] = g.snapshot();
    return out;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#reloading;
    await this.#agent?.stop();
  }
}
