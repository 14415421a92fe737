/** GET /v1/rules (the active rule set) and the admin POST /v1/rules (new rules text). */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';

import type { RuleEngine } from '../engine';
import { RulesError, formatProblem } from '../errors';
import type { RulesFormat } from '../types';
import { bearerAuth } from './admin';
import { HttpError, errorBody } from './errors';
import { RULES_INFO } from './schemas';
import type { ServiceState } from './state';

/** Content types of POST /v1/rules and the format each means. */
const RULES_TYPES: Readonly<Record<string, RulesFormat>> = {
  'application/yaml': 'yaml',
  'application/x-yaml': 'yaml',
  'text/yaml': 'yaml',
  'text/plain': 'yaml',
  'application/json': 'json',
};

/** How posted rules name themselves in problems (`<posted rules>:line:column: CODE message`). */
export const POSTED_RULES = '<posted rules>';

export interface AdminOptions {
  token: string;
  /** Where relative lookup paths of posted rules resolve (the rules file's directory). */
  baseDir: string;
}

function adminRoute(engine: RuleEngine, admin: AdminOptions): FastifyPluginAsync {
  return async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser(Object.keys(RULES_TYPES), { parseAs: 'string' }, (_req, body, done) => done(null, body));
    app.post('/v1/rules', { preHandler: bearerAuth(admin.token) }, async (request, reply) => {
      const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      const format = RULES_TYPES[type] ?? 'yaml';
      try {
        const report = engine.loadRulesFromString(request.body as string, format, admin.baseDir);
        request.log.info(
          { version: report.rulesetVersion, rules: report.ruleCount },
          'rules replaced by POST /v1/rules',
        );
        return { name: report.rulesetName, version: report.rulesetVersion, ruleIds: report.ruleIds };
      } catch (err) {
        if (!(err instanceof RulesError)) throw err;
        const problems = err.problems.map((p) => formatProblem(p, POSTED_RULES));
        const body = errorBody(
          'RULES_INVALID',
          `the rules were refused (the active ones stay): ${problems.length} problem(s)`,
        );
        return reply.code(400).send({ error: { ...body.error, problems } });
      }
    });
  };
}

export function registerRules(
  app: FastifyInstance,
  engine: RuleEngine,
  state: ServiceState,
  admin: AdminOptions | undefined,
): void {
  app.get('/v1/rules', { schema: RULES_INFO }, async () => {
    if (engine.activeRuleSetVersion === '' && engine.ruleIds.length === 0 && state.loadedAt === '') {
      throw new HttpError('NOT_READY', 'no rules loaded yet');
    }
    return {
      name: engine.activeRuleSetName,
      version: engine.activeRuleSetVersion,
      ruleIds: engine.ruleIds,
      source: state.source,
      loadedAt: state.loadedAt,
    };
  });
  if (admin !== undefined) app.register(adminRoute(engine, admin));
}
