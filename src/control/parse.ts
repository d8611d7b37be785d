/**
 * The checks of the control options every issuing method takes (`signal`, `timeout`, and where a
 * single task is issued, `onProgress`), run synchronously at the call like every other check.
 */
import { expectDuration, expectFunction, expectSignal } from '../options/validate.js';
import { type Aborter, CallControl, type ControlSettings } from './call-control.js';

/** The option names, for the lists of keys each method accepts. */
export const CONTROL_KEYS = ['signal', 'timeout'] as const;
export const PROGRESS_KEYS = ['signal', 'timeout', 'onProgress'] as const;

/**
 * The control settings of a call with these (already key-checked) options, or undefined when it
 * asks for none: the common case costs three property reads. Nothing is listened to yet (see
 * `controlOf`), so a call that fails a later check leaves nothing behind.
 */
export function parseControl(options: Record<string, unknown>): ControlSettings | undefined {
  const { signal, timeout, onProgress } = options;
  if (signal === undefined && timeout === undefined && onProgress === undefined) return undefined;
  const settings: ControlSettings = {
    signal: signal === undefined ? undefined : expectSignal(signal),
    timeout: timeout === undefined ? Number.POSITIVE_INFINITY : expectDuration('timeout', timeout),
    onProgress: undefined,
  };
  if (onProgress !== undefined) {
    expectFunction('onProgress', onProgress);
    settings.onProgress = onProgress as (value: unknown) => void;
  }
  return settings;
}

/** The call's control, once every check has passed (it starts listening to the signal). */
export function controlOf(
  engine: Aborter,
  settings: ControlSettings | undefined,
): CallControl | undefined {
  return settings === undefined ? undefined : new CallControl(engine, settings);
}
