// The examples of the API reference: every public class, constructor, method, accessor, function,
// constant and option (a property of an exported interface or class) must have an `@example`
// (the fields of what spindle hands back, such as PoolStats, are shown by their interface's), and
// every example's code must type-check against src/ as a module of its own, importing 'spindle'.
// So an example cannot be missing, and cannot drift from the API it shows.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ReflectionKind } from 'typedoc';
import ts from 'typescript';

/** What must carry an example. Types, interfaces and type parameters need not: their members do. */
const NEEDS_EXAMPLE =
  ReflectionKind.Class |
  ReflectionKind.Constructor |
  ReflectionKind.Method |
  ReflectionKind.Accessor |
  ReflectionKind.Function |
  ReflectionKind.Variable |
  ReflectionKind.Property;

/** Members nobody calls by hand: what `String(x)` and `util.inspect(x)` print, `then()`'s species. */
const EXEMPT = new Set(['[toStringTag]', '[custom]', '[species]']);

/**
 * Examples may import this module as './tasks.js', to show task modules (`fromModule`): it stands
 * for a module of the user's own.
 */
const TASKS_MODULE = 'test/fixtures/api-example-tasks.ts';

/** The comments of a reflection: its own and, for callables, those of its signatures. */
function commentsOf(reflection) {
  const comments = [reflection.comment];
  for (const signature of reflection.signatures ?? []) comments.push(signature.comment);
  comments.push(reflection.getSignature?.comment, reflection.setSignature?.comment);
  return comments.filter((comment) => comment !== undefined);
}

/** The `@example` code blocks of a reflection, as source text. */
function exampleCode(reflection) {
  const blocks = [];
  for (const comment of commentsOf(reflection)) {
    for (const tag of comment.getTags('@example')) {
      const text = tag.content.map((part) => part.text).join('');
      for (const match of text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)) blocks.push(match[1]);
    }
  }
  return blocks;
}

/**
 * The reflections of the public API that must carry an example and do not, and the examples of
 * those that do (name, code).
 */
export function collectExamples(project) {
  const missing = [];
  const examples = [];
  for (const reflection of project.getReflectionsByKind(NEEDS_EXAMPLE)) {
    // Inherited members show the example of their own declaration; external ones are Node's.
    if (reflection.inheritedFrom || reflection.flags.isExternal) continue;
    if (EXEMPT.has(reflection.name)) continue;
    // A member of a type literal is part of a type (CompletedFuture's `then: never`), not an API.
    if (reflection.parent?.kindOf(ReflectionKind.TypeLiteral)) continue;
    // A constructor inherited from Error (the error classes) has nothing to show of its own.
    if (reflection.kindOf(ReflectionKind.Constructor) && reflection.signatures?.[0]?.inheritedFrom)
      continue;
    // A field of a value spindle hands back (PoolStats, an event's argument) is shown by the
    // example of its interface; an option of the user's own needs one of its own.
    if (
      reflection.kindOf(ReflectionKind.Property) &&
      reflection.parent?.kindOf(ReflectionKind.Interface) &&
      exampleCode(reflection.parent).length > 0
    )
      continue;
    const name = reflection.getFriendlyFullName();
    const blocks = exampleCode(reflection);
    if (blocks.length === 0) missing.push(name);
    blocks.forEach((code, i) => {
      examples.push({ name: blocks.length > 1 ? `${name} (${i + 1})` : name, code });
    });
  }
  return { missing, examples };
}

/**
 * Type-checks each example as a module of its own (in a directory beside src/, so that 'spindle'
 * means src/index.ts), with the project's compiler options. Returns the diagnostics, as text.
 */
export function typeCheckExamples(root, examples) {
  const dir = join(root, 'api-examples');
  const parsed = ts.parseJsonConfigFileContent(
    {
      extends: './tsconfig.json',
      compilerOptions: {
        noEmit: true,
        paths: { spindle: ['./src/index.ts'], 'spindle/task': ['./src/task/index.ts'] },
      },
      files: [],
    },
    ts.sys,
    root,
  );
  const files = new Map([[join(dir, 'tasks.ts'), readFileSync(join(root, TASKS_MODULE), 'utf8')]]);
  const names = new Map();
  examples.forEach((example, i) => {
    const file = join(dir, `example-${i}.mts`);
    files.set(file, example.code);
    names.set(file, example.name);
  });
  const host = ts.createCompilerHost(parsed.options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (file) => files.has(file) || fileExists.call(host, file);
  host.readFile = (file) => files.get(file) ?? readFile.call(host, file);
  host.getSourceFile = (file, language, ...rest) =>
    files.has(file)
      ? ts.createSourceFile(file, files.get(file), language, true)
      : getSourceFile.call(host, file, language, ...rest);
  host.directoryExists = (path) => path === dir || ts.sys.directoryExists(path);
  const program = ts.createProgram([...files.keys()], parsed.options, host);
  const diagnostics = ts
    .getPreEmitDiagnostics(program)
    .filter((diagnostic) => diagnostic.file === undefined || files.has(diagnostic.file.fileName));
  return diagnostics.map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const file = diagnostic.file;
    if (!file) return message;
    const { line } = file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    const where = names.get(file.fileName) ?? file.fileName.slice(dirname(dir).length + 1);
    const source = file.text.split('\n')[line]?.trim();
    return `@example of ${where}, line ${line + 1}: ${message}\n    ${source}`;
  });
}
