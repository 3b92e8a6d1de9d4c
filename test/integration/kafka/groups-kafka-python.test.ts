import { describe } from 'node:test';
import { itSharesAndSurvives, useGroupBroker } from './clients/group-suite.ts';

/** Consumer groups with kafka-python 2.0.2 (range assignor, eager rebalances, heartbeat thread). */
describe('consumer groups: kafka-python, three member processes', () => {
  itSharesAndSurvives(
    useGroupBroker(),
    'kafka-python',
    'share a topic, survive a clean leave and a kill -9, never skip or re-deliver a committed record',
  );
});
