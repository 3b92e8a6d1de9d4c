/**
 * The AdminServer over real HTTP against a `bin/sluice zookeeper` process: the command list, each
 * required command by its primary name and its alias, the `command` / `error` fields, what the
 * watch, session and ephemeral commands report for a live session, and unknown commands.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LoadSession } from '../../../bench/zookeeper/load-client.ts';
import { OpCode } from '../../../src/zookeeper/protocol/index.ts';
import { startSluice } from '../support/sluice-process.ts';

const OPEN_ACL = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

test('AdminServer answers the commands as JSON over HTTP', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-zk-admin-'));
  await writeFile(
    join(dir, 'zoo.cfg'),
    `dataDir=${dir}\nclientPort=0\nclientPortAddress=127.0.0.1\n` +
      'admin.serverPort=0\nadmin.serverAddress=127.0.0.1\n',
  );
  const proc = startSluice(['zookeeper', join(dir, 'zoo.cfg'), '--log-format', 'json']);
  let session: LoadSession | null = null;
  try {
    const adminRec = await proc.waitForLog((r) => r.msg === 'admin server listening');
    const admin = Number(adminRec.adminPort);
    const rec = await proc.waitForLog((r) => r.msg === 'listening');
    const port = Number(rec.port);

    const list = await get(admin, '/commands');
    assert.equal(list.status, 200);
    assert.match(list.type, /text\/html/);
    for (const name of ['ruok', 'server_stats', 'stats', 'monitor', 'configuration', 'connections']) {
      assert.ok(list.body.includes(`/commands/${name}`), name);
    }
    const listJson = await get(admin, '/commands', { accept: 'application/json' });
    const names = (JSON.parse(listJson.body) as { commands: string[] }).commands;
    for (const name of [
      'watch_summary',
      'watches',
      'watches_by_path',
      'dump',
      'environment',
      'is_read_only',
      'dirs',
    ]) {
      assert.ok(names.includes(name), name);
    }

    session = await LoadSession.open('127.0.0.1', port);
    const sid = BigInt.asIntN(64, session.sessionId).toString();
    assert.equal(
      (await session.call(OpCode.create, { path: '/eph', data: null, acl: OPEN_ACL, flags: 1 })).err,
      0,
    );
    assert.equal((await session.call(OpCode.getData, { path: '/eph', watch: true })).err, 0);
    assert.equal((await session.call(OpCode.exists, { path: '/missing', watch: true })).err, -101);

    const run = async (name: string, primary: string) => {
      const r = await get(admin, `/commands/${name}`);
      assert.equal(r.status, 200, `${name}: ${r.body}`);
      assert.match(r.type, /application\/json/);
      const body = JSON.parse(r.body) as Record<string, unknown>;
      assert.equal(body.command, primary, name);
      assert.equal(body.error, null, name);
      return { body, raw: r.body };
    };
    const pairs: [string, string][] = [
      ['ruok', 'ruok'],
      ['srvr', 'server_stats'],
      ['stat', 'stats'],
      ['mntr', 'monitor'],
      ['conf', 'configuration'],
      ['cons', 'connections'],
      ['wchs', 'watch_summary'],
      ['wchc', 'watches'],
      ['wchp', 'watches_by_path'],
      ['dump', 'dump'],
      ['envi', 'environment'],
      ['isro', 'is_read_only'],
      ['dirs', 'dirs'],
    ];
    const out = new Map<string, { body: Record<string, unknown>; raw: string }>();
    for (const [alias, primary] of pairs) {
      const byAlias = await run(alias, primary);
      await run(primary, primary);
      out.set(primary, byAlias);
    }

    const srvr = out.get('server_stats')!.body;
    assert.match(String(srvr.version), /^3\.9\.\d+/);
    assert.equal(srvr.read_only, false);
    assert.equal((srvr.server_stats as Record<string, unknown>).server_state, 'standalone');
    assert.equal(typeof (srvr.server_stats as Record<string, unknown>).packets_received, 'number');
    assert.equal(srvr.node_count, 6); // the 5 of a fresh server plus /eph

    const stats = out.get('stats')!.body;
    assert.ok(Array.isArray(stats.connections) && stats.connections.length >= 1);

    const mntr = out.get('monitor')!.body;
    assert.equal(mntr.znode_count, 6);
    assert.equal(mntr.watch_count, 2);
    assert.equal(mntr.ephemerals_count, 1);
    assert.equal(mntr.server_state, 'standalone');

    const conf = out.get('configuration')!.body;
    assert.equal(conf.client_port, port);
    assert.equal(conf.tick_time, 3000);
    assert.equal(conf.max_client_cnxns, 60);

    const cons = out.get('connections')!;
    const conns = cons.body.connections as Record<string, unknown>[];
    assert.equal(conns.length, 1);
    assert.ok(cons.raw.includes(`"session_id" : ${sid}`), cons.raw);
    assert.ok(Number(conns[0]!.packets_received) >= 4);
    assert.deepEqual(cons.body.secure_connections, []);

    assert.deepEqual(
      { ...out.get('watch_summary')!.body, command: undefined, error: undefined },
      { command: undefined, error: undefined, num_connections: 1, num_paths: 2, num_total_watches: 2 },
    );
    const wchc = out.get('watches')!.raw;
    assert.match(
      wchc,
      new RegExp(`"${sid}" : \\[ "/eph", "/missing" \\]|"${sid}" : \\[ "/missing", "/eph" \\]`),
    );
    const wchp = out.get('watches_by_path')!.raw;
    assert.match(wchp, new RegExp(`"/eph" : \\[ ${sid} \\]`));
    assert.match(wchp, new RegExp(`"/missing" : \\[ ${sid} \\]`));

    const dump = out.get('dump')!;
    assert.match(dump.raw, new RegExp(`"${sid}" : \\[ "/eph" \\]`));
    assert.match(dump.raw, new RegExp(`"expiry_time_to_session_ids" : \\{\\s+"\\d+" : \\[ ${sid} \\]`));

    assert.match(String(out.get('environment')!.body['zookeeper.version']), /^3\.9/);
    assert.equal(out.get('is_read_only')!.body.read_only, false);
    const dirs = out.get('dirs')!.body;
    assert.ok(Number(dirs.logdir_size) > 0);
    assert.equal(typeof dirs.datadir_size, 'number');

    const unknown = await get(admin, '/commands/nope');
    assert.equal(unknown.status, 404);
    assert.deepEqual(JSON.parse(unknown.body), { command: 'nope', error: 'Unknown command: nope' });
    assert.equal((await get(admin, '/elsewhere')).status, 404);
  } finally {
    session?.close();
    await proc.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
