/** `CreateRequest.flags`: ZooKeeper's CreateMode values. */
export const CreateMode = Object.freeze({
  persistent: 0,
  ephemeral: 1,
  persistentSequential: 2,
  ephemeralSequential: 3,
  container: 4,
  persistentWithTtl: 5,
  persistentSequentialWithTtl: 6,
} as const);

export type CreateModeValue = (typeof CreateMode)[keyof typeof CreateMode];

export interface CreateModeTraits {
  readonly ephemeral: boolean;
  readonly sequential: boolean;
  readonly container: boolean;
  readonly ttl: boolean;
}

const traits: readonly CreateModeTraits[] = [
  { ephemeral: false, sequential: false, container: false, ttl: false },
  { ephemeral: true, sequential: false, container: false, ttl: false },
  { ephemeral: false, sequential: true, container: false, ttl: false },
  { ephemeral: true, sequential: true, container: false, ttl: false },
  { ephemeral: false, sequential: false, container: true, ttl: false },
  { ephemeral: false, sequential: false, container: false, ttl: true },
  { ephemeral: false, sequential: true, container: false, ttl: true },
];

/** What a flags value means, or undefined when it is no CreateMode (ZooKeeper: BADARGUMENTS). */
export function createModeTraits(flags: number): CreateModeTraits | undefined {
  return Number.isInteger(flags) ? traits[flags] : undefined;
}
