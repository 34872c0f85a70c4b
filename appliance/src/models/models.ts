import type { Module } from '../module.js';

/** Place for the models module; its issue fills it in. Started and stopped in order like the rest. */
export class ModelManager implements Module {
  readonly name = 'models';
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}
