import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../config/index.ts';
import { parseFlumeConfigText } from './flume-config.ts';

/**
 * Every agent of every file in the Flume configuration corpus (Flume's own test files and the
 * user guide's examples, test/fixtures/flume) parsed in strict mode, with the variables the
 * examples expect defined. The outcome of each is compared with the table in
 * flume-corpus.expected.txt: `ok` (sources/channels/sinks), `unimplemented` (uses a Flume type
 * Sluice does not have yet), or `error <key>` (the first key the error names: fragments of the
 * user guide without a channel type, Flume's deliberately broken test agents...). Implementing a
 * component changes rows from `unimplemented` to `ok`, on purpose: update the table with
 * `SLUICE_UPDATE_CORPUS=1`.
 */

const ROOT = fileURLToPath(new URL('../../../test/fixtures/flume/', import.meta.url));
const EXPECTED = fileURLToPath(new URL('./flume-corpus.expected.txt', import.meta.url));

function corpusFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? corpusFiles(join(dir, e.name))
        : /\.(properties|conf|template)$/.test(e.name)
          ? [join(dir, e.name)]
          : [],
    )
    .sort();
}

function outcome(text: string, agent: string, source: string): string {
  try {
    const c = parseFlumeConfigText(text, {
      agentName: agent,
      source,
      env: { NC_PORT: '44444', BIND: '127.0.0.1' },
      systemProperties: {
        NC_PORT: '44444',
        env: 'DEV',
        DEV_BIND: '127.0.0.1',
        propertiesImplementation: 'org.apache.flume.node.EnvVarResolverProperties',
      },
    });
    return `ok ${c.sources.length}/${c.channels.length}/${c.sinks.length}`;
  } catch (err) {
    assert.ok(err instanceof ConfigError, `${source} [${agent}]: ${String(err)}`);
    const message = err.message;
    assert.ok(message.includes(source), `the error names the file: ${message}`);
    if (/not implemented yet/.test(message)) return 'unimplemented';
    const key = /'([^']+)'/.exec(message)?.[1] ?? '?';
    return `error ${key}`;
  }
}

describe('the Flume configuration corpus', () => {
  it('parses every agent as the expected table says', () => {
    const rows: string[] = [];
    for (const file of corpusFiles(ROOT)) {
      const text = readFileSync(file, 'utf8');
      const source = relative(ROOT, file);
      const agents = new Set<string>();
      for (const m of text.matchAll(/^\s*([^#!\s.=:]+)\.(sources|channels|sinks)\s*[=:]/gm))
        agents.add(m[1]!);
      for (const agent of [...agents].sort())
        rows.push(`${source} [${agent}] ${outcome(text, agent, source)}`);
    }
    const actual = `${rows.join('\n')}\n`;
    if (process.env.SLUICE_UPDATE_CORPUS === '1') {
      writeFileSync(EXPECTED, actual);
    }
    assert.equal(actual, readFileSync(EXPECTED, 'utf8'));
    // The runnable examples among them really are accepted.
    for (const must of [
      'repo/conf/flume-conf.properties.template [agent] ok 1/1/1',
      'repo/flume-ng-node/src/test/resources/flume-conf.properties [host1] ok 1/1/1',
      'userguide-1.11.0-examples/001-a-simple-example.properties [a1] ok 1/1/1',
    ]) {
      assert.ok(rows.includes(must), must);
    }
  });

  it("Flume's deliberately broken test agents stay refused under --lenient: nothing runnable is left", () => {
    const source = 'repo/flume-ng-node/src/test/resources/flume-conf.properties';
    const text = readFileSync(join(ROOT, source), 'utf8');
    for (const agent of ['host2', 'host3', 'host4', 'host5']) {
      assert.throws(
        () => parseFlumeConfigText(text, { agentName: agent, source, lenient: true }),
        (err: unknown) => err instanceof ConfigError && err.message.includes(`${agent}.`),
        agent,
      );
    }
    assert.equal(parseFlumeConfigText(text, { agentName: 'host1', source, lenient: true }).sinks.length, 1);
  });
});
