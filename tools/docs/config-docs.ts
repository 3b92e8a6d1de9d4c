// Generates the configuration reference in docs/config/ from the typed definitions, which are the
// source of defaults and validation. Run: node tools/docs/config-docs.ts  (a test checks it is current).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigMarkdown } from '../../src/config/index.ts';
import { brokerConfigDef } from '../../src/kafka/broker/index.ts';

export function configDocs(): Map<string, string> {
  return new Map([
    [
      'broker.md',
      renderConfigMarkdown(
        'Broker configuration (server.properties)',
        'Keys accepted by `sluice broker --config server.properties --override key=value`, with the names and ' +
          'defaults of Apache Kafka. Unknown keys are logged as warnings (so an existing Kafka file loads); ' +
          '`--strict` turns them into errors. Generated from `src/kafka/broker/broker-config.ts` by ' +
          '`node tools/docs/config-docs.ts`.',
        brokerConfigDef.docRows(),
      ),
    ],
  ]);
}

export const configDocsDir = join(import.meta.dirname, '..', '..', 'docs', 'config');

if (import.meta.main) {
  for (const [name, text] of configDocs()) writeFileSync(join(configDocsDir, name), text);
}
