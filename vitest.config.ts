import { defineConfig } from 'vitest/config';

// Every test process gets dummy AWS credentials and no instance-metadata lookups:
// the AWS SDK must never look for credentials on the network.
const awsEnv = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

export default defineConfig({
  test: {
    env: awsEnv,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          env: awsEnv,
        },
      },
      {
        // Type tests of the public API (option exclusivity...): checked by tsc, never run.
        test: {
          name: 'types',
          include: [],
          typecheck: { enabled: true, only: true, include: ['test/types/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          env: awsEnv,
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Servers are shared; run files one at a time so load tests do not
          // measure each other on a 2-core machine.
          fileParallelism: false,
        },
      },
    ],
  },
});
