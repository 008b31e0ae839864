/**
 * The `credstage` command (built to dist/cli.js). Kept thin: the program and its commands live
 * in src/cli/.
 */
import { EXIT, processContext } from './cli/context.js';
import { runCli } from './cli/main.js';

// The AWS SDK warns on Node 20 with a multi-line notice on stderr at the first client; a CLI's
// error output is one line. The SDK reads this when a client is built, after this line runs.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const code = await runCli(process.argv, processContext());
// A command may also have set process.exitCode itself: keep a failure, never overwrite it with 0.
if (code !== EXIT.OK) process.exitCode = code;
