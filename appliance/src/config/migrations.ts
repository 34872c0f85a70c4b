/**
 * Migrations turn a config written by an older Hearth into the current shape.
 * Entry i upgrades version i to version i + 1; files without a version are version 0.
 */
export type Migration = (data: Record<string, unknown>) => Record<string, unknown>;

export const migrations: Migration[] = [
  // 0 -> 1: development builds before versioning had no `version` and no module places.
  (data) => ({ models: {}, shares: [], agents: [], telemetry: {}, ...data, version: 1 }),
  // 1 -> 2: shares became real (version 1 only ever held an empty placeholder list) and SMB settings appeared.
  (data) => {
    const owner = (data.auth as { owner?: { username?: unknown } | null } | undefined)?.owner;
    const username = typeof owner?.username === 'string' ? owner.username : '';
    return { ...data, shares: [], smb: { username, passwordSetAt: null }, ...(data.smb ? { smb: data.smb } : {}), version: 2 };
  },
];

export class ConfigTooNewError extends Error {
  constructor(readonly found: number, readonly known: number) {
    super(
      `config.json was written by a newer Hearth (config version ${found}; this build knows up to ${known}). ` +
        'Install that version again, or restore a backup made by this one.',
    );
  }
}

export function migrate(raw: unknown, list: Migration[] = migrations): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('config.json is not a JSON object');
  let data = raw as Record<string, unknown>;
  const from = data.version === undefined ? 0 : data.version;
  if (typeof from !== 'number' || !Number.isInteger(from) || from < 0) throw new Error(`config.json has an invalid version: ${String(from)}`);
  if (from > list.length) throw new ConfigTooNewError(from, list.length);
  for (let v = from; v < list.length; v++) data = list[v]!(data);
  return data;
}
