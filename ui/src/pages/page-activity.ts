import { css, html, nothing, type TemplateResult } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { toApiError } from '../data/api.js';
import { activityEvents, libraryApi, type ActivityChange, type ActivityEntry } from '../data/agents.js';
import { clock, toDate } from '../components/agent-view.js';
import { formAlert } from '../components/form.js';
import { icon, type IconName } from '../components/icons.js';
import { LoadedPage, pageHead } from './page.js';

const PAGE = 50;

/** An entry's look by its kind ("library.filed", "job.dead", ...): an icon, and whether it is bad news. */
function look(kind: string): { icon: IconName; tone: string } {
  if (/fail|error|dead|crash/i.test(kind)) return { icon: 'alert', tone: 'bad' };
  if (/paused/i.test(kind)) return { icon: 'pause', tone: '' };
  if (/resumed|enabled|run-now|catch-up/i.test(kind)) return { icon: 'play', tone: '' };
  if (/brief/i.test(kind)) return { icon: 'sun', tone: '' };
  if (/done|filed/i.test(kind)) return { icon: 'check', tone: 'ok' };
  if (/library|document|note/i.test(kind)) return { icon: 'library', tone: '' };
  if (/share|file/i.test(kind)) return { icon: 'folder', tone: '' };
  if (/model/i.test(kind)) return { icon: 'model', tone: '' };
  return { icon: kind.startsWith('agent') ? 'agent' : 'activity', tone: '' };
}

/** The document an entry is about, when its data names one. */
function documentOf(data: unknown): number | null {
  if (!data || typeof data !== 'object') return null;
  const id = (data as Record<string, unknown>).documentId;
  return typeof id === 'number' ? id : null;
}

function dayLabel(d: Date, now = new Date()): string {
  if (d.toDateString() === now.toDateString()) return 'Today';
  if (d.toDateString() === new Date(now.getTime() - 86_400_000).toDateString()) return 'Yesterday';
  return d.toLocaleDateString(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: d.getFullYear() === now.getFullYear() ? undefined : 'numeric' });
}

const newestFirst = (a: ActivityEntry, b: ActivityEntry) => b.id - a.id;

/** Activity: what the box and its agents did, newest first, live, with older entries a page at a time. */
export class PageActivity extends LoadedPage<ActivityEntry[]> {
  static override properties = {
    ...LoadedPage.properties,
    exhausted: { state: true },
    loadingMore: { state: true },
    moreError: { state: true },
  };
  /** The oldest entry is loaded: there is nothing before it. */
  declare exhausted: boolean;
  declare loadingMore: boolean;
  declare moreError: string;
  private unsubscribe: (() => void) | null = null;

  static override styles = [
    ...LoadedPage.styles,
    css`
      .timeline {
        padding-block: 1.25rem;
      }
      h2.day {
        font-size: 0.85rem;
        font-weight: 650;
        text-transform: uppercase;
        letter-spacing: 0.04em;
        color: var(--hearth-muted);
        margin: 1.25rem 0 0.5rem;
      }
      h2.day:first-child {
        margin-top: 0;
      }
      ol {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
      }
      li {
        display: grid;
        grid-template-columns: 3.6rem auto minmax(0, 1fr);
        gap: 0 0.75rem;
        align-items: start;
        padding: 0.55rem 0;
        border-top: 1px solid var(--hearth-border);
      }
      li:first-child {
        border-top: 0;
      }
      time {
        font-size: 0.85rem;
        color: var(--hearth-muted);
        font-variant-numeric: tabular-nums;
        padding-top: 0.1rem;
      }
      .dot {
        display: grid;
        place-items: center;
        width: 1.9rem;
        height: 1.9rem;
        border-radius: 50%;
        background: var(--hearth-accent-soft);
        color: var(--hearth-accent);
      }
      .ok .dot {
        background: var(--hearth-ok-soft);
        color: var(--hearth-ok);
      }
      .bad .dot {
        background: var(--hearth-error-soft);
        color: var(--hearth-error);
      }
      .what {
        display: grid;
        gap: 0.1rem;
        min-width: 0;
      }
      .what p {
        margin: 0;
        overflow-wrap: anywhere;
      }
      .bad .what p:first-child {
        color: var(--hearth-error);
      }
      .meta {
        font-size: 0.82rem;
        color: var(--hearth-muted);
      }
      .meta a {
        margin-left: 0.5rem;
      }
      .more {
        display: flex;
        justify-content: center;
        margin-top: 1rem;
      }
      .empty {
        margin: 0;
        color: var(--hearth-muted);
      }
      @media (max-width: 480px) {
        li {
          grid-template-columns: auto minmax(0, 1fr);
        }
        time {
          grid-column: 2;
          grid-row: 2;
        }
        .dot {
          grid-row: 1 / span 2;
        }
      }
    `,
  ];

  constructor() {
    super();
    this.exhausted = false;
    this.loadingMore = false;
    this.moreError = '';
  }

  /** The newest page, with the older entries already loaded kept under it. */
  protected override async fetchView(): Promise<ActivityEntry[]> {
    const { entries } = await libraryApi.activity({ limit: PAGE });
    if (!this.view) this.exhausted = entries.length < PAGE;
    return this.merge(entries, this.view ?? []);
  }

  private merge(a: ActivityEntry[], b: ActivityEntry[]): ActivityEntry[] {
    const byId = new Map<number, ActivityEntry>();
    for (const e of [...b, ...a]) byId.set(e.id, e);
    return [...byId.values()].sort(newestFirst);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.unsubscribe = activityEvents.subscribe((c) => this.onLive(c));
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private onLive(c: ActivityChange): void {
    if (c.type === 'reopened') void this.refresh();
    else if (this.view) this.view = this.merge([c.entry], this.view);
  }

  private async older(): Promise<void> {
    const last = this.view?.[this.view.length - 1];
    if (!last || this.loadingMore) return;
    this.loadingMore = true;
    this.moreError = '';
    try {
      const { entries } = await libraryApi.activity({ limit: PAGE, before: last.id });
      this.exhausted = entries.length < PAGE;
      this.view = this.merge(entries, this.view ?? []);
    } catch (err) {
      this.moreError = toApiError(err).detail;
    } finally {
      this.loadingMore = false;
    }
  }

  private entry(e: ActivityEntry): TemplateResult {
    const d = toDate(e.at);
    const { icon: name, tone } = look(e.kind);
    const doc = documentOf(e.data);
    return html`<li class=${tone} data-entry=${e.id}>
      <time datetime=${d?.toISOString() ?? ''}>${d ? clock(d) : ''}</time>
      <span class="dot">${icon(name, 16)}</span>
      <div class="what">
        <p>${e.message}</p>
        <p class="meta">${[e.agent, e.kind].filter(Boolean).join(' · ')}${doc !== null ? html`<a href="/library/${doc}">Open in the Library</a>` : nothing}</p>
      </div>
    </li>`;
  }

  /** Entries under a heading per day. */
  private days(entries: ActivityEntry[]): TemplateResult[] {
    const groups: { label: string; entries: ActivityEntry[] }[] = [];
    for (const e of entries) {
      const d = toDate(e.at);
      const label = d ? dayLabel(d) : 'Undated';
      const group = groups[groups.length - 1];
      if (group?.label === label) group.entries.push(e);
      else groups.push({ label, entries: [e] });
    }
    return groups.map(
      (g) => html`<h2 class="day">${g.label}</h2>
        <ol>
          ${repeat(
            g.entries,
            (e) => e.id,
            (e) => this.entry(e),
          )}
        </ol>`,
    );
  }

  protected override render() {
    const head = pageHead('Activity', 'What the box and its agents did, newest first. New entries appear as they happen.');
    const entries = this.view;
    if (!entries) return html`${head}${this.waitOrProblem('Reading the activity log…')}`;
    return html`${head} ${this.staleProblem()}
      <section class="card timeline" aria-label="Timeline" aria-live="polite" aria-relevant="additions">
        ${entries.length ? this.days(entries) : html`<p class="empty">Nothing yet. Agents’ work, filed documents and briefings show up here.</p>`}
        ${formAlert(this.moreError, 'more-error')}
        ${entries.length && !this.exhausted
          ? html`<div class="more">
              <button class="btn secondary small" type="button" ?disabled=${this.loadingMore} aria-busy=${this.loadingMore ? 'true' : 'false'} @click=${() => void this.older()}>
                ${this.loadingMore ? html`<span class="spinner" aria-hidden="true"></span>Loading…` : 'Show older'}
              </button>
            </div>`
          : nothing}
      </section>`;
  }
}
customElements.define('hearth-page-activity', PageActivity);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-page-activity': PageActivity;
  }
}
