/**
 * Internal, exported from no entry point: selects the fleet-scale policies of issue 13 or the
 * ones before them, so `npm run bench:fleet` can measure both side by side in one run on the
 * same code (a checkout of the old code cannot run on the simulated clock: its retries waited
 * on real timers). Read once, when a SecretCache or DbCredentials is built. Production code
 * never sets it.
 */
export const fleetPolicy: { legacy: boolean } = { legacy: false };
