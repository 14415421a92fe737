/** `blazerules info`: the version and features as one JSON line. */
import { availableParallelism } from 'node:os';

import { ruleYamlCompatibility, version } from '../version';
import { command } from './args';

/** Whether `blazerules/io` can talk to Kafka (its optional node-rdkafka dependency loads). */
function kafkaAvailable(): boolean {
  try {
    // Loaded only here: a failing optional dependency must not stop the other commands.
    const io = require('../io') as { hasKafka?: unknown };
    return io.hasKafka === true;
  } catch {
    return false;
  }
}

export const info = command({
  name: 'info',
  summary: 'version and features as JSON',
  options: [],
  run(): void {
    const out = {
      version,
      rule_yaml_compatibility: ruleYamlCompatibility,
      features: { kafka: kafkaAvailable() },
      threads: availableParallelism(),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  },
});
