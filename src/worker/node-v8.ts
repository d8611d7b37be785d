/**
 * `node:v8`, loaded when the thread first needs it: to read arguments serialized at the call, or
 * to serialize a task's progress values. Most threads never do, and loading it up front would
 * add about a millisecond to every thread's start. The worker bundles are CommonJS: `require` is
 * this module's own, out of reach of task code.
 */
import type * as V8 from 'node:v8';

let v8: typeof V8 | undefined;

export function nodeV8(): typeof V8 {
  v8 ??= require('node:v8') as typeof V8;
  return v8;
}
