import { InvalidOptionError } from '../../errors.js';
import type { RotationStrategyName } from '../types.js';
import { alternatingUsers } from './alternating-users.js';
import { singleUser } from './single-user.js';
import type { Strategy } from './types.js';

const STRATEGIES: Readonly<Record<RotationStrategyName, Strategy>> = Object.freeze({
  'single-user': singleUser,
  'alternating-users': alternatingUsers,
});

/** The strategy called `name`; InvalidOptionError for any other name. */
export function strategyNamed(name: unknown, option = 'strategy'): Strategy {
  const strategy = typeof name === 'string' ? STRATEGIES[name as RotationStrategyName] : undefined;
  if (strategy === undefined || !Object.hasOwn(STRATEGIES, name as string)) {
    throw new InvalidOptionError(option, `must be one of ${Object.keys(STRATEGIES).join(', ')}`);
  }
  return strategy;
}
