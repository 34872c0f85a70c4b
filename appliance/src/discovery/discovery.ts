import type { ConfigStore } from '../config/config-store.js';
import type { Device } from '../device/device.js';
import type { Logger } from '../log.js';
import type { Module } from '../module.js';

export interface DiscoveryOptions {
  config: ConfigStore;
  device: Device;
  /** The HTTP port actually bound (known only after the http module started). */
  port: () => number;
  log: Logger;
  /** How often to look for new or changed interface addresses. */
  interfaceCheckMs?: number;
}

/** mDNS announcements (filled in by the discovery work). */
export class Discovery implements Module {
  readonly name = 'discovery';
  constructor(private readonly options: DiscoveryOptions) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}
