import type { Module } from '../module.js';

/** Place for the telemetry module; its issue fills it in. Started and stopped in order like the rest. */
export class Telemetry implements Module {
  readonly name = 'telemetry';
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}
