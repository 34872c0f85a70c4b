import { css } from 'lit';
import { ModelSection } from '../models/section.js';
import { shareViewStyles } from '../../components/share-view.js';

/** Base for a card on the Shares page: the Models page's card base, telling the page `shares-changed`. */
export class ShareSection extends ModelSection {
  static override styles = [
    ...ModelSection.styles,
    shareViewStyles,
    css`
      select {
        font: inherit;
        font-size: 1rem;
        color: var(--hearth-text);
        background: var(--hearth-surface);
        border: 1px solid var(--hearth-border-strong);
        border-radius: var(--hearth-radius-sm);
        padding: 0.6rem 0.85rem;
        min-height: 2.9rem;
        width: 100%;
        max-width: 22rem;
      }
      select:focus {
        outline: none;
        border-color: var(--hearth-accent);
        box-shadow: 0 0 0 3px var(--hearth-accent-ring);
      }
      /* The Models card base names its row text .info; a banner keeps its own layout. */
      .banner.info {
        display: flex;
      }
      .card > .banner:last-child {
        margin-bottom: 0;
      }
      .tags {
        display: inline-flex;
        flex-wrap: wrap;
        gap: 0.35rem;
      }
    `,
  ];

  constructor() {
    super();
    this.changedEvent = 'shares-changed';
  }
}
