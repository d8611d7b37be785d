// The API reference, docs/api/, generated from the TSDoc of src/index.ts's exports by typedoc
// (options in typedoc.json) as Markdown, committed so that it reads on GitHub.
//   node scripts/docs.mjs           regenerate docs/api/
//   node scripts/docs.mjs --check   regenerate into a temporary directory and fail if docs/api/
//                                   differs (so the committed reference cannot go stale)
// Both fail on any typedoc warning (an undocumented export, a type referenced but not exported,
// a broken {@link}), on a public member without an @example, and on an example that does not
// type-check (see docs-examples.mjs).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Application, PackageJsonReader, TSConfigReader, TypeDocReader } from 'typedoc';
import { collectExamples, typeCheckExamples } from './docs-examples.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const committed = join(root, 'docs', 'api');
const check = process.argv.includes('--check');
const started = performance.now();

function fail(message) {
  console.error(`docs: ${message}`);
  process.exit(1);
}

/** Every file under `dir`, as paths relative to it, sorted. */
function listFiles(dir, base = dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      return entry.isDirectory() ? listFiles(path, base) : [relative(base, path)];
    })
    .sort();
}

/** The files that differ between two directories (added, removed or changed). */
function differences(expected, actual) {
  const want = listFiles(expected);
  const have = listFiles(actual);
  const changed = [];
  for (const file of new Set([...want, ...have])) {
    if (!want.includes(file)) changed.push(`${file} (should not exist)`);
    else if (!have.includes(file)) changed.push(`${file} (missing)`);
    else if (
      readFileSync(join(expected, file), 'utf8') !== readFileSync(join(actual, file), 'utf8')
    )
      changed.push(`${file} (out of date)`);
  }
  return changed;
}

process.chdir(root);
// typedoc.json, package.json and tsconfig.json; not the command line (it holds `--check`)
const app = await Application.bootstrapWithPlugins({}, [
  new TypeDocReader(),
  new PackageJsonReader(),
  new TSConfigReader(),
]);
const project = await app.convert();
if (!project) fail('typedoc could not convert src/index.ts');
app.validate(project);
if (app.logger.hasErrors() || app.logger.hasWarnings()) {
  fail('typedoc reported the problems above (warnings count as errors here)');
}

const { missing, examples } = collectExamples(project);
if (missing.length > 0) {
  fail(
    `every public member needs an @example in its TSDoc; these have none:\n` +
      missing.map((name) => `  ${name}`).join('\n'),
  );
}
const problems = typeCheckExamples(root, examples);
if (problems.length > 0) fail(`examples that do not type-check:\n${problems.join('\n')}`);

const out = check ? mkdtempSync(join(tmpdir(), 'spindle-api-')) : committed;
try {
  await app.outputs.writeOutput({ name: 'markdown', path: out }, project);
  if (app.logger.hasErrors() || app.logger.hasWarnings()) fail('typedoc could not write the docs');
  if (check) {
    const stale = differences(out, committed);
    if (stale.length > 0) {
      fail(
        `docs/api/ is out of date with the TSDoc in src/ (run \`npm run docs\` and commit it):\n` +
          stale.map((file) => `  docs/api/${file}`).join('\n'),
      );
    }
  }
} finally {
  if (check) rmSync(out, { recursive: true, force: true });
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(
  `docs: ${examples.length} examples type-checked; docs/api/ ${check ? 'is up to date' : 'written'} (${seconds} s)`,
);
