import type { Router } from '@koa/router';
import type { Module } from '../module.js';
import type { Logger } from '../log.js';
import type { ConfigStore } from '../config/config-store.js';
import type { HearthDatabase } from '../store/store.js';
import type { ModelManager } from '../models/models.js';
import type { Agents } from '../agents/agents.js';
import type { JobQueue } from '../agents/job-queue.js';
import type { RunEnd } from '../agents/runner.js';
import { Sampler } from './sampler.js';
import { deviceProfile } from './device-profiles.js';
import { TelemetryHistory } from './history.js';
import { EnergyMeter } from './energy.js';
import { telemetryRoutes, type TelemetryApiDeps } from './routes.js';
import { metricsRouter } from './metrics.js';
import { ThermalGovernor, governorThresholds, type BackgroundWork } from './governor.js';
import { QuietHours } from './quiet-hours.js';
import { AlertCenter } from './alerts.js';
import { alertRoutes } from './alert-routes.js';
import { telemetrySettingsRoutes } from './settings-routes.js';
import type { TelemetrySample } from './types.js';

export interface TelemetryOptions {
  config: ConfigStore;
  store: HearthDatabase;
  models: ModelManager;
  agents: Agents;
  queue: JobQueue;
  log: Logger;
  /** Fixture trees instead of /sys and /proc (tests). */
  sysRoot?: string;
  procRoot?: string;
  /** false: no sampling at all (the bench measures what sampling costs against this). */
  sampling?: boolean;
}

/**
 * The telemetry module: one sampler tick feeds the history (ring, minutes, hours), the energy meter
 * (per period, per agent run), the thermal governor, quiet hours and alerts. Nothing else wakes:
 * the live stream only listens while someone watches.
 */
export class Telemetry implements Module {
  readonly name = 'telemetry';
  readonly sampler: Sampler;
  readonly history: TelemetryHistory;
  readonly energy: EnergyMeter;
  readonly governor: ThermalGovernor;
  readonly quiet: QuietHours;
  readonly alerts: AlertCenter;
  readonly api: TelemetryApiDeps;

  constructor(private readonly options: TelemetryOptions) {
    const { config, store, models, agents, queue, log } = options;
    const intervalMs = () => config.data.telemetry.intervalSeconds * 1000;
    this.sampler = new Sampler({
      dataDir: config.dataDir,
      sysRoot: options.sysRoot,
      procRoot: options.procRoot,
      profile: () => deviceProfile(config.data.telemetry.profile),
      intervalMs,
    });
    this.history = new TelemetryHistory({ store, intervalMs });
    this.energy = new EnergyMeter({
      store,
      intervalMs,
      tariff: () => config.data.telemetry.tariff,
      agentName: (id) => agents.find(id)?.name ?? id,
      activeModel: () => models.active()?.id ?? null,
    });
    const work: BackgroundWork = {
      pause: (key, reason) => agents.runner.pause(key, reason),
      resume: (key) => agents.runner.resume(key),
      backlog: () => queue.counts().queued,
    };
    this.alerts = new AlertCenter({
      log: log.child('alerts'),
      targets: () => config.data.telemetry.alerts,
      deviceName: () => config.data.device.name,
      worker: models.worker,
    });
    this.governor = new ThermalGovernor({
      work,
      activity: agents.activity,
      alerts: this.alerts,
      threads: { setThreadLimit: (n) => models.setThreadLimit(n) },
      thresholds: () => governorThresholds(config.data.telemetry, deviceProfile(config.data.telemetry.profile).thresholds),
    });
    this.quiet = new QuietHours({ work, activity: agents.activity, settings: () => config.data.telemetry.quietHours });
    this.api = {
      latest: () => this.sampler.latest(),
      subscribe: (fn) => {
        this.sampler.on('sample', fn);
        return () => this.sampler.off('sample', fn);
      },
      history: this.history,
      energy: this.energy,
    };
  }

  private readonly onSample = (s: TelemetrySample): void => {
    this.history.add(s);
    this.energy.add(s);
    this.governor.observe(s);
    this.alerts.observe(s);
    this.quiet.check();
  };

  private readonly onRun = (end: RunEnd): void => this.energy.attributeRun(end.runId);

  async start(): Promise<void> {
    this.history.start();
    this.energy.start();
    this.sampler.on('sample', this.onSample);
    this.options.agents.runner.on('run', this.onRun);
    if (this.options.sampling !== false) this.sampler.start();
    else this.options.log.warn('sampling is off (HEARTH_TELEMETRY_SAMPLING=off): no readings, no energy, no thermal protection');
  }

  async stop(): Promise<void> {
    this.sampler.stop();
    this.sampler.off('sample', this.onSample);
    this.options.agents.runner.off('run', this.onRun);
    this.governor.stop();
    this.quiet.stop();
    await this.alerts.stop();
    this.energy.stop();
    this.history.stop();
  }

  routes(): Router[] {
    return [telemetryRoutes(this.api), alertRoutes(this.alerts), telemetrySettingsRoutes(this.options.config)];
  }

  metrics(): Router {
    return metricsRouter({
      latest: () => this.sampler.latest(),
      energy: this.energy,
      jobCounts: () => this.options.queue.counts(),
      verifyToken: (t) => this.options.models.tokens.verify(t),
    });
  }
}
