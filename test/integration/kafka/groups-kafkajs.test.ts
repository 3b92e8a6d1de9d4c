import { describe } from 'node:test';
import { itSharesAndSurvives, useGroupBroker } from './clients/group-suite.ts';

/** Consumer groups with kafkajs 2.2.4 (its round-robin assignor, eager rebalances). */
describe('consumer groups: kafkajs, three member processes', () => {
  itSharesAndSurvives(
    useGroupBroker(),
    'kafkajs',
    'share a topic, survive a clean leave and a kill -9, never skip or re-deliver a committed record',
  );
});
