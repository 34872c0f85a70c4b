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
  input:not([type]) {
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
  input:hover {
    border-color: #b3a190;
  }
  input:focus {
    outline: none;
    border-color: var(--hearth-accent);
    box-shadow: 0 0 0 3px var(--hearth-accent-ring);
  }
  input[aria-invalid='true'] {
    border-color: var(--hearth-error);
  }
  input[aria-invalid='true']:focus {
    box-shadow: 0 0 0 3px rgba(180, 35, 24, 0.2);
  }
  input:disabled {
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
