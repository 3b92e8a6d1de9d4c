import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the launcher every integration test runs. */
export const SLUICE_BIN = fileURLToPath(new URL('../../../bin/sluice', import.meta.url));

export interface SluiceProcess {
  readonly child: ChildProcess;
  /** Everything written to stderr so far. */
  stderr(): string;
  stdout(): string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** Resolves with the first JSON log record matching `predicate`; rejects if the process exits first. */
  waitForLog(predicate: (record: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** Resolves once `condition` holds (checked whenever output arrives); rejects if the process exits first. */
  waitForOutput(condition: () => boolean): Promise<void>;
  /** Sends SIGTERM and waits for the exit. */
  stop(): Promise<number | string>;
}

/** Starts `bin/sluice <args>` with JSON logs on stderr. */
export function startSluice(args: readonly string[]): SluiceProcess {
  const child = spawn(SLUICE_BIN, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    err += s;
    wake();
  });
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    out += s;
    wake();
  });
  const exited = once(child, 'exit').then(([code, signal]) => {
    wake();
    return (code as number | null) ?? (signal as string);
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });

  async function waitForOutput(condition: () => boolean): Promise<void> {
    for (;;) {
      if (condition()) return;
      if (done) throw new Error(`sluice exited before the expected output; stderr:\n${err}`);
      await new Promise<void>((resolve) => {
        const w = () => {
          waiters.delete(w);
          resolve();
        };
        waiters.add(w);
      });
    }
  }

  function records(): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const line of err.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // a line still being written
      }
    }
    return out;
  }

  return {
    child,
    stderr: () => err,
    stdout: () => out,
    exited,
    async waitForLog(predicate) {
      let found: Record<string, unknown> | undefined;
      await waitForOutput(() => {
        found = records().find(predicate);
        return found !== undefined;
      });
      return found!;
    },
    waitForOutput,
    async stop() {
      if (!done) child.kill('SIGTERM');
      return exited;
    },
  };
}

/**
 * Starts a broker on a free loopback port and waits until it listens. Unless the arguments set
 * `log.dirs`, the broker gets a fresh temporary data directory, so runs never share state.
 */
export async function startBroker(
  extraArgs: readonly string[] = [],
): Promise<{ proc: SluiceProcess; port: number }> {
  const setsLogDirs = extraArgs.some((a) => a.startsWith('log.dirs=') || a.startsWith('log.dir='));
  const logDirs = setsLogDirs
    ? []
    : ['--override', `log.dirs=${mkdtempSync(join(tmpdir(), 'sluice-broker-'))}`];
  const proc = startSluice([
    'broker',
    '--log-format',
    'json',
    '--override',
    'listeners=PLAINTEXT://127.0.0.1:0',
    ...logDirs,
    ...extraArgs,
  ]);
  const rec = await proc.waitForLog((r) => r.msg === 'listening');
  const address = String(rec.address);
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  return { proc, port };
}
