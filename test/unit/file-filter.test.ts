import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIgnoredFile } from '../../appliance/src/agents/triggers/file-filter.js';

test('lock, swap, partial and metadata files are ignored', () => {
  for (const path of [
    '~$report.docx',
    'Letters/~$brief.docx',
    '.~lock.budget.ods#',
    '.DS_Store',
    '._invoice.pdf',
    'Thumbs.db',
    'thumbs.DB',
    'desktop.ini',
    'Desktop.ini',
    'film.mkv.part',
    'a.tmp',
    'B.TMP',
    'setup.exe.crdownload',
    '.notes.md.swp',
    'notes.md.swp',
    'notes.md~',
    'scan.pdf.partial',
    'x.pdf.download/x.pdf',
  ]) {
    assert.equal(isIgnoredFile(path), true, path);
  }
});

test('hidden files and anything in a hidden folder (.hearth included) are ignored', () => {
  for (const path of ['.hidden', '.hearth/tmp/upload-1', 'Docs/.git/config', '.Trash-1000/files/a.pdf', '$RECYCLE.BIN/x.pdf']) {
    assert.equal(isIgnoredFile(path), true, path);
  }
});

test('ordinary documents are not ignored, whatever their case or folder', () => {
  for (const path of [
    'invoice.pdf',
    'Letters/2026/Tax return.docx',
    'notes.md',
    'Thumbs.db.pdf',
    'partial.pdf',
    'tmp/report.txt',
    'temp-notes.txt',
    'a~b.txt',
    'Ünïcödé ñame.html',
    'x.part.pdf',
  ]) {
    assert.equal(isIgnoredFile(path), false, path);
  }
});

test('an empty path is not a file', () => {
  assert.equal(isIgnoredFile(''), true);
  assert.equal(isIgnoredFile('/'), true);
});
