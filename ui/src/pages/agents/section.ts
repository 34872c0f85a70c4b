import { css } from 'lit';
import { ModelSection } from '../models/section.js';
import { shareViewStyles } from '../../components/share-view.js';
import { agentViewStyles } from '../../components/agent-view.js';

/** Base for a card on the Agents and Library pages: the Models page's card base, telling the page `agents-changed`. */
export class AgentSection extends ModelSection {
  static override styles = [
    ...ModelSection.styles,
    shareViewStyles,
    agentViewStyles,
    css`
      .banner.info,
      .banner.warn {
        display: flex;
      }
      .card > .banner + .banner {
        margin-top: -0.5rem;
      }
      .saved {
        color: var(--hearth-ok);
        font-size: 0.9rem;
        font-weight: 550;
      }
    `,
  ];

  constructor() {
    super();
    this.changedEvent = 'agents-changed';
  }
}
