import { once } from 'node:events';
import { connect } from 'node:net';
import type { SluiceProcess } from './sluice-process.ts';

/** Writes `lines` to a netcat source on one connection; returns its answers once there is one per line. */
export async function sendLines(port: number, lines: readonly string[]): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let answer = '';
  socket.setEncoding('utf8').on('data', (s: string) => {
    answer += s;
    if (answer.split('\n').length > lines.length) socket.end();
  });
  socket.write(lines.map((l) => `${l}\n`).join(''));
  await once(socket, 'close');
  return answer;
}

/** Flume's JSON counters: component (`CHANNEL.c1`) → counter name → value as a string. */
export type Metrics = Record<string, Record<string, string>>;

/**
 * Polls Flume's JSON metrics until `done` holds (connection errors retry while the agent starts);
 * fails if the agent exits first, so a broken channel fails the test instead of hanging it.
 */
export async function metricsWhen(
  agent: SluiceProcess,
  port: number,
  done: (m: Metrics) => boolean,
): Promise<Metrics> {
  let exited = false;
  void agent.exited.then(() => {
    exited = true;
  });
  let last: Metrics = {};
  const giveUp = Date.now() + 30_000;
  for (;;) {
    if (Date.now() > giveUp) throw new Error(`metrics never matched; last ${JSON.stringify(last)}`);
    if (exited) {
      throw new Error(
        `agent exited; last metrics ${JSON.stringify(last)}; stderr:\n${agent.stderr().slice(-2000)}`,
      );
    }
    try {
      last = (await (await fetch(`http://127.0.0.1:${port}/metrics`)).json()) as Metrics;
      if (done(last)) return last;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
