// A Secrets Manager rotation function built on credstage's engine.
// Runtime nodejs20.x (or later), handler "index.handler". Deploy one function per strategy, as
// with AWS's own templates: ROTATION_STRATEGY=single-user (default) or alternating-users.
import { createRotationHandler } from 'credstage/rotation';

const env = process.env;

export const handler = createRotationHandler({
  strategy: env.ROTATION_STRATEGY ?? 'single-user',
  passwordPolicy: {
    ...(env.PASSWORD_LENGTH ? { length: Number(env.PASSWORD_LENGTH) } : {}),
    // Added to the engine's own exclusions (DocumentDB: / @ " ' \   Redshift: ' " \ / @ and space).
    ...(env.EXCLUDE_CHARACTERS ? { excludeCharacters: env.EXCLUDE_CHARACTERS } : {}),
  },
  // DocumentDB needs the Amazon RDS CA bundle: ship global-bundle.pem in the zip.
  ...(env.TLS_CA_FILE ? { tlsCAFile: env.TLS_CA_FILE } : {}),
  // A VPC endpoint for Secrets Manager, when the function has no route to the public one.
  ...(env.SECRETS_MANAGER_ENDPOINT ? { secretsManagerConfig: { endpoint: env.SECRETS_MANAGER_ENDPOINT } } : {}),
  // One JSON log line per step: step, outcome, durationMs, detail. Never a password.
  onStep: (report) => console.log(JSON.stringify(report)),
});
