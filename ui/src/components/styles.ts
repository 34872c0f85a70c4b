import { css } from 'lit';

/** Type, forms, buttons and messages shared by every view (each view has its own shadow root). */
export const shared = css`
  :host {
    display: block;
    font-family: var(--hearth-font);
    color: var(--hearth-text);
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  [hidden] {
    display: none !important;
  }

  h1,
  h2,
  h3 {
    margin: 0 0 0.5rem;
    line-height: 1.25;
    letter-spacing: -0.01em;
  }
  h1 {
    font-size: 1.6rem;
    font-weight: 700;
  }
  h2 {
    font-size: 1.15rem;
    font-weight: 650;
  }
  h3 {
    font-size: 1rem;
    font-weight: 650;
  }
  h1:focus,
  h2:focus {
    outline: none;
  }
  p {
    margin: 0 0 1rem;
  }
  .lead {
    color: var(--hearth-muted);
    font-size: 1.02rem;
  }
  .muted {
    color: var(--hearth-muted);
  }
  .small {
    font-size: 0.9rem;
  }
  code,
  .mono {
    font-family: var(--hearth-mono);
    font-size: 0.92em;
  }
  code {
    background: var(--hearth-surface-2);
    border: 1px solid var(--hearth-border);
    border-radius: 6px;
    padding: 0.05em 0.35em;
    white-space: nowrap;
  }
  strong {
    font-weight: 650;
  }
  a {
    color: var(--hearth-accent);
    text-underline-offset: 2px;
  }
  a:hover {
    color: var(--hearth-accent-hover);
  }
  .icon {
    flex: none;
    vertical-align: middle;
  }
  .break {
    overflow-wrap: anywhere;
  }

  .card {
    background: var(--hearth-surface);
    border: 1px solid var(--hearth-border);
    border-radius: var(--hearth-radius);
    box-shadow: var(--hearth-shadow);
    padding: 1.5rem;
    min-width: 0;
  }
  @media (min-width: 600px) {
    .card {
      padding: 2rem;
    }
  }

  /* Forms */
  form {
    display: grid;
    gap: 1.15rem;
    margin: 0;
  }
  .field {
    display: grid;
    gap: 0.35rem;
    min-width: 0;
  }
  label {
    font-weight: 600;
    font-size: 0.95rem;
  }
  label .optional {
    font-weight: 400;
    color: var(--hearth-muted);
  }
  input[type='text'],
  input[type='password'],
  input[type='number'],
  input[type='url'],
  input[type='search'],
  input[type='time'],
  input:not([type]),
  textarea,
  select {
    width: 100%;
    min-width: 0;
    font: inherit;
    font-size: 1rem;
    color: var(--hearth-text);
    background: var(--hearth-surface);
    border: 1px solid var(--hearth-border-strong);
    border-radius: var(--hearth-radius-sm);
    padding: 0.7rem 0.85rem;
    min-height: 2.9rem;
    transition: border-color 0.15s, box-shadow 0.15s;
  }
  input::placeholder {
    color: #a8998c;
  }
  input:hover,
  textarea:hover,
  select:hover {
    border-color: #b3a190;
  }
  input:focus,
  textarea:focus,
  select:focus {
    outline: none;
    border-color: var(--hearth-accent);
    box-shadow: 0 0 0 3px var(--hearth-accent-ring);
  }
  input[aria-invalid='true'],
  textarea[aria-invalid='true'] {
    border-color: var(--hearth-error);
  }
  input[aria-invalid='true']:focus,
  textarea[aria-invalid='true']:focus {
    box-shadow: 0 0 0 3px rgba(180, 35, 24, 0.2);
  }
  textarea {
    min-height: 6rem;
    resize: vertical;
    line-height: 1.45;
  }
  select {
    padding-block: 0.6rem;
  }
  input:disabled,
  select:disabled {
    background: var(--hearth-surface-2);
    border-color: var(--hearth-border);
    cursor: not-allowed;
  }
  input[readonly] {
    background: var(--hearth-surface-2);
    color: var(--hearth-muted);
  }
  .affix {
    display: flex;
    align-items: stretch;
    min-width: 0;
  }
  .affix input {
    flex: 1;
    border-top-right-radius: 0;
    border-bottom-right-radius: 0;
  }
  .affix .suffix {
    display: flex;
    align-items: center;
    padding: 0 0.85rem;
    border: 1px solid var(--hearth-border-strong);
    border-left: 0;
    border-radius: 0 var(--hearth-radius-sm) var(--hearth-radius-sm) 0;
    background: var(--hearth-surface-2);
    color: var(--hearth-muted);
    font-family: var(--hearth-mono);
    font-size: 0.95rem;
  }
  .hint {
    margin: 0;
    font-size: 0.88rem;
    color: var(--hearth-muted);
  }
  .error {
    display: flex;
    align-items: flex-start;
    gap: 0.4rem;
    margin: 0;
    font-size: 0.9rem;
    color: var(--hearth-error);
    font-weight: 500;
  }
  .error .icon {
    margin-top: 0.1rem;
  }
  .check {
    display: flex;
    align-items: center;
    gap: 0.5rem;
    font-weight: 400;
    font-size: 0.92rem;
    color: var(--hearth-muted);
    cursor: pointer;
    width: fit-content;
  }
  .check input {
    width: 1.05rem;
    height: 1.05rem;
    margin: 0;
    accent-color: var(--hearth-accent);
  }

  fieldset {
    border: 0;
    margin: 0;
    padding: 0;
    display: grid;
    gap: 0.75rem;
    min-width: 0;
  }
  /* A heading with tags after its text, wrapping as one. */
  .with-tags {
    margin: 0;
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.25rem 0.5rem;
    overflow-wrap: anywhere;
    min-width: 0;
  }
  /* An icon on a soft tile, in front of a card's or an option's title. */
  .badge {
    flex: none;
    display: grid;
    place-items: center;
    width: 2.5rem;
    height: 2.5rem;
    border-radius: 12px;
    background: var(--hearth-accent-soft);
    color: var(--hearth-accent);
  }

  /* An on/off switch: <input type="checkbox" role="switch" class="switch">, in a .switch-label with its words. */
  .switch-label {
    display: flex;
    align-items: center;
    gap: 0.55rem;
    font-weight: 600;
    cursor: pointer;
    white-space: nowrap;
  }
  input.switch {
    appearance: none;
    flex: none;
    position: relative;
    width: 2.9rem;
    height: 1.65rem;
    margin: 0;
    border-radius: 999px;
    background: var(--hearth-border-strong);
    cursor: pointer;
    transition: background 0.15s, box-shadow 0.15s;
  }
  input.switch::before {
    content: '';
    position: absolute;
    top: 0.2rem;
    left: 0.2rem;
    width: 1.25rem;
    height: 1.25rem;
    border-radius: 50%;
    background: #fff;
    box-shadow: 0 1px 3px rgba(36, 28, 23, 0.3);
    transition: transform 0.15s;
  }
  input.switch:checked {
    background: var(--hearth-accent);
  }
  input.switch:checked::before {
    transform: translateX(1.25rem);
  }
  input.switch:focus-visible {
    outline: none;
    box-shadow: 0 0 0 3px var(--hearth-accent-ring);
  }
  input.switch:disabled {
    cursor: not-allowed;
    opacity: 0.55;
  }

  /* Buttons */
  button {
    font: inherit;
  }
  .btn {
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: 0.5rem;
    min-height: 2.9rem;
    padding: 0.6rem 1.3rem;
    border-radius: var(--hearth-radius-sm);
    border: 1px solid transparent;
    font-weight: 600;
    font-size: 1rem;
    cursor: pointer;
    text-decoration: none;
    transition: background 0.15s, border-color 0.15s, box-shadow 0.15s;
    white-space: nowrap;
  }
  .btn:focus-visible {
    outline: none;
    box-shadow: 0 0 0 3px var(--hearth-accent-ring);
  }
  .btn.primary {
    background: var(--hearth-accent);
    color: #fff;
  }
  .btn.primary:hover:not(:disabled) {
    background: var(--hearth-accent-hover);
  }
  .btn.secondary {
    background: var(--hearth-surface);
    color: var(--hearth-text);
    border-color: var(--hearth-border-strong);
  }
  .btn.secondary:hover:not(:disabled) {
    background: var(--hearth-surface-2);
  }
  .btn.quiet {
    background: transparent;
    color: var(--hearth-muted);
    padding-inline: 0.75rem;
  }
  .btn.quiet:hover:not(:disabled) {
    background: var(--hearth-surface-2);
    color: var(--hearth-text);
  }
  .btn.danger {
    background: var(--hearth-error);
    color: #fff;
  }
  .btn.danger:hover:not(:disabled) {
    background: #912018;
  }
  .btn.small {
    min-height: 2.4rem;
    padding: 0.35rem 0.9rem;
    font-size: 0.92rem;
  }
  .btn:disabled {
    cursor: not-allowed;
    opacity: 0.6;
  }
  .btn[aria-busy='true'] {
    cursor: progress;
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    justify-content: flex-end;
    gap: 0.75rem;
    margin-top: 0.35rem;
  }
  .actions .spacer {
    flex: 1;
  }
  @media (max-width: 420px) {
    .actions .btn.primary {
      flex: 1;
    }
  }
  /* Waiting for an answer: a spinner and what for. */
  .loading {
    display: flex;
    align-items: center;
    gap: 0.6rem;
    color: var(--hearth-muted);
  }
  .spinner {
    width: 1rem;
    height: 1rem;
    border-radius: 50%;
    border: 2px solid currentColor;
    border-right-color: transparent;
    animation: spin 0.7s linear infinite;
  }
  @keyframes spin {
    to {
      transform: rotate(360deg);
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .spinner {
      animation-duration: 2s;
    }
  }

  /* Messages */
  .banner {
    display: flex;
    gap: 0.6rem;
    align-items: flex-start;
    padding: 0.8rem 1rem;
    border-radius: var(--hearth-radius-sm);
    font-size: 0.93rem;
    margin: 0;
  }
  .banner .icon {
    margin-top: 0.1rem;
  }
  .banner.error {
    background: var(--hearth-error-soft);
    border: 1px solid #fecdca;
    color: var(--hearth-error);
  }
  .banner.ok {
    background: var(--hearth-ok-soft);
    border: 1px solid #abefc6;
    color: var(--hearth-ok);
  }
  .banner.warn {
    background: #fffaeb;
    border: 1px solid #fedf89;
    color: #93370d;
  }
  .banner.info {
    background: var(--hearth-accent-soft);
    border: 1px solid #fed7aa;
    color: #7c2d12;
  }

  form > .status:empty {
    margin-bottom: -1.15rem;
  }

  .visually-hidden {
    position: absolute !important;
    width: 1px;
    height: 1px;
    margin: -1px;
    padding: 0;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
    border: 0;
  }
`;

/**
 * A data table (runs, energy): muted headings, ruled rows, tabular numbers in td.num. On a phone
 * the headings go and each row wraps as one block, every cell prefixed by its data-label.
 */
export const dataTableStyles = css`
  table {
    width: 100%;
    border-collapse: collapse;
    font-size: 0.9rem;
  }
  th {
    text-align: left;
    font-weight: 600;
    font-size: 0.8rem;
    color: var(--hearth-muted);
    padding: 0 0.6rem 0.4rem 0;
    white-space: nowrap;
  }
  td {
    padding: 0.5rem 0.6rem 0.5rem 0;
    border-top: 1px solid var(--hearth-border);
    vertical-align: top;
  }
  td.num {
    font-variant-numeric: tabular-nums;
    white-space: nowrap;
  }
  @media (max-width: 600px) {
    thead {
      display: none;
    }
    table,
    tbody,
    tr,
    td {
      display: block;
    }
    tr {
      display: flex;
      flex-wrap: wrap;
      align-items: baseline;
      gap: 0.2rem 1rem;
      padding: 0.6rem 0;
      border-top: 1px solid var(--hearth-border);
    }
    td {
      border: 0;
      padding: 0;
    }
    td[data-label]::before {
      content: attr(data-label) ': ';
      color: var(--hearth-muted);
      font-size: 0.82rem;
      font-weight: 400;
    }
  }
`;

/** A modal <dialog> (showModal) with a form in it. */
export const dialogStyles = css`
  dialog {
    width: min(30rem, calc(100vw - 2rem));
    border: 1px solid var(--hearth-border);
    border-radius: var(--hearth-radius);
    box-shadow: 0 24px 48px rgba(72, 44, 20, 0.25);
    padding: 1.5rem;
    color: var(--hearth-text);
    background: var(--hearth-surface);
  }
  dialog::backdrop {
    background: rgba(36, 28, 23, 0.45);
  }
  dialog form {
    gap: 1rem;
  }
  dialog h2 {
    overflow-wrap: anywhere;
  }
  dialog p {
    margin: 0;
  }
`;

/** A <details> section of a card: a rule above, its summary a focusable heading. */
export const disclosureStyles = css`
  details {
    border-top: 1px solid var(--hearth-border);
    padding-top: 0.75rem;
  }
  details > summary {
    cursor: pointer;
    font-weight: 600;
    padding: 0.25rem 0;
    width: fit-content;
    border-radius: 6px;
  }
  details > summary:focus-visible {
    outline: none;
    box-shadow: 0 0 0 3px var(--hearth-accent-ring);
  }
  details[open] > summary {
    margin-bottom: 0.75rem;
  }
`;
