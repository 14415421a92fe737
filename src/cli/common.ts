/** Options more than one command takes, and the engine configuration they make. */
import type { EngineConfig } from '../types';
import type { OptionSpec, Values } from './args';

export const RULES = {
  name: 'rules',
  type: 'string',
  arg: 'R',
  required: true,
  help: 'the rules file (YAML, or JSON for a .json file)',
} as const satisfies OptionSpec;

export const THREADS = {
  name: 'threads',
  type: 'int',
  help: 'evaluation threads for one large batch (default: all cores)',
} as const satisfies OptionSpec;

const INGEST_MODES = { skip: 'skip', 'dead-letter': 'deadLetter', fail: 'fail' } as const;

/** How `eval` treats records and bad input (the engine's own settings). */
export const ENGINE_OPTIONS = [
  THREADS,
  { name: 'max-error-samples', type: 'int', help: 'at most this many error samples per batch (default 16)' },
  { name: 'max-record-bytes', type: 'int', help: 'longer records are skipped as RECORD_TOO_LARGE (0: no limit)' },
  {
    name: 'ingest-error-mode',
    type: 'choice',
    values: ['skip', 'dead-letter', 'fail'],
    aliases: {
      skip_and_count: 'skip',
      deadletter: 'dead-letter',
      dead_letter: 'dead-letter',
      skip_to_dead_letter: 'dead-letter',
      hard_fail: 'fail',
    },
    help: 'bad records: skip and count them, also write them to --dead-letter-path, or fail the batch',
  },
  { name: 'dead-letter-path', type: 'string', arg: 'P', help: 'where dead-letter mode writes bad records' },
  {
    name: 'duplicate-keys',
    type: 'choice',
    values: ['last', 'reject'],
    help: 'a key repeated in a record: the last one wins, counted as a DUPLICATE_KEY warning (default), or the record is skipped as DUPLICATE_KEY',
  },
  { name: 'max-rules-file-bytes', type: 'int', help: 'refuse a larger rules file (default 16 MiB; 0: no limit)' },
  { name: 'max-lookup-file-bytes', type: 'int', help: 'refuse a larger lookup file (default 256 MiB; 0: no limit)' },
  {
    name: 'max-file-bytes',
    type: 'int',
    help: 'refuse a larger JSON-array input; the longest line without --max-record-bytes (default 1 GiB; 0: no limit)',
  },
  {
    name: 'lookup-root',
    type: 'string',
    arg: 'D',
    repeatable: true,
    help: "a directory lookup files may be read from besides the rules file's own",
  },
] as const satisfies readonly OptionSpec[];

/** The engine configuration the given options ask for (absent ones: the engine's defaults). */
export function engineConfig(o: Partial<Values<typeof ENGINE_OPTIONS>>): EngineConfig {
  const config: EngineConfig = {};
  if (o.threads !== undefined) config.threads = o.threads;
  if (o['max-error-samples'] !== undefined) config.maxErrorSamples = o['max-error-samples'];
  if (o['max-record-bytes'] !== undefined) config.maxRecordBytes = o['max-record-bytes'];
  if (o['ingest-error-mode'] !== undefined) config.ingestErrorMode = INGEST_MODES[o['ingest-error-mode']];
  if (o['dead-letter-path'] !== undefined) config.deadLetterPath = o['dead-letter-path'];
  if (o['duplicate-keys'] !== undefined) config.duplicateKeys = o['duplicate-keys'];
  if (o['max-rules-file-bytes'] !== undefined) config.maxRulesFileBytes = o['max-rules-file-bytes'];
  if (o['max-lookup-file-bytes'] !== undefined) config.maxLookupFileBytes = o['max-lookup-file-bytes'];
  if (o['max-file-bytes'] !== undefined) config.maxFileBytes = o['max-file-bytes'];
  if (o['lookup-root'] !== undefined) config.lookupRoots = o['lookup-root'];
  return config;
}

/** Milliseconds (or seconds) as printed: three decimals. */
export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
