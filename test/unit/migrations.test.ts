import { test } from 'node:test';
import assert from 'node:assert/strict';
import { migrate, ConfigTooNewError, type Migration } from '../../appliance/src/config/migrations.js';
import { configSchema } from '../../appliance/src/config/schema.js';
import { freshConfig } from '../../appliance/src/config/config-store.js';

test('migrations run in order from the file’s version', () => {
  const list: Migration[] = [(d) => ({ ...d, a: 1, version: 1 }), (d) => ({ ...d, b: (d.a as number) + 1, version: 2 })];
  assert.deepEqual(migrate({ x: true }, list), { x: true, a: 1, b: 2, version: 2 });
  assert.deepEqual(migrate({ version: 1, a: 5 }, list), { version: 2, a: 5, b: 6 });
  assert.deepEqual(migrate({ version: 2, a: 0, b: 0 }, list), { version: 2, a: 0, b: 0 });
});

test('a file from a newer Hearth is refused with a reason', () => {
  assert.throws(() => migrate({ version: 9 }, []), ConfigTooNewError);
  assert.throws(() => migrate([], []), /not a JSON object/);
  assert.throws(() => migrate({ version: 'x' }, []), /invalid version/);
});

test('a version-0 file (before versioning) migrates to a valid current config', () => {
  const current = freshConfig();
  const { version: _v, models: _m, shares: _s, agents: _a, telemetry: _t, ...v0 } = current;
  const migrated = migrate(v0);
  assert.deepEqual(configSchema.parse(migrated), current);
});
