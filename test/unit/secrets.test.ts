import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  generateSetupCode,
  groupSetupCode,
  hashSecret,
  normalizeSetupCode,
  SETUP_CODE_ALPHABET,
  verifySecret,
} from '../../appliance/src/auth/secrets.js';

test('setup codes are 8 characters from the unambiguous alphabet and differ', () => {
  const codes = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const c = generateSetupCode();
    assert.equal(c.length, 8);
    for (const ch of c) assert.ok(SETUP_CODE_ALPHABET.includes(ch), `${ch} in alphabet`);
    codes.add(c);
  }
  assert.ok(codes.size > 195, 'random per call');
  for (const ambiguous of '01ILO') assert.ok(!SETUP_CODE_ALPHABET.includes(ambiguous));
});

test('setup codes are shown grouped and typed back loosely', () => {
  assert.equal(groupSetupCode('K7QM2XPD'), 'K7QM-2XPD');
  assert.equal(normalizeSetupCode('k7qm-2xpd'), 'K7QM2XPD');
  assert.equal(normalizeSetupCode(' K7QM 2XPD '), 'K7QM2XPD');
  assert.equal(normalizeSetupCode('K7QM-2XP'), null);
  assert.equal(normalizeSetupCode('K7QM-2XP0'), null, '0 is not in the alphabet');
  assert.equal(normalizeSetupCode('A'.repeat(10_000)), null);
});

test('scrypt hashes verify the right secret only', async () => {
  const h = await hashSecret('correct horse battery');
  assert.match(h, /^scrypt\$32768\$8\$1\$/);
  assert.equal(await verifySecret('correct horse battery', h), true);
  assert.equal(await verifySecret('correct horse batterY', h), false);
  assert.notEqual(await hashSecret('correct horse battery'), h, 'salted');
  assert.equal(await verifySecret('x', 'not-a-hash'), false);
});
