/** `blazerules rules publish`: a rules file and its lookups, checked, as one bundle on a
 * compacted rules topic (service.md §3), which `engine.followRulesTopic` loads. */
import * as fs from 'node:fs';

import { RuleEngine } from '../engine';
import { brokerList, requireString } from '../kafka/config';
import { bundleFile } from '../live/bundle';
import { publishBundle } from '../live/publish';
import { ensureCompactedTopic } from '../live/topic-admin';
import { command } from './args';
import { ENGINE_OPTIONS, RULES, engineConfig } from './common';
import { loadChecked } from './validate';

export const rulesCommand = command({
  name: 'rules',
  source: 'publish',
  summary: 'check a rules file, then publish it with its lookup files as one bundle to a compacted rules topic',
  notes: [
    'Rules with problems exit 2 with each problem as file:line:column: CODE message; nothing is published.',
    'The topic is created if absent (cleanup.policy=compact, 1 partition). Prints {topic, partition, offset, version}.',
  ],
  options: [
    RULES,
    { name: 'brokers', type: 'string', arg: 'B', required: true, help: 'bootstrap brokers host:port[,host:port]' },
    { name: 'topic', type: 'string', arg: 'T', required: true, help: 'the rules topic' },
    { name: 'timeout-ms', type: 'int', help: 'give up connecting, creating or delivering after this long (30000)' },
    ...ENGINE_OPTIONS.filter((o) => o.name === 'lookup-root' || o.name.startsWith('max-')),
  ],
  async run(o): Promise<void> {
    const brokers = brokerList(o.brokers);
    const topic = requireString(o.topic, 'topic');
    const timeoutMs = o['timeout-ms'] ?? 30_000;
    const bytes = fs.readFileSync(o.rules);
    const report = loadChecked(new RuleEngine(engineConfig(o)), o.rules);
    const bundle = bundleFile(o.rules, bytes);
    await ensureCompactedTopic(brokers, topic, {}, timeoutMs);
    const at = await publishBundle(brokers, topic, Buffer.from(JSON.stringify(bundle)), {}, timeoutMs);
    const out = { topic: at.topic, partition: at.partition, offset: at.offset, version: report.rulesetVersion };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  },
});
