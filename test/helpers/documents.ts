import JSZip from 'jszip';

/** Text inside makeHtml's <script>; extraction must never return it. */
export const HTML_SCRIPT_MARKER = 'scriptMarkerMustNotAppear';
/** Text inside makeHtml's <style>; extraction must never return it. */
export const HTML_STYLE_MARKER = 'styleMarkerMustNotAppear';

const LINES_PER_PAGE = 40;

/** PDF literal strings: backslash, parentheses escaped; characters outside Latin-1 become '?' (WinAnsi cannot show them). */
function pdfString(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\' || ch === '(' || ch === ')') out += `\\${ch}`;
    else if (code < 0x20 || code > 0xff) out += '?';
    else out += ch;
  }
  return `(${out})`;
}

/**
 * A real minimal PDF 1.4: Helvetica with WinAnsiEncoding, one Tj per line, 40 lines a page,
 * xref offsets counted in bytes. Written by hand so tests do not depend on a PDF writer.
 */
export function makePdf(lines: string[]): Buffer {
  const pages: string[][] = [];
  for (let i = 0; i < lines.length; i += LINES_PER_PAGE) pages.push(lines.slice(i, i + LINES_PER_PAGE));
  if (pages.length === 0) pages.push([]);

  // Object numbers: 1 catalog, 2 page tree, 3 font, then a page and its content stream per page.
  const pageObject = (index: number) => 4 + index * 2;
  const objects: string[] = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${pages.map((_, i) => `${pageObject(i)} 0 R`).join(' ')}] /Count ${pages.length} >>`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
  ];
  pages.forEach((pageLines, i) => {
    const content = ['BT', '/F1 12 Tf', '72 760 Td'];
    pageLines.forEach((line, n) => {
      if (n > 0) content.push('0 -16 Td');
      content.push(`${pdfString(line)} Tj`);
    });
    content.push('ET');
    const stream = content.join('\n');
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${pageObject(i) + 1} 0 R >>`,
      `<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`,
    );
  });

  // Every character is one byte in latin1, so string lengths are byte offsets.
  let pdf = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xrefAt = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) pdf += `${String(offset).padStart(10, '0')} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A real .docx (OOXML zip) with one w:p per paragraph: the three parts Word and mammoth need. */
export async function makeDocx(paragraphs: string[]): Promise<Buffer> {
  const zip = new JSZip();
  zip.file(
    '[Content_Types].xml',
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
      '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
      '<Default Extension="xml" ContentType="application/xml"/>' +
      '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>' +
      '</Types>',
  );
  zip.file(
    '_rels/.rels',
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
      '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
      '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>' +
      '</Relationships>',
  );
  const body = paragraphs
    .map((p) => `<w:p><w:r><w:t xml:space="preserve">${xmlEscape(p)}</w:t></w:r></w:p>`)
    .join('');
  zip.file(
    'word/document.xml',
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
      '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">' +
      `<w:body>${body}</w:body></w:document>`,
  );
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

function htmlEscape(text: string): string {
  return xmlEscape(text).replace(/'/g, '&#39;');
}

/** An HTML page whose head, <script> and <style> carry text that is not content. */
export function makeHtml(title: string, paragraphs: string[]): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${htmlEscape(title)}</title>`,
    `<style>.${HTML_STYLE_MARKER} { color: red; } body > p::after { content: "styleText"; }</style>`,
    `<script>var ${HTML_SCRIPT_MARKER} = "<p>not a paragraph</p>"; if (1 < 2) { console.log('x'); }</script>`,
    '</head>',
    '<body>',
    `<h1>${htmlEscape(title)}</h1>`,
    ...paragraphs.map((p) => `<p class="body">\n  ${htmlEscape(p)}\n</p>`),
    `<script type="module">document.title = '${HTML_SCRIPT_MARKER}';</script>`,
    '</body>',
    '</html>',
  ].join('\n');
}
