// Where a new inline function was written: captured from the stack of the call that first issues
// it, read (the stack formatted, the caller's file searched) only when its definition is first
// needed, or at the end of the turn. Whenever it is read, it names the line of the call.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import { functionRecord } from '../../src/functions/functions.js';
import type { InlineFunctionDef } from '../../src/protocol/functions.js';

/** The line of the caller, as its stack shows it (source-mapped under tsx). */
function lineHere(): number {
  const stack = String(new Error().stack).split('\n')[2] as string;
  return Number(/:(\d+):\d+\)?$/.exec(stack)?.[1]);
}

function originOf(record: ReturnType<typeof functionRecord>): InlineFunctionDef['origin'] {
  return (record.def as InlineFunctionDef).origin;
}

describe('the origin of an inline function', () => {
  test('read at once: the line of the call', () => {
    const [record, line] = [functionRecord(() => 'origin read at once'), lineHere()] as const;
    const origin = originOf(record);
    assert.ok(origin, 'an origin');
    assert.match(origin.url, /function-origin\.test\.ts$/);
    assert.equal(origin.line, line);
  });

  test('read in a later turn, from another stack: still the line of the call', async () => {
    const [record, line] = [functionRecord(() => 'origin read later'), lineHere()] as const;
    await turn();
    await turn();
    const origin = await new Promise<InlineFunctionDef['origin']>((resolve) =>
      setTimeout(() => resolve(originOf(record)), 1),
    );
    assert.ok(origin, 'an origin');
    assert.equal(origin.line, line);
  });

  test('the same source issued again keeps its first record and origin', () => {
    const make = () => () => 'issued twice';
    const [first, line] = [functionRecord(make()), lineHere()] as const;
    const second = functionRecord(make());
    assert.equal(second.id, first.id);
    assert.equal(originOf(second)?.line, line);
  });
});
