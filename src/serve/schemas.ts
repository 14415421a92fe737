/** JSON schemas of the bodies and answers (Fastify validates bodies with them and writes
 * answers with fast-json-stringify). */

const ERROR = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' } },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
} as const;

/** The answer of POST /v1/decide (and the `decision` of POST /v1/events). */
export const DECISION = {
  type: 'object',
  properties: {
    decision: { type: 'string' },
    score: { type: 'number' },
    risk_band: { type: 'string', enum: ['LOW', 'MEDIUM', 'HIGH'] },
    winning_rule_id: { type: 'string' },
    matched_rule_ids: { type: 'array', items: { type: 'string' } },
    ruleset_version: { type: 'string' },
  },
  required: ['decision', 'score', 'risk_band', 'winning_rule_id', 'matched_rule_ids', 'ruleset_version'],
} as const;

/** One JSON object (any fields: the rules decide what they read). */
export const RECORD = { type: 'object' } as const;

/** POST /v1/decide: its body is the engine's to read (a JSON object; decide.ts), not validated here. */
export const DECIDE = {
  querystring: {
    type: 'object',
    properties: { explain: { type: 'string', enum: ['0', '1', 'true', 'false'] } },
  },
  response: {
    // `explanation` (service.md §2) passes through as written by engine.explain.
    200: {
      ...DECISION,
      properties: { ...DECISION.properties, explanation: { type: 'object', additionalProperties: true } },
    },
    '4xx': ERROR,
    '5xx': ERROR,
  },
} as const;

export const RULES_INFO = {
  response: {
    200: {
      type: 'object',
      properties: {
        name: { type: 'string' },
        version: { type: 'string' },
        ruleIds: { type: 'array', items: { type: 'string' } },
        source: { type: 'string' },
        loadedAt: { type: 'string' },
      },
      required: ['name', 'version', 'ruleIds', 'source', 'loadedAt'],
    },
  },
} as const;

export const EVENT = {
  body: RECORD,
  response: {
    201: {
      type: 'object',
      properties: {
        topic: { type: 'string' },
        partition: { type: 'integer' },
        offset: { type: 'integer' },
        decision: DECISION,
      },
      required: ['topic', 'partition', 'offset', 'decision'],
    },
    '4xx': ERROR,
    '5xx': ERROR,
  },
} as const;
