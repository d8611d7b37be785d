// What the run was measured on, for the report and latest.json.
import { spawnSync } from 'node:child_process';
import os from 'node:os';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  python: string | undefined;
  loadAverage: number[];
}

export function pythonVersion(): string | undefined {
  const result = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  if (result.status !== 0) return undefined;
  return (result.stdout || result.stderr).trim().replace(/^Python /, '');
}

export function describeMachine(): Machine {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    python: pythonVersion(),
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export function machineLine(m: Machine): string {
  const python = m.python ? `Python ${m.python}` : 'no python3';
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, ${m.os}; Node.js ${m.node.slice(1)}, ${python}`;
}
