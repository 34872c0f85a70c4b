import { LitElement, css, html, nothing, type TemplateResult } from 'lit';
import type { AgentEnergy, EnergyPeriod, EnergyReport } from '../../data/telemetry.js';
import { modelStatus } from '../../data/model-status.js';
import { icon } from '../../components/icons.js';
import { dataTableStyles, shared } from '../../components/styles.js';
import { formatCount } from '../../components/agent-view.js';
import { modelViewStyles } from '../../components/model-view.js';
import { shareViewStyles } from '../../components/share-view.js';
import { coverageText, formatCost, formatJoules, formatKwh, telemetryViewStyles } from '../../components/telemetry-view.js';
import { cardTitleStyles } from '../page.js';

/** Energy this box used today, this week and this month, with its cost; what each agent used; joules per 1,000 tokens of the model. */
export class EnergyCard extends LitElement {
  static override properties = {
    energy: { attribute: false },
    loadError: {},
  };
  declare energy: EnergyReport | null;
  declare loadError: string;

  static override styles = [
    shared,
    cardTitleStyles,
    telemetryViewStyles,
    modelViewStyles,
    shareViewStyles,
    dataTableStyles,
    css`
      .card {
        display: grid;
        gap: 1.25rem;
      }
      .card h2,
      .card p {
        margin: 0;
      }
      h3 {
        margin: 0 0 0.5rem;
      }
      .tiles {
        grid-template-columns: repeat(auto-fill, minmax(min(100%, 11rem), 1fr));
      }
      .per-token {
        display: flex;
        gap: 0.5rem;
        align-items: flex-start;
        font-size: 0.95rem;
      }
      .per-token .icon {
        margin-top: 0.15rem;
        color: var(--hearth-accent);
      }
      .wrap {
        overflow-x: auto;
      }
      th.num,
      td.num {
        text-align: right;
      }
      td.agent {
        font-weight: 600;
        overflow-wrap: anywhere;
      }
      .none {
        color: var(--hearth-muted);
      }
      @media (max-width: 600px) {
        td.num {
          text-align: left;
        }
        td.agent {
          flex-basis: 100%;
        }
      }
    `,
  ];

  constructor() {
    super();
    this.energy = null;
    this.loadError = '';
  }

  private period(label: string, p: EnergyPeriod, id: string): TemplateResult {
    if (p.kwh === null) {
      return html`<li class="tile absent" data-testid=${`energy-${id}`}>
        <span class="label">${label}</span><span class="value">Not available</span><span class="sub">no power reading in this time</span>
      </li>`;
    }
    const cover = p.coverage < 0.98 ? html`<span class="sub">readings cover ${coverageText(p.coverage)} of it</span>` : nothing;
    return html`<li class="tile" data-testid=${`energy-${id}`}>
      <span class="label">${label}</span>
      <span class="value">${formatKwh(p.kwh)}${p.estimated ? html`<span class="tag warn">estimated</span>` : nothing}</span>
      <span class="sub">${p.cost === null ? 'no cost' : formatCost(p.cost, p.currency)}${p.offPeakKwh ? `, ${formatKwh(p.offPeakKwh)} off-peak` : ''}</span>
      ${cover}
    </li>`;
  }

  /** An agent's share of this month's cost at this month's average price per kWh (off-peak included), or null. */
  private agentCost(a: AgentEnergy): string {
    const m = this.energy?.month;
    if (!m || !m.kwh || m.cost === null) return '—';
    return formatCost((a.monthJ / 3.6e6) * (m.cost / m.kwh), m.currency);
  }

  private agents(agents: AgentEnergy[]): TemplateResult {
    if (agents.length === 0) return html`<p class="none">No agent run with a power reading this month yet.</p>`;
    return html`<div class="wrap">
      <table data-testid="agent-energy">
        <caption class="visually-hidden">Energy per agent</caption>
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <th scope="col" class="num">Today</th>
            <th scope="col" class="num">This month</th>
            <th scope="col" class="num">Runs</th>
            <th scope="col" class="num">Cost this month</th>
          </tr>
        </thead>
        <tbody>
          ${agents.map(
            (a) => html`<tr data-agent=${a.agent}>
              <td class="agent">${a.name}</td>
              <td class="num" data-label="Today">${formatJoules(a.todayJ)}</td>
              <td class="num" data-label="This month">${formatJoules(a.monthJ)}</td>
              <td class="num" data-label="Runs">${formatCount(a.runs)}</td>
              <td class="num" data-label="Cost">${this.agentCost(a)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
  }

  private perToken(e: EnergyReport): TemplateResult {
    const j = e.joulesPer1kTokens;
    if (!j) {
      return html`<p class="per-token none" data-testid="joules-per-1k">${icon('info', 18)}<span>Joules per 1,000 tokens: not known yet (no agent run of the active model with a power reading).</span></p>`;
    }
    return html`<p class="per-token" data-testid="joules-per-1k">
      ${icon('spark', 18)}
      <span
        ><strong>${formatCount(Math.round(j.value))} J per 1,000 generated tokens</strong> with ${modelStatus.nameOf(j.model)} (${formatCount(j.runs)}
        ${j.runs === 1 ? 'run' : 'runs'}, last 30 days)${j.estimated ? html` <span class="tag warn">estimated</span>` : nothing}</span
      >
    </p>`;
  }

  protected override render() {
    const e = this.energy;
    const note = e && (e.today.estimated || e.month.estimated);
    return html`<section class="card" aria-labelledby="energy-title" data-testid="energy">
      <h2 id="energy-title">${icon('energy', 20)} Energy</h2>
      ${this.loadError ? html`<p class="banner error" role="alert">${icon('alert', 18)}<span>${this.loadError}</span></p>` : nothing}
      ${!e
        ? this.loadError
          ? nothing
          : html`<p class="loading" role="status"><span class="spinner" aria-hidden="true"></span>Loading energy…</p>`
        : html`<ul class="tiles">
              ${this.period('Today', e.today, 'today')} ${this.period('This week', e.week, 'week')} ${this.period('This month', e.month, 'month')}
            </ul>
            ${note
              ? html`<p class="small muted">Some or all of this energy is estimated from CPU load and the device profile (no power sensor reading), so treat it as a rough guide.</p>`
              : nothing}
            ${this.perToken(e)}
            <div>
              <h3>Per agent</h3>
              ${this.agents(e.agents)}
            </div>`}
    </section>`;
  }
}
customElements.define('hearth-energy-card', EnergyCard);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-energy-card': EnergyCard;
  }
}
