import { html, css, type TemplateResult } from 'lit';
import { checkDeviceName, checkHostname, slugifyHostname } from '../data/names.js';
import { field } from './form.js';
import { icon } from './icons.js';

export interface NameFieldsOptions {
  name: string;
  hostname: string;
  /** "hearth-ab12": it keeps answering whatever the owner picks. */
  factoryHostname: string;
  errors: Record<string, string>;
  onName: (value: string) => void;
  onHostname: (value: string) => void;
}

/** What the host name field will become, with the very rules hearthd applies. */
export function hostnamePreview(hostname: string): { kind: 'none' } | { kind: 'ok'; local: string } | { kind: 'bad'; message: string } {
  if (hostname.trim() === '') return { kind: 'none' };
  const check = checkHostname(hostname);
  return check.ok ? { kind: 'ok', local: `${check.value}.local` } : { kind: 'bad', message: check.error };
}

/** Check both names before asking the server; errors by field id. */
export function checkNameFields(name: string, hostname: string): Record<string, string> {
  const errors: Record<string, string> = {};
  const n = checkDeviceName(name);
  if (!n.ok) errors.name = n.error;
  const h = checkHostname(hostname);
  if (!h.ok) errors.hostname = h.error;
  return errors;
}

/** Display name + optional host name with a live `<slug>.local` preview (setup step and Settings). */
export function nameFields(o: NameFieldsOptions): TemplateResult {
  const preview = hostnamePreview(o.hostname);
  const factory = `${o.factoryHostname}.local`;
  const suggestion = slugifyHostname(o.name) || 'kitchen';
  return html`
    ${field({
      id: 'name',
      label: 'Name',
      value: o.name,
      autocomplete: 'off',
      hint: 'Shown on your network, for example in your file browser and in other apps. Up to 63 characters.',
      error: o.errors.name,
      onInput: o.onName,
    })}
    ${field({
      id: 'hostname',
      label: html`Host name <span class="optional">(optional)</span>`,
      value: o.hostname,
      autocomplete: 'off',
      plain: true,
      placeholder: suggestion,
      suffix: '.local',
      describedBy: 'hostname-preview',
      error: o.errors.hostname,
      onInput: o.onHostname,
    })}
    <div class="preview ${preview.kind === 'bad' && o.errors.hostname ? 'none' : preview.kind}" id="hostname-preview" aria-live="polite">
      ${icon(preview.kind === 'bad' && !o.errors.hostname ? 'alert' : 'globe', 18)}
      <p>
        ${preview.kind === 'ok'
          ? html`Your box will answer at <strong class="mono break" data-preview>${preview.local}</strong>.
              <span class="factory"><strong class="mono">${factory}</strong> keeps working too.</span>`
          : preview.kind === 'bad'
            ? // Once the field shows the same message as an error, say it only once.
              o.errors.hostname
              ? html`<strong class="mono">${factory}</strong> always works, whatever host name you choose.`
              : html`${preview.message} <span class="factory"><strong class="mono">${factory}</strong> always works.</span>`
            : html`Your box answers at <strong class="mono">${factory}</strong>. Add a host name for an address that is easier to
                remember; the factory name keeps working too.`}
      </p>
    </div>
  `;
}

export const nameFieldStyles = css`
  .preview {
    display: flex;
    gap: 0.6rem;
    align-items: flex-start;
    margin-top: -0.35rem;
    padding: 0.75rem 0.9rem;
    border-radius: var(--hearth-radius-sm);
    background: var(--hearth-surface-2);
    border: 1px solid var(--hearth-border);
    color: var(--hearth-muted);
    font-size: 0.92rem;
  }
  .preview p {
    margin: 0;
    min-width: 0;
  }
  .preview .icon {
    margin-top: 0.1rem;
  }
  .preview.ok {
    background: var(--hearth-accent-soft);
    border-color: #fed7aa;
    color: #7c2d12;
  }
  .preview.ok strong[data-preview] {
    color: var(--hearth-accent-hover);
  }
  .preview.bad {
    color: var(--hearth-error);
  }
  .factory {
    display: block;
    margin-top: 0.15rem;
    color: var(--hearth-muted);
  }
`;
