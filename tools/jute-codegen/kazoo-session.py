# One scripted kazoo session (against the fake server of kazoo-capture.ts, or a real ZooKeeper
# through its recording proxy); prints what kazoo decoded from each reply, one line per call.
import sys

from kazoo.client import KazooClient

zk = KazooClient(hosts="127.0.0.1:%s" % sys.argv[1], timeout=10.0)
zk.start(timeout=10)
print("create", zk.create("/app", b"hi", ephemeral=True))
data, stat = zk.get("/app", watch=lambda event: None)
print("get", data.decode(), stat.ephemeralOwner == zk.client_id[0])
version = zk.set("/app", b"x").version
print("set", version == stat.version + 1)
print("children", ",".join(sorted(zk.get_children("/"))))
print("exists", zk.exists("/nope"))
t = zk.transaction()
t.create("/t", b"")
t.check("/app", version)
t.delete("/t")
print("multi", t.commit())
zk.delete("/app")
print("delete ok")
zk.stop()
zk.close()
