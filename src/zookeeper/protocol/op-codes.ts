/**
 * Request types (`RequestHeader.type`, `MultiHeader.type`). Values are ZooKeeper's `ZooDefs.OpCode`;
 * createSession and closeSession also appear as transaction types, `error` as the type of a failed
 * operation's result inside a multi response.
 */
export const OpCode = Object.freeze({
  notification: 0,
  create: 1,
  delete: 2,
  exists: 3,
  getData: 4,
  setData: 5,
  getACL: 6,
  setACL: 7,
  getChildren: 8,
  sync: 9,
  ping: 11,
  getChildren2: 12,
  check: 13,
  multi: 14,
  create2: 15,
  reconfig: 16,
  checkWatches: 17,
  removeWatches: 18,
  createContainer: 19,
  deleteContainer: 20,
  createTTL: 21,
  multiRead: 22,
  auth: 100,
  setWatches: 101,
  sasl: 102,
  getEphemerals: 103,
  getAllChildrenNumber: 104,
  setWatches2: 105,
  addWatch: 106,
  whoAmI: 107,
  createSession: -10,
  closeSession: -11,
  error: -1,
} as const);

export type OpCodeName = keyof typeof OpCode;
export type OpCodeValue = (typeof OpCode)[OpCodeName];

const names = new Map<number, OpCodeName>(
  Object.entries(OpCode).map(([name, code]) => [code, name as OpCodeName]),
);

/** The name of an opcode, or `unknown(n)` so logs stay useful. */
export function opCodeName(code: number): string {
  return names.get(code) ?? `unknown(${code})`;
}
