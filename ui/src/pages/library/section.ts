import { css, html, nothing, type TemplateResult } from 'lit';
import type { DocumentSummary } from '../../data/agents.js';
import { agoText, chips } from '../../components/agent-view.js';
import { formatBytes } from '../../components/model-view.js';
import { AgentSection } from '../agents/section.js';

/** Base for a card on the Library page: the agents card base, telling the page `library-changed`. */
export class LibrarySection extends AgentSection {
  static override styles = [
    ...AgentSection.styles,
    css`
      ul.docs {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
      }
      ul.docs > li {
        display: grid;
        gap: 0.35rem;
        padding: 0.9rem 0;
        border-top: 1px solid var(--hearth-border);
        min-width: 0;
      }
      ul.docs > li:first-child {
        border-top: 0;
        padding-top: 0.25rem;
      }
      ul.docs h3 a {
        color: var(--hearth-text);
        text-decoration: none;
      }
      ul.docs h3 a:hover {
        color: var(--hearth-accent);
        text-decoration: underline;
      }
      ul.docs p {
        margin: 0;
      }
      .summary {
        display: -webkit-box;
        -webkit-line-clamp: 3;
        -webkit-box-orient: vertical;
        overflow: hidden;
      }
      .where {
        font-family: var(--hearth-mono);
        font-size: 0.82rem;
      }
    `,
  ];

  constructor() {
    super();
    this.changedEvent = 'library-changed';
  }
}

/** Where a document's file is: "Inbox/letters/bill.pdf". */
export const wherePath = (d: { share: string; path: string }): string => `${d.share}/${d.path}`;

/** A document in a list: its title (to its page), type, a line of text, tags and where it is. */
export function documentItem(d: DocumentSummary, text: TemplateResult | string): TemplateResult {
  return html`<li data-document=${d.id}>
    <h3 class="with-tags">
      <a href="/library/${d.id}">${d.title || d.name}</a>
      ${d.docType ? html`<span class="tag">${d.docType}</span>` : nothing}
      ${d.missing ? html`<span class="tag bad" title="The file is no longer where it was filed">Moved or deleted</span>` : nothing}
      ${d.openActionItems ? html`<span class="tag accent">${d.openActionItems} to do</span>` : nothing}
    </h3>
    <p class="summary">${text}</p>
    ${chips(d.tags)}
    <p class="facts"><span class="where">${wherePath(d)}</span><span>${formatBytes(d.size)}</span><span>Filed ${agoText(d.createdAt)}</span></p>
  </li>`;
}
