// node-zookeeper-client (pure JavaScript, npm) against a `sluice zookeeper` process. It sends the
// 44-byte ConnectRequest without the read-only byte and only the opcodes of ZooKeeper 3.4.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import zookeeper from 'node-zookeeper-client';
import { startSluiceZooKeeper, type TestZooKeeper } from '../support/zookeeper-servers.ts';

type Client = ReturnType<typeof zookeeper.createClient>;

function connected(connectString: string): Promise<Client> {
  const client = zookeeper.createClient(connectString, { sessionTimeout: 6000, retries: 0 });
  return new Promise((resolve) => {
    client.once('connected', () => resolve(client));
    client.connect();
  });
}

/** Calls a node-style callback API and returns its results after the error argument. */
function call<T extends unknown[]>(fn: (cb: (err: unknown, ...rest: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    fn((err, ...rest) => (err ? reject(err) : resolve(rest)));
  });
}

describe('node-zookeeper-client against sluice zookeeper', () => {
  let server: TestZooKeeper;

  before(async () => {
    server = await startSluiceZooKeeper();
  });
  after(async () => {
    await server?.destroy();
  });

  test('create, get, set, children with a watch, transaction, ephemeral removed on close', async () => {
    const client = await connected(server.connectString);
    const [created] = await call<[string]>((cb) =>
      client.create('/nzc', Buffer.from('v1'), zookeeper.CreateMode.PERSISTENT, cb),
    );
    assert.equal(created, '/nzc');

    const [data, stat] = await call<[Buffer, { version: number }]>((cb) => client.getData('/nzc', cb));
    assert.equal(data.toString(), 'v1');
    assert.equal(stat.version, 0);

    await assert.rejects(
      call((cb) => client.setData('/nzc', Buffer.from('x'), 5, cb)),
      (err: { getCode(): number }) => err.getCode() === zookeeper.Exception.BAD_VERSION,
    );
    const [setStat] = await call<[{ version: number }]>((cb) =>
      client.setData('/nzc', Buffer.from('v2'), 0, cb),
    );
    assert.equal(setStat.version, 1);

    const childEvent = new Promise<{ getName(): string; getPath(): string }>((resolve) => {
      client.getChildren(
        '/nzc',
        (event) => resolve(event),
        () => {},
      );
    });
    const [seq] = await call<[string]>((cb) =>
      client.create('/nzc/item-', Buffer.alloc(0), zookeeper.CreateMode.PERSISTENT_SEQUENTIAL, cb),
    );
    assert.equal(seq, '/nzc/item-0000000000');
    const event = await childEvent;
    assert.equal(event.getName(), 'NODE_CHILDREN_CHANGED');
    assert.equal(event.getPath(), '/nzc');

    await assert.rejects(
      call((cb) => client.transaction().create('/nzc/t1').create('/nzc/item-0000000000').commit(cb)),
      (err: { getCode(): number }) => err.getCode() === zookeeper.Exception.NODE_EXISTS,
    );
    const [t1] = await call<[unknown]>((cb) => client.exists('/nzc/t1', cb));
    assert.equal(t1, null, 'a failed transaction leaves nothing behind');

    const other = await connected(server.connectString);
    await call((cb) => other.create('/nzc/eph', Buffer.alloc(0), zookeeper.CreateMode.EPHEMERAL, cb));
    const gone = new Promise<string>((resolve) => {
      client.exists(
        '/nzc/eph',
        (e) => resolve(e.getName()),
        () => {},
      );
    });
    other.close();
    assert.equal(await gone, 'NODE_DELETED');
    client.close();
  });
});
