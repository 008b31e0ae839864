/**
 * `npm run demo -- [options]`: the demo's entry point, run from a clone through tsx. Dev tooling
 * (it starts embedded PostgreSQL and FerretDB, devDependencies): not part of the shipped
 * `credstage` command. The options are those of {@link demoCommand}; `--help` lists them.
 */
import { EXIT, processContext } from '../../src/cli/context.js';
import { applySettings, runProgram } from '../../src/cli/main.js';
import { demoCommand } from './command.js';

// As in src/cli.ts: the AWS SDK's multi-line Node 20 notice would break the one-line error output.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const ctx = processContext();
// --help's usage line shows how it is run: `npm run demo -- [options]`.
const program = demoCommand(ctx).name('npm run demo --');
applySettings(program, ctx);
const code = await runProgram(program, process.argv, ctx);
if (code !== EXIT.OK) process.exitCode = code;
