import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkShareDescription, checkShareName } from '../../appliance/src/shares/share-names.js';

const refused = (input: unknown, existing: string[] = [], renaming?: string) => {
  const r = checkShareName(input, existing, renaming);
  assert.equal(r.ok, false, `${JSON.stringify(input)} should be refused`);
  return (r as { error: string }).error;
};

test('plain names pass, trimmed and NFC-normalised', () => {
  assert.deepEqual(checkShareName('  Inbox '), { ok: true, value: 'Inbox' });
  assert.deepEqual(checkShareName('Cafe\u0301 Notes'), { ok: true, value: 'Caf\u00e9 Notes' });
  assert.deepEqual(checkShareName('x'.repeat(64)), { ok: true, value: 'x'.repeat(64) });
});

test('the bad input of the issue is refused with a reason', () => {
  assert.match(refused('a/b'), /"\/"/);
  assert.match(refused('a\\b'), /"\\"/);
  assert.match(refused('..'), /\.\./);
  assert.match(refused('a..b'), /\.\./);
  assert.match(refused('x'.repeat(100)), /too long \(100 characters\)/);
  assert.match(refused('x'.repeat(65)), /use at most 64/);
  for (const reserved of ['homes', 'HOMES', 'global', 'printers', 'IPC$', 'print$']) assert.match(refused(reserved), /Samba reserves/);
  assert.match(refused('inbox', ['Inbox']), /already a share named "Inbox" \(share names ignore upper and lower case\)/);
  assert.match(refused('Inbox', ['Inbox']), /already a share named "Inbox"\.$/);
});

test('other names Samba or Windows cannot take are refused', () => {
  for (const bad of ['a[b]', 'a:b', 'a*', 'a?', 'a"b', 'a<b', 'a|b', 'a=b', 'a;b', 'a,b', '50%', 'a\u0000b', 'a\nb']) refused(bad);
  assert.match(refused('.hidden'), /start with a dot/);
  assert.match(refused('trailing.'), /end with a dot/);
  assert.match(refused(''), /Give the share a name/);
  assert.match(refused(null), /must be text/);
});

test('a rename may keep the name or change only its case', () => {
  assert.deepEqual(checkShareName('INBOX', ['Inbox', 'Notes'], 'Inbox'), { ok: true, value: 'INBOX' });
  refused('notes', ['Inbox', 'Notes'], 'Inbox');
});

test('descriptions: optional, at most 200 characters, one line', () => {
  assert.deepEqual(checkShareDescription(undefined), { ok: true, value: '' });
  assert.deepEqual(checkShareDescription('  two   words '), { ok: true, value: 'two words' });
  assert.equal(checkShareDescription('d'.repeat(201)).ok, false);
  assert.equal(checkShareDescription(5).ok, false);
});
