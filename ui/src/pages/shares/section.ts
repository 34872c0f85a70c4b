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
        max-width: 22rem;
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
