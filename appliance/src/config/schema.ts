import { z } from 'zod';

/** The version this build writes; older files are migrated up on load (see migrations.ts). */
export const CONFIG_VERSION = 2;

export const WIZARD_STEPS = ['claim', 'owner', 'name', 'finish'] as const;
export type WizardStep = (typeof WIZARD_STEPS)[number];

const isoDate = z.string().datetime({ offset: true });

export const sessionSchema = z.object({
  /** sha256 of the cookie value: a copy of config.json never holds a usable session. */
  idHash: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: isoDate,
  expiresAt: isoDate,
});

export const ownerSchema = z.object({
  username: z.string().min(1).max(32),
  /** null after `hearth reset-password`: the account and its data stay, a new password is set by claiming again. */
  passwordHash: z.string().nullable(),
  createdAt: isoDate,
  passwordChangedAt: isoDate,
});

export const installedModelSchema = z.object({
  id: z.string().min(1).max(100),
  /** File name under <data>/models. */
  file: z.string().min(1),
  name: z.string(),
  sizeBytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
  source: z.string(),
  addedAt: isoDate,
});

export const modelsSchema = z
  .object({
    /** The installed model everything uses, by id. */
    active: z.string().nullable().default(null),
    installed: z.array(installedModelSchema).default([]),
    /** Unload after this many idle minutes (0 keeps it loaded). */
    keepAliveMinutes: z.number().min(0).max(24 * 60).default(10),
    contextSize: z.number().int().min(256).max(131072).default(4096),
    /** Measured on this machine at first load (thread count and streams decoded together), keyed by CPU. */
    calibration: z
      .object({ machine: z.string(), threads: z.number().int().min(1), parallel: z.number().int().min(1), measuredAt: isoDate })
      .nullable()
      .default(null),
  })
  .passthrough();

export const apiTokenSchema = z.object({
  name: z.string().min(1).max(64),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  /** The first characters, so the owner can tell tokens apart. */
  hint: z.string(),
  createdAt: isoDate,
});

/** Agent access to a share's files, always through the path guard. */
export const SHARE_AGENT_ACCESS = ['none', 'read', 'read-write'] as const;

export const shareSchema = z.object({
  /** Also the SMB share name; unique case-insensitively (see shares/share-names.ts). */
  name: z.string().min(1).max(64),
  description: z.string().max(200).default(''),
  /** Absolute real path of the folder. */
  path: z.string().startsWith('/'),
  /** true when Hearth made the folder under <data>/shares/<name>: only then may it rename or delete it. */
  managed: z.boolean(),
  /** Shared over SMB on the LAN. */
  network: z.boolean().default(true),
  /** Read-only over the network. */
  readOnly: z.boolean().default(false),
  agents: z.enum(SHARE_AGENT_ACCESS).default('none'),
  /** Ids of the agents that watch this share (filled in by the agents module). */
  watchedBy: z.array(z.string()).default([]),
  createdAt: isoDate,
});

export const smbSchema = z.object({
  /** The SMB login: the owner's user name, mapped onto the daemon's own Unix user. */
  username: z.string().max(32).default(''),
  /** When the SMB password was last set; the password itself lives only in Samba's passdb. */
  passwordSetAt: isoDate.nullable().default(null),
});

export const AGENT_KINDS = ['librarian', 'briefing', 'custom'] as const;
export const AGENT_ID = /^[a-z0-9][a-z0-9-]{0,39}$/;

export const agentTriggerSchema = z.discriminatedUnion('type', [
  /** New or changed files in the agent's shares. */
  z.object({ type: z.literal('folder') }),
  /** A cron expression in a time zone (null: the box's); catchUp runs a slot missed while the box was off, at start-up. */
  z.object({ type: z.literal('schedule'), cron: z.string().min(1).max(100), timezone: z.string().max(64).nullable().default(null), catchUp: z.boolean().default(true) }),
  /** Only when the owner says "run now". */
  z.object({ type: z.literal('manual') }),
]);

export const agentSchema = z.object({
  id: z.string().regex(AGENT_ID),
  kind: z.enum(AGENT_KINDS),
  name: z.string().min(1).max(64),
  enabled: z.boolean().default(false),
  /** Paused by the owner: triggers still queue work, nothing runs until resumed. */
  paused: z.boolean().default(false),
  trigger: agentTriggerSchema,
  /** Shares the agent reads (and, with a folder trigger, watches); each must allow agents. */
  shares: z.array(z.string()).default([]),
  /** Write a Markdown note per result into this share (it must allow agents to write) and folder; null: no notes. */
  note: z.object({ share: z.string(), folder: z.string().max(200).default('') }).nullable().default(null),
  /** Keep results in the library. */
  library: z.boolean().default(true),
  /** The owner's instructions (custom agents). */
  instructions: z.string().max(4000).default(''),
  createdAt: isoDate,
});

export const agentSettingsSchema = z.object({
  /** Paused by the owner: no background job starts until resumed. */
  paused: z.boolean().default(false),
  /** Background jobs running at once. */
  concurrency: z.number().int().min(1).max(8).default(1),
});

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/);

export const DEVICE_PROFILES = ['generic', 'rtx-spark'] as const;

export const telemetrySchema = z
  .object({
    /** Seconds between samples (1 to 60). */
    intervalSeconds: z.number().int().min(1).max(60).default(1),
    /** For the power estimate where no sensor exists, and the default thermal thresholds. */
    profile: z.enum(DEVICE_PROFILES).default('generic'),
    /** The owner's electricity price; off-peak hours at another price, optionally. */
    tariff: z
      .object({
        currency: z.string().min(1).max(8).default('EUR'),
        pricePerKwh: z.number().min(0).max(100).default(0.3),
        offPeak: z.object({ start: clock, end: clock, pricePerKwh: z.number().min(0).max(100) }).nullable().default(null),
      })
      .default({ currency: 'EUR', pricePerKwh: 0.3, offPeak: null }),
    /** °C; null uses the profile's defaults. */
    thresholds: z.object({ warnC: z.number().min(30).max(120), throttleC: z.number().min(30).max(120), criticalC: z.number().min(30).max(130) }).nullable().default(null),
    /** Heavy background work (a large backlog) held to this window; null: any time. */
    quietHours: z.object({ start: clock, end: clock, backlog: z.number().int().min(1).max(100000).default(20) }).nullable().default(null),
    /** Where alerts go besides the UI: a webhook (JSON POST) and/or an ntfy topic URL the owner gives. */
    alerts: z.object({ webhookUrl: z.string().url().nullable().default(null), ntfyUrl: z.string().url().nullable().default(null) }).default({ webhookUrl: null, ntfyUrl: null }),
  })
  .passthrough();

export const configSchema = z.object({
  version: z.literal(CONFIG_VERSION),
  device: z.object({
    id: z.string().uuid(),
    suffix: z.string().regex(/^[0-9a-f]{4}$/),
    name: z.string().min(1),
    /** Optional custom host name ("kitchen" answers as kitchen.local); the factory name always answers too. */
    hostname: z.string(),
    createdAt: isoDate,
  }),
  setup: z.object({
    state: z.enum(['pending', 'complete']),
    step: z.enum(WIZARD_STEPS),
    completedAt: isoDate.nullable(),
  }),
  auth: z.object({
    /** scrypt hash of the setup code; null once the box is claimed. */
    setupCodeHash: z.string().nullable(),
    owner: ownerSchema.nullable(),
    sessions: z.array(sessionSchema),
  }),
  models: modelsSchema,
  /** Bearer tokens for the OpenAI-compatible API, made by the owner; only their sha256 is kept. */
  apiTokens: z.array(apiTokenSchema).default([]),
  shares: z.array(shareSchema),
  smb: smbSchema,
  agents: z.array(agentSchema),
  agentSettings: agentSettingsSchema.default({ paused: false, concurrency: 1 }),
  telemetry: telemetrySchema.prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type Session = z.infer<typeof sessionSchema>;
export type Owner = z.infer<typeof ownerSchema>;
export type InstalledModel = z.infer<typeof installedModelSchema>;
export type ApiToken = z.infer<typeof apiTokenSchema>;
export type Share = z.infer<typeof shareSchema>;
export type ShareAgentAccess = (typeof SHARE_AGENT_ACCESS)[number];
export type SmbSettings = z.infer<typeof smbSchema>;
export type AgentConfig = z.infer<typeof agentSchema>;
export type AgentKind = (typeof AGENT_KINDS)[number];
export type AgentTrigger = z.infer<typeof agentTriggerSchema>;
export type AgentSettings = z.infer<typeof agentSettingsSchema>;
export type TelemetrySettings = z.infer<typeof telemetrySchema>;
export type DeviceProfile = (typeof DEVICE_PROFILES)[number];
