import { z } from 'zod';

/** The version this build writes; older files are migrated up on load (see migrations.ts). */
export const CONFIG_VERSION = 1;

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
  // Places for the later modules; each issue fills its own.
  models: z.object({}).passthrough(),
  shares: z.array(z.unknown()),
  agents: z.array(z.unknown()),
  telemetry: z.object({}).passthrough(),
});

export type Config = z.infer<typeof configSchema>;
export type Session = z.infer<typeof sessionSchema>;
export type Owner = z.infer<typeof ownerSchema>;
