import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDeviceName, checkHostname, slugifyHostname } from '../../appliance/src/device/names.js';

test('device names are trimmed and inner space folded', () => {
  assert.deepEqual(checkDeviceName('  Kitchen   Hearth  '), { ok: true, value: 'Kitchen Hearth' });
});

test('unicode names are kept, counted in UTF-8 bytes', () => {
  assert.deepEqual(checkDeviceName('Küche 🔥'), { ok: true, value: 'Küche 🔥' });
  const r = checkDeviceName('é'.repeat(40)); // 80 bytes
  assert.equal(r.ok, false);
  assert.match((r as { error: string }).error, /80 bytes/);
});

test('a 300-character name is refused with the rule stated, not cut', () => {
  const r = checkDeviceName('x'.repeat(300));
  assert.equal(r.ok, false);
  assert.match((r as { error: string }).error, /at most 63 bytes/);
});

test('empty, non-text and control-character names are refused', () => {
  assert.equal(checkDeviceName('   ').ok, false);
  assert.equal(checkDeviceName(42).ok, false);
  assert.equal(checkDeviceName('a\u0007b').ok, false);
});

test('host names are slugified', () => {
  assert.equal(slugifyHostname('Küche Nord!'), 'kuche-nord');
  assert.equal(slugifyHostname('--My__Box--'), 'my-box');
  assert.equal(slugifyHostname('x'.repeat(100)).length, 63);
  assert.deepEqual(checkHostname('Kitchen.local'), { ok: true, value: 'kitchen' });
  assert.deepEqual(checkHostname(''), { ok: true, value: '' });
  assert.equal(checkHostname('🔥🔥').ok, false);
  assert.equal(checkHostname('hearth-1a2b').ok, false, 'another box’s factory name is refused');
});
