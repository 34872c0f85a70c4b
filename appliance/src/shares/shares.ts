import type { Module } from '../module.js';

/** Place for the shares module; its issue fills it in. Started and stopped in order like the rest. */
export class ShareManager implements Module {
  readonly name = 'shares';
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}
