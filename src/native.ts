/**
 * The native addon (built by `napi build` into the package root as `index.js` + a
 * `blazerules.<platform>.node` file). Everything else in `src/` goes through this module.
 */
import type * as NativeModule from '../index';

export type {
  NativeBatch,
  NativeCallOptions,
  NativeDecision,
  NativeEvalConfig,
  NativeLineNames,
  NativeLineOptions,
  NativeProblem,
  NativeRuleCell,
  NativeRuleSet,
  NativeStreamHandle,
  NativeStreamStats,
} from '../index';

function loadNative(): typeof NativeModule {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('../index.js') as typeof NativeModule;
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new Error(`blazerules: the native addon could not be loaded (${detail}). Build it with \`npm run build\`.`);
  }
}

export const native: typeof NativeModule = loadNative();
