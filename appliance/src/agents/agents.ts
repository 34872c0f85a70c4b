import type { Module } from '../module.js';
import type { Logger } from '../log.js';
import type { JobQueue } from './job-queue.js';

/** The agents module; its issue fills it in. For now it owns the queue's start-up recovery. */
export class AgentRunner implements Module {
  readonly name = 'agents';
  constructor(private readonly queue: JobQueue, private readonly log: Logger) {}

  async start(): Promise<void> {
    const { requeued, dead } = this.queue.requeueInterrupted();
    if (requeued || dead) this.log.warn(`jobs cut off by the last stop: ${requeued} queued again, ${dead} out of attempts`);
  }

  async stop(): Promise<void> {}
}
