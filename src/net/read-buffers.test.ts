import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, Socket } from 'node:net';
import { describe, it } from 'node:test';
import { adoptWithReadBuffers } from './read-buffers.ts';

describe('adoptWithReadBuffers', () => {
  it('moves an accepted socket to one reading into the buffers given; the server still closes', async () => {
    const targets = [Buffer.alloc(5), Buffer.alloc(64)];
    const got: string[] = [];
    let adopted: Socket | null = null;
    const server = createServer({ pauseOnConnect: true }, (accepted) => {
      let next = 0;
      adopted = adoptWithReadBuffers(accepted, {
        buffer: () => targets[Math.min(next, 1)]!,
        callback: (n, buffer) => {
          assert.equal(buffer, targets[Math.min(next, 1)]);
          got.push(Buffer.from(buffer.subarray(0, n)).toString());
          next++;
          return true;
        },
      });
      assert.ok(adopted instanceof Socket);
      adopted.resume();
      adopted.on('end', () => adopted!.end('bye'));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    const client = connect(port, '127.0.0.1');
    await once(client, 'connect');
    client.end('hello world');
    const reply: Buffer[] = [];
    client.on('data', (b: Buffer) => reply.push(b));
    await once(client, 'close');
    assert.equal(got.join(''), 'hello world');
    assert.equal(got[0], 'hello', 'the first read went to the 5-byte buffer');
    assert.equal(Buffer.concat(reply).toString(), 'bye');
    // The old socket was released when the adopted one closed, so close() completes.
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('declines a socket without a native handle', () => {
    assert.equal(adoptWithReadBuffers(new Socket(), { buffer: Buffer.alloc(1), callback: () => true }), null);
  });
});
