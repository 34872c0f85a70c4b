import { LitElement, css, html, nothing } from 'lit';
import type { ShareView } from '../data/shares.js';
import { copyText } from './copy.js';
import { shared } from './styles.js';

/** An address that may wrap after its slashes (and only there, unless it must). */
const breakable = (address: string) => address.split(/(?<=[/\\])/).map((part, i) => (i === 0 ? part : html`<wbr />${part}`));

/** Windows connects only on port 445: without it (a development box), there is no Windows address. */
export const noWindows = (s: ShareView): boolean => !s.connect.windows && !s.connect.windowsByIp;

export const NO_WINDOWS_TEXT = 'Windows connects only on the standard port 445, which this box does not use for sharing: connect from a Mac or Linux.';

interface Way {
  id: string;
  label: string;
  how: string;
  address: string;
}

/**
 * How to connect to one share from macOS, Windows and Linux: each address with a copy button.
 * `terminal` adds the smbclient line; `username` is who computers sign in as.
 */
export class ShareConnect extends LitElement {
  static override properties = {
    share: { attribute: false },
    terminal: { type: Boolean },
    noWindowsNote: { type: Boolean, attribute: 'no-windows-note' },
    copied: { state: true },
  };
  declare share: ShareView | undefined;
  declare terminal: boolean;
  /** The view says once, for all shares, why Windows is missing. */
  declare noWindowsNote: boolean;
  /** The way just copied (its id), or "!" + id when copying failed. */
  declare copied: string;
  private copiedTimer: number | undefined;

  constructor() {
    super();
    this.terminal = false;
    this.noWindowsNote = false;
    this.copied = '';
  }

  static override styles = [
    shared,
    css`
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        gap: 0.6rem;
      }
      li {
        display: grid;
        grid-template-columns: minmax(0, 1fr) auto;
        gap: 0.15rem 0.75rem;
        align-items: center;
        padding: 0.6rem 0.75rem;
        border-radius: var(--hearth-radius-sm);
        background: var(--hearth-surface-2);
        border: 1px solid var(--hearth-border);
      }
      .os {
        font-size: 0.85rem;
        color: var(--hearth-muted);
      }
      .os strong {
        color: var(--hearth-text);
      }
      .address {
        grid-column: 1;
        font-family: var(--hearth-mono);
        font-size: 0.9rem;
        overflow-wrap: anywhere;
        user-select: all;
      }
      button {
        grid-column: 2;
        grid-row: 1 / span 2;
        min-width: 5.2rem;
      }
      /* On a phone the address gets the whole width, the button sits by the label. */
      @media (max-width: 480px) {
        li {
          padding: 0.55rem 0.65rem;
        }
        .address {
          grid-column: 1 / -1;
          font-size: 0.84rem;
        }
        button {
          grid-row: 1;
          min-width: 4.5rem;
          min-height: 2.2rem;
          padding-inline: 0.7rem;
        }
      }
      .note {
        font-size: 0.85rem;
        color: var(--hearth-muted);
        margin: 0;
      }
    `,
  ];

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.clearTimeout(this.copiedTimer);
  }

  private ways(s: ShareView): Way[] {
    const c = s.connect;
    const ways: Way[] = [{ id: 'macos', label: 'macOS', how: 'Finder › Go › Connect to Server', address: c.macos }];
    if (c.windows) ways.push({ id: 'windows', label: 'Windows', how: 'File Explorer’s address bar', address: c.windows });
    if (c.windowsByIp) ways.push({ id: 'windows-ip', label: c.windows ? 'Windows, by address' : 'Windows', how: 'File Explorer’s address bar', address: c.windowsByIp });
    ways.push({ id: 'linux', label: 'Linux', how: 'Files › Other Locations › Connect to Server', address: c.linux });
    if (this.terminal) ways.push({ id: 'terminal', label: 'Terminal', how: 'smbclient', address: c.smbclient });
    return ways;
  }

  private async copy(w: Way): Promise<void> {
    const ok = await copyText(w.address);
    this.copied = ok ? w.id : `!${w.id}`;
    window.clearTimeout(this.copiedTimer);
    this.copiedTimer = window.setTimeout(() => (this.copied = ''), 2500);
  }

  protected override render() {
    const s = this.share;
    if (!s) return nothing;
    const ways = this.ways(s);
    const copied = ways.find((w) => this.copied === w.id || this.copied === `!${w.id}`);
    return html`<ul aria-label=${`How to connect to ${s.name}`}>
        ${ways.map(
          (w) => html`<li data-os=${w.id}>
            <span class="os"><strong>${w.label}</strong> · ${w.how}</span>
            <span class="address">${breakable(w.address)}</span>
            <button class="btn small secondary" type="button" @click=${() => void this.copy(w)}>
              ${this.copied === w.id ? 'Copied' : 'Copy'}<span class="visually-hidden"> the ${w.label} address of ${s.name}</span>
            </button>
          </li>`,
        )}
      </ul>
      ${s.connect.windows || s.connect.windowsByIp || this.noWindowsNote
        ? nothing
        : html`<p class="note">${NO_WINDOWS_TEXT}</p>`}
      <p class="visually-hidden" role="status">${copied
        ? this.copied.startsWith('!')
          ? `Could not copy: select the ${copied.label} address and copy it yourself.`
          : `${copied.label} address copied.`
        : ''}</p>`;
  }
}
customElements.define('hearth-share-connect', ShareConnect);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-share-connect': ShareConnect;
  }
}
