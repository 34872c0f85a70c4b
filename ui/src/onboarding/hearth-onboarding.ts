import { LitElement, css, html, nothing } from 'lit';
import type { SetupState } from '../data/api.js';
import { shared } from '../components/styles.js';
import { frameStyles, noticeBanner } from '../components/frame.js';
import { logo } from '../components/icons.js';
import { fire, type HearthEvent } from '../events.js';
import { navigate } from '../router.js';
import '../components/model-status.js';
import { stepAfter, stepBefore, stepToShow, stepsFor, type WizardStep } from './steps.js';

/**
 * The first-run wizard: shows the step the server's state allows (the URL picks among
 * allowed ones), moves on when a step reports it is done, and hands new state to the shell.
 */
export class HearthOnboarding extends LitElement {
  static override properties = {
    state: { attribute: false },
    path: {},
    notice: {},
  };
  declare state: SetupState;
  declare path: string;
  declare notice: string;
  /** The owner's web password, from the owner step, so the share step may offer it for SMB; memory only, dropped after. */
  private ownerPassword = '';

  constructor() {
    super();
    this.path = '/setup';
    this.notice = '';
    this.addEventListener('step-done', (e) => this.onStepDone(e as HearthEvent<'step-done'>));
    this.addEventListener('step-back', () => this.onStepBack());
  }

  static override styles = [
    shared,
    frameStyles,
    css`
      .frame {
        max-width: 34rem;
        grid-template-columns: minmax(0, 1fr);
      }
      .frame.wide {
        max-width: 38rem;
      }
      .brand {
        display: flex;
        align-items: center;
        gap: 0.65rem;
        font-weight: 700;
        font-size: 1.2rem;
        letter-spacing: -0.01em;
        justify-content: center;
        margin-top: 0.5rem;
      }
      ol {
        list-style: none;
        margin: 0;
        padding: 0;
        display: flex;
        gap: 0.4rem;
      }
      li {
        flex: 1;
        min-width: 0;
        display: grid;
        gap: 0.4rem;
        font-size: 0.8rem;
        color: var(--hearth-muted);
        text-align: center;
      }
      li::before {
        content: '';
        display: block;
        height: 5px;
        border-radius: 3px;
        background: var(--hearth-border);
      }
      li.done::before {
        background: #f0a27a;
      }
      li[aria-current='step'] {
        color: var(--hearth-text);
        font-weight: 650;
      }
      li[aria-current='step']::before {
        background: var(--hearth-accent);
      }
      .count {
        margin: 0;
        text-align: center;
        font-size: 0.85rem;
        color: var(--hearth-muted);
      }
      @media (max-width: 480px) {
        li span {
          position: absolute;
          width: 1px;
          height: 1px;
          overflow: hidden;
          clip: rect(0 0 0 0);
          white-space: nowrap;
        }
      }
      hearth-model-status {
        justify-self: center;
        max-width: 100%;
      }
      footer {
        text-align: center;
        font-size: 0.82rem;
        color: var(--hearth-muted);
        overflow-wrap: anywhere;
      }
    `,
  ];

  private requestedId(): string | undefined {
    return this.path.split('/')[2];
  }

  private get current(): WizardStep | undefined {
    return stepToShow(this.state, this.requestedId());
  }

  protected override updated(): void {
    // Keep the address bar on the step shown, so reload and Back behave.
    const step = this.current;
    if (step && this.requestedId() !== step.id) navigate(`/setup/${step.id}`, { replace: true });
  }

  private onStepDone(e: HearthEvent<'step-done'>): void {
    e.stopPropagation();
    const from = this.current;
    const state = e.detail.state ?? this.state;
    if (e.detail.ownerPassword) this.ownerPassword = e.detail.ownerPassword;
    if (from?.id === 'shares') this.ownerPassword = '';
    if (e.detail.state) fire(this, 'hearth-state', { state });
    if (!from) return;
    const next = stepAfter(from, state);
    // Past the last step the shell takes over (setup complete: the dashboard).
    if (next) navigate(`/setup/${next.id}`);
  }

  private onStepBack(): void {
    const from = this.current;
    const previous = from && stepBefore(from, this.state);
    if (previous) navigate(`/setup/${previous.id}`);
  }

  protected override render() {
    const step = this.current;
    if (!step) return nothing;
    const steps = stepsFor(this.state);
    const index = steps.indexOf(step);
    const device = this.state.device;
    return html`
      <div class="frame ${step.wide ? 'wide' : ''}">
        <div class="brand">${logo(34)}<span>Hearth</span></div>
        <nav aria-label="Setup progress">
          <ol>
            ${steps.map(
              (s, i) =>
                html`<li class=${i < index ? 'done' : ''} aria-current=${i === index ? 'step' : 'false'}>
                  <span>${s.label}</span>
                </li>`,
            )}
          </ol>
        </nav>
        <p class="count" id="step-count">Step ${index + 1} of ${steps.length}: ${step.label}</p>
        ${noticeBanner(this.notice)}
        <main class="card">${step.render(this.state, { canGoBack: Boolean(stepBefore(step, this.state)), ownerPassword: this.ownerPassword })}</main>
        ${
          // From the model step on the owner is signed in, and a download may be under way.
          this.state.step === 'finish' ? html`<hearth-model-status></hearth-model-status>` : nothing
        }
        <footer>Hearth ${device.version} · ${device.localNames.join(' · ')}</footer>
      </div>
    `;
  }
}
customElements.define('hearth-onboarding', HearthOnboarding);

declare global {
  interface HTMLElementTagNameMap {
    'hearth-onboarding': HearthOnboarding;
  }
}
