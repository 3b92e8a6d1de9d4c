import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { listenOn } from './listen.ts';
import { ListenError } from './tcp-server.ts';

describe('listenOn', () => {
  it('resolves with the port chosen for port 0; a taken port rejects naming what and where', async () => {
    const first = createServer();
    const port = await listenOn(first, 'first', 0, '127.0.0.1');
    assert.ok(port > 0);
    assert.equal((first.address() as { port: number }).port, port);
    const second = createServer();
    try {
      await assert.rejects(listenOn(second, 'syslog source r1', port, '127.0.0.1'), (err: unknown) => {
        assert.ok(err instanceof ListenError);
        assert.equal(err.message, `syslog source r1 cannot listen on 127.0.0.1:${port}: EADDRINUSE`);
        return true;
      });
    } finally {
      first.close();
      second.close();
    }
  });
});
