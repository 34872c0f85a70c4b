import { css } from 'lit';

/** Page heading and card grid shared by the signed-in pages. */
export const pageStyles = css`
  :host {
    display: grid;
    gap: 1.25rem;
    align-content: start;
  }
  .page-head h1 {
    margin: 0;
  }
  .page-head p {
    margin: 0.25rem 0 0;
    color: var(--hearth-muted);
  }
  .grid {
    display: grid;
    gap: 1rem;
    grid-template-columns: repeat(auto-fit, minmax(min(100%, 13rem), 1fr));
  }
  .card h2 {
    display: flex;
    align-items: center;
    gap: 0.55rem;
  }
  .card > p:last-child {
    margin-bottom: 0;
  }
  .soon {
    display: inline-block;
    font-size: 0.72rem;
    font-weight: 650;
    text-transform: uppercase;
    letter-spacing: 0.04em;
    padding: 0.1rem 0.45rem;
    border-radius: 999px;
    background: var(--hearth-surface-2);
    border: 1px solid var(--hearth-border);
    color: var(--hearth-muted);
    vertical-align: middle;
  }
`;
