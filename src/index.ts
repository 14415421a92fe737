/**
 * blazerules: a native-accelerated, BlazeRules-compatible rules engine for Node.js.
 *
 * ```ts
 * import { RuleEngine } from 'blazerules';
 * const engine = new RuleEngine();
 * engine.loadRules('rules.yaml');
 * const result = await engine.evaluateNdjson(buffer);
 * ```
 */
export { RuleEngine } from './engine';
export type { Payload } from './engine';
export { BatchResult } from './batch-result';
export type { ConditionTrace, ExplainInput, Explanation, RuleExplanation } from './explain';
export { RulesError, BlazeRulesError, formatProblem } from './errors';
export type { RulesProblem, RulesProblemCode } from './errors';
export { ERROR_CODES } from './generated/error-codes';
export type {
  BatchErrorCode,
  EngineErrorCode,
  ErrorCode,
  KafkaErrorCode,
  RecordErrorCode,
  RulesErrorCode,
} from './generated/error-codes';
export type {
  Decision,
  DuplicateKeysMode,
  EngineConfig,
  ErrorSample,
  EvaluateOptions,
  IngestErrorMode,
  JSONLinesOptions,
  LoadReport,
  RiskBand,
  RulesFormat,
  Timing,
  WarningSample,
  WindowStats,
} from './types';
export { version } from './version';
