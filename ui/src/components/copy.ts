/**
 * Copy text: the Clipboard API where the page may use it (https, localhost), else the old way,
 * selecting `fallbackInput` (or a scratch text area) and asking the browser to copy.
 */
export async function copyText(text: string, fallbackInput: HTMLInputElement | null = null): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Refused (no permission): try the old way.
  }
  const scratch = fallbackInput ? null : document.createElement('textarea');
  const target = fallbackInput ?? scratch!;
  if (scratch) {
    scratch.value = text;
    scratch.setAttribute('readonly', '');
    scratch.style.cssText = 'position:fixed;top:0;left:0;opacity:0;';
    document.body.append(scratch);
  }
  target.focus();
  target.select();
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  } finally {
    scratch?.remove();
  }
}
