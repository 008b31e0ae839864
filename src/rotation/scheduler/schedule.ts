import { CronExpressionParser } from 'cron-parser';
import { InvalidOptionError } from '../../errors.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** A rotation schedule in Secrets Manager's syntax, resolved to something that computes due times. */
export interface RotationSchedule {
  /** The expression as given: `rate(30 days)`, `rate(4 hours)`, `cron(0 16 1,15 * ? *)`. */
  readonly expression: string;
  /** How long after a due time a rotation may still start. */
  readonly windowMs: number;
  /** The first due time strictly after `afterMs`. */
  nextDueAfter(afterMs: number): number;
}

/** Default rotation window when none is given: one hour, as short windows keep rotations predictable. */
export const DEFAULT_WINDOW_MS = HOUR_MS;

/**
 * Parses a window duration in Secrets Manager's `Duration` syntax: whole hours, `1h` to `24h`.
 *
 * @example
 * ```ts
 * parseWindow('3h'); // 10_800_000
 * ```
 */
export function parseWindow(duration: string | undefined): number {
  if (duration === undefined || duration === '') return DEFAULT_WINDOW_MS;
  // Typed config can still hold `window: 5` (JSON, plain JS): refused, not a TypeError from trim().
  const match = typeof duration === 'string' ? /^(\d{1,2})h$/.exec(duration.trim()) : null;
  const hours = match ? Number(match[1]) : Number.NaN;
  if (!(hours >= 1 && hours <= 24)) {
    const got = typeof duration === 'string' ? `"${duration}"` : `a ${duration === null ? 'null' : typeof duration}`;
    throw new InvalidOptionError('window', `must be a string of whole hours from "1h" to "24h", got ${got}`);
  }
  return hours * HOUR_MS;
}

/**
 * AWS cron has six fields (minutes hours day-of-month month day-of-week year) and numbers
 * weekdays 1-7 from Sunday; cron-parser takes five fields and numbers them 0-6 from Sunday.
 * Shifts every weekday number that starts a list item or a range end (not a `#n` or `/n`).
 */
function toCronParserFields(body: string): string {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) {
    throw new InvalidOptionError('schedule', `cron() needs 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`);
  }
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields as [string, string, string, string, string, string];
  if (year !== '*') throw new InvalidOptionError('schedule', 'cron() supports only "*" in the year field');
  const weekday = dayOfWeek.replace(/(^|[,-])([1-7])(?![0-9])/g, (_all, lead: string, day: string) => `${lead}${Number(day) - 1}`);
  return [minutes, hours, dayOfMonth, month, weekday].join(' ');
}

/**
 * Parses a schedule in Secrets Manager's syntax: `rate(N days)` (1-1000), `rate(N hours)`
 * (4-24) or `cron(minutes hours day-of-month month day-of-week year)`, evaluated in UTC.
 *
 * @example
 * ```ts
 * const schedule = parseSchedule('rate(30 days)', '3h');
 * const due = schedule.nextDueAfter(lastRotatedAt.getTime());
 * ```
 */
export function parseSchedule(expression: string, window?: string): RotationSchedule {
  const windowMs = parseWindow(window);
  const text = typeof expression === 'string' ? expression.trim() : '';
  const rate = /^rate\(\s*(\d+)\s+(day|days|hour|hours)\s*\)$/.exec(text);
  if (rate) {
    const count = Number(rate[1]);
    const days = rate[2]!.startsWith('day');
    if (days ? count < 1 || count > 1000 : count < 4 || count > 24) {
      throw new InvalidOptionError('schedule', days ? 'rate() days must be from 1 to 1000' : 'rate() hours must be from 4 to 24');
    }
    const intervalMs = count * (days ? DAY_MS : HOUR_MS);
    return Object.freeze({ expression: text, windowMs, nextDueAfter: (afterMs: number) => afterMs + intervalMs });
  }
  const cron = /^cron\((.*)\)$/.exec(text);
  if (cron) {
    const fields = toCronParserFields(cron[1]!);
    try {
      CronExpressionParser.parse(fields, { tz: 'UTC' });
    } catch (err) {
      throw new InvalidOptionError('schedule', `is not a valid cron expression: ${(err as Error).message}`);
    }
    return Object.freeze({
      expression: text,
      windowMs,
      nextDueAfter: (afterMs: number) =>
        CronExpressionParser.parse(fields, { tz: 'UTC', currentDate: new Date(afterMs) }).next().getTime(),
    });
  }
  throw new InvalidOptionError('schedule', `must be rate(N days), rate(N hours) or cron(...), got "${expression}"`);
}

/**
 * The schedule Secrets Manager holds for a secret (DescribeSecret's RotationRules), if any.
 *
 * @example
 * ```ts
 * const schedule = scheduleFromRotationRules({ AutomaticallyAfterDays: 30 });
 * ```
 */
export function scheduleFromRotationRules(
  rules: { AutomaticallyAfterDays?: number; ScheduleExpression?: string; Duration?: string } | undefined,
): RotationSchedule | undefined {
  if (!rules) return undefined;
  if (rules.ScheduleExpression) return parseSchedule(rules.ScheduleExpression, rules.Duration);
  if (rules.AutomaticallyAfterDays) return parseSchedule(`rate(${rules.AutomaticallyAfterDays} days)`, rules.Duration);
  return undefined;
}
