import type { Module } from '../module.js';

/** Place for the agents module; its issue fills it in. Started and stopped in order like the rest. */
export class AgentRunner implements Module {
  readonly name = 'agents';
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}
