/**
 * Where the user's code called into the package: the first stack frame outside it. Used only
 * when something is seen for the first time (a new task function) or has already failed (a bad
 * argument), never on the hot path.
 */
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SourceOrigin } from '../protocol/functions.js';

/** This file's package: its `dist/` (bundled or not) and `src/` (run from source). */
const PACKAGE_DIRS: string[] = (() => {
  // A CommonJS bundle has no `import.meta.url`: the package's frames are then the program's.
  if (!import.meta.url) return [];
  const self = fileURLToPath(import.meta.url);
  const match = /^(.*[\\/])(?:dist|src)[\\/]/.exec(self);
  if (!match) return [self];
  const root = match[1] as string;
  const sep = self.includes('\\') && !self.includes('/') ? '\\' : '/';
  return [`${root}dist${sep}`, `${root}src${sep}`];
})();

/** A frame's location: `(file:///a/b.ts:3:7)`, `at /a/b.js:3:7`, `at C:\a\b.js:3:7`. */
const FRAME =
  /(?:\(|\s)((?:[a-zA-Z][a-zA-Z\d+.-]*:\/\/\/?|\/|[A-Za-z]:\\)[^()]*?):(\d+):(\d+)\)?\s*$/;

/** Files larger than this are not read to find a function in them. */
const MAX_SOURCE_FILE = 4 * 1024 * 1024;

function toPath(file: string): string | undefined {
  if (file.startsWith('file:')) {
    try {
      return fileURLToPath(file);
    } catch {
      return undefined;
    }
  }
  return /^(?:\/|[A-Za-z]:\\)/.test(file) ? file : undefined;
}

function inPackage(file: string): boolean {
  const path = toPath(file) ?? file;
  return PACKAGE_DIRS.some((dir) => path.startsWith(dir));
}

/**
 * The stack of a call into the package, captured now and formatted only when read: capturing is
 * cheap, formatting is not (Node's stack formatting, source maps), so what is not needed at once
 * can be read later (see callerSiteIn).
 */
export interface CapturedStack {
  readonly stack?: unknown;
}

/** Captures the stack below `below` (by default, the caller of captureStack). */
export function captureStack(below: (...args: never[]) => unknown = captureStack): CapturedStack {
  const holder: { stack?: unknown } = {};
  const limit = Error.stackTraceLimit;
  try {
    // Enough frames to get past the package's own, whatever the program set.
    Error.stackTraceLimit = 40;
    Error.captureStackTrace(holder, below);
  } catch {
    // A stack is a nicety: without one, nothing is lost but the location.
  } finally {
    Error.stackTraceLimit = limit;
  }
  return holder;
}

/** The user's frame that called into the package, as the captured stack shows it (source-mapped). */
export function callerSiteIn(captured: CapturedStack): SourceOrigin | undefined {
  try {
    const stack = captured.stack;
    if (typeof stack !== 'string') return undefined;
    for (const line of stack.split('\n').slice(1)) {
      const match = FRAME.exec(line);
      if (!match) continue;
      const file = match[1] as string;
      if (inPackage(file)) continue;
      return { url: file, line: Number(match[2]), column: Number(match[3]) };
    }
  } catch {
    // As above.
  }
  return undefined;
}

/** The user's frame that called into the package, as the stack shows it (source-mapped). */
export function callerSite(): SourceOrigin | undefined {
  return callerSiteIn(captureStack(callerSite));
}

/**
 * Files read during this turn of the event loop: a program that makes many functions in one go
 * reads its file once, and no text is kept past the turn.
 */
const recentSources = new Map<string, string | undefined>();

/** The text of a source file, if it is a readable local file of reasonable size. */
function readSource(file: string): string | undefined {
  if (recentSources.has(file)) return recentSources.get(file);
  const path = toPath(file);
  let text: string | undefined;
  try {
    if (path && statSync(path).size <= MAX_SOURCE_FILE) text = readFileSync(path, 'utf8');
  } catch {
    text = undefined;
  }
  if (recentSources.size === 0) setImmediate(() => recentSources.clear()).unref();
  recentSources.set(file, text);
  return text;
}

/**
 * Where a function's source text was written, near the call site: found exactly when the file
 * holds that text (plain JavaScript); otherwise (a transpiled file) the call site itself, which
 * for an inline arrow is the line it was written on.
 */
export function functionOrigin(source: string, site: SourceOrigin): SourceOrigin {
  const text = readSource(site.url);
  if (!text) return site;
  let best: SourceOrigin | undefined;
  for (let at = text.indexOf(source); at >= 0; at = text.indexOf(source, at + 1)) {
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    const column = at - before.lastIndexOf('\n');
    if (!best || Math.abs(line - site.line) < Math.abs(best.line - site.line)) {
      best = { url: site.url, line, column };
    }
  }
  return best ?? site;
}

/**
 * The name of the function whose call the user passed (`pool.applyAsync(task())` → "task"), read
 * from the caller's line of source, when it can be found there.
 */
export function calledFunctionName(
  site: SourceOrigin | undefined,
  what: string,
): string | undefined {
  if (!site) return undefined;
  const text = readSource(site.url);
  const line = text?.split('\n')[site.line - 1];
  if (!line) return undefined;
  const call =
    what === 'fn'
      ? /\.\s*(?:apply|applyAsync|submit|submitWith|map|mapAsync|starmap|starmapAsync|imap|imapUnordered)\s*\(\s*(?:[^,()]*,\s*)?(?:await\s+)?([A-Za-z_$][\w$.]*)\s*\(/
      : new RegExp(`\\b${what}\\s*:\\s*(?:await\\s+)?([A-Za-z_$][\\w$.]*)\\s*\\(`);
  return call.exec(line)?.[1];
}
