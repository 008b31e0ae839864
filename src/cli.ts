/**
 * The `credstage` command (built to dist/cli.js). Kept thin: the program and its commands live
 * in src/cli/.
 */
import { EXIT, processContext } from './cli/context.js';
import { runCli } from './cli/main.js';

const code = await runCli(process.argv, processContext());
// A command may also have set process.exitCode itself: keep a failure, never overwrite it with 0.
if (code !== EXIT.OK) process.exitCode = code;
