import { describe } from 'node:test';
import { itSharesAndSurvives, useGroupBroker } from './clients/group-suite.ts';

/** Consumer groups with @platformatic/kafka 1.35 (its own assignor, eager rebalances, a commit per record). */
describe('consumer groups: platformatic, three member processes', () => {
  itSharesAndSurvives(
    useGroupBroker(),
    'platformatic',
    'share a topic, survive a clean leave and a kill -9, never skip or re-deliver a committed record',
  );
});
