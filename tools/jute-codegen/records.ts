/**
 * ZooKeeper's wire records, transcribed for Sluice: the input of the generator. Each class lists
 * its fields in wire order as `name:type`. The reference copy of Apache ZooKeeper's IDL
 * (../shared/reference/zookeeper-protocol/zookeeper.jute) is kept for comparison only, so the
 * generator does not read it; codegen.test.ts checks this table against it, field by field.
 *
 * Baseline: ZooKeeper 3.9 (ConnectRequest/ConnectResponse end with `readOnly`, which 3.8 and older
 * clients may omit; see handshake.ts).
 */
import type { ModuleDef } from './idl.ts';
import { parseTypeText } from './idl.ts';

const DATA = 'org.apache.zookeeper.data';
const PROTO = 'org.apache.zookeeper.proto';
const QUORUM = 'org.apache.zookeeper.server.quorum';
const PERSISTENCE = 'org.apache.zookeeper.server.persistence';
const TXN = 'org.apache.zookeeper.txn';

/** Every class is `name: 'field:type ...'`; types as in jute, records by class name. */
const transcript: readonly [string, Readonly<Record<string, string>>][] = [
  [
    DATA,
    {
      Id: 'scheme:ustring id:ustring',
      ACL: 'perms:int id:Id',
      Stat:
        'czxid:long mzxid:long ctime:long mtime:long version:int cversion:int aversion:int ' +
        'ephemeralOwner:long dataLength:int numChildren:int pzxid:long',
      StatPersisted:
        'czxid:long mzxid:long ctime:long mtime:long version:int cversion:int aversion:int ' +
        'ephemeralOwner:long pzxid:long',
      ClientInfo: 'authScheme:ustring user:ustring',
    },
  ],
  [
    PROTO,
    {
      ConnectRequest:
        'protocolVersion:int lastZxidSeen:long timeOut:int sessionId:long passwd:buffer readOnly:boolean',
      ConnectResponse: 'protocolVersion:int timeOut:int sessionId:long passwd:buffer readOnly:boolean',
      SetWatches:
        'relativeZxid:long dataWatches:vector<ustring> existWatches:vector<ustring> childWatches:vector<ustring>',
      SetWatches2:
        'relativeZxid:long dataWatches:vector<ustring> existWatches:vector<ustring> childWatches:vector<ustring> ' +
        'persistentWatches:vector<ustring> persistentRecursiveWatches:vector<ustring>',
      RequestHeader: 'xid:int type:int',
      MultiHeader: 'type:int done:boolean err:int',
      AuthPacket: 'type:int scheme:ustring auth:buffer',
      ReplyHeader: 'xid:int zxid:long err:int',
      GetDataRequest: 'path:ustring watch:boolean',
      SetDataRequest: 'path:ustring data:buffer version:int',
      ReconfigRequest: 'joiningServers:ustring leavingServers:ustring newMembers:ustring curConfigId:long',
      SetDataResponse: 'stat:Stat',
      GetSASLRequest: 'token:buffer',
      SetSASLRequest: 'token:buffer',
      SetSASLResponse: 'token:buffer',
      CreateRequest: 'path:ustring data:buffer acl:vector<ACL> flags:int',
      CreateTTLRequest: 'path:ustring data:buffer acl:vector<ACL> flags:int ttl:long',
      DeleteRequest: 'path:ustring version:int',
      GetChildrenRequest: 'path:ustring watch:boolean',
      GetAllChildrenNumberRequest: 'path:ustring',
      GetChildren2Request: 'path:ustring watch:boolean',
      CheckVersionRequest: 'path:ustring version:int',
      GetMaxChildrenRequest: 'path:ustring',
      GetMaxChildrenResponse: 'max:int',
      SetMaxChildrenRequest: 'path:ustring max:int',
      SyncRequest: 'path:ustring',
      SyncResponse: 'path:ustring',
      GetACLRequest: 'path:ustring',
      SetACLRequest: 'path:ustring acl:vector<ACL> version:int',
      SetACLResponse: 'stat:Stat',
      AddWatchRequest: 'path:ustring mode:int',
      WatcherEvent: 'type:int state:int path:ustring',
      ErrorResponse: 'err:int',
      CreateResponse: 'path:ustring',
      Create2Response: 'path:ustring stat:Stat',
      ExistsRequest: 'path:ustring watch:boolean',
      ExistsResponse: 'stat:Stat',
      GetDataResponse: 'data:buffer stat:Stat',
      GetChildrenResponse: 'children:vector<ustring>',
      GetAllChildrenNumberResponse: 'totalNumber:int',
      GetChildren2Response: 'children:vector<ustring> stat:Stat',
      GetACLResponse: 'acl:vector<ACL> stat:Stat',
      CheckWatchesRequest: 'path:ustring type:int',
      RemoveWatchesRequest: 'path:ustring type:int',
      GetEphemeralsRequest: 'prefixPath:ustring',
      GetEphemeralsResponse: 'ephemerals:vector<ustring>',
      WhoAmIResponse: 'clientInfo:vector<ClientInfo>',
    },
  ],
  [
    QUORUM,
    {
      LearnerInfo: 'serverid:long protocolVersion:int configVersion:long',
      QuorumPacket: 'type:int zxid:long data:buffer authinfo:vector<Id>',
      QuorumAuthPacket: 'magic:long status:int token:buffer',
    },
  ],
  [PERSISTENCE, { FileHeader: 'magic:int version:int dbid:long' }],
  [
    TXN,
    {
      TxnDigest: 'version:int treeDigest:long',
      TxnHeader: 'clientId:long cxid:int zxid:long time:long type:int',
      CreateTxnV0: 'path:ustring data:buffer acl:vector<ACL> ephemeral:boolean',
      CreateTxn: 'path:ustring data:buffer acl:vector<ACL> ephemeral:boolean parentCVersion:int',
      CreateTTLTxn: 'path:ustring data:buffer acl:vector<ACL> parentCVersion:int ttl:long',
      CreateContainerTxn: 'path:ustring data:buffer acl:vector<ACL> parentCVersion:int',
      DeleteTxn: 'path:ustring',
      SetDataTxn: 'path:ustring data:buffer version:int',
      CheckVersionTxn: 'path:ustring version:int',
      SetACLTxn: 'path:ustring acl:vector<ACL> version:int',
      SetMaxChildrenTxn: 'path:ustring max:int',
      CreateSessionTxn: 'timeOut:int',
      CloseSessionTxn: 'paths2Delete:vector<ustring>',
      ErrorTxn: 'err:int',
      Txn: 'type:int data:buffer',
      MultiTxn: 'txns:vector<Txn>',
    },
  ],
];

/** The transcript as IDL modules (the same shape `parseJute` gives for the IDL text). */
export function transcribedModules(): ModuleDef[] {
  return transcript.map(([name, classes]) => ({
    name,
    classes: Object.entries(classes).map(([className, spec]) => ({
      name: className,
      fields: spec.split(' ').map((item) => {
        const colon = item.indexOf(':');
        if (colon <= 0) throw new Error(`${name}.${className}: malformed field '${item}'`);
        return {
          name: item.slice(0, colon),
          type: parseTypeText(item.slice(colon + 1), `${name}.${className}.${item}`),
        };
      }),
    })),
  }));
}
