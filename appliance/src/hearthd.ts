#!/usr/bin/env node
import { daemonSettings, runDaemon } from './daemon.js';

// The daemon on its own: `hearthd [--dev]`, the same as `hearth serve`.
const dev = process.argv.includes('--dev') || process.env.HEARTH_DEV === '1';
await runDaemon(daemonSettings(process.env, dev));
