import { html, type TemplateResult } from 'lit';
import type { SetupState, WizardPosition } from '../data/api.js';
import './step-welcome.js';
import './step-claim.js';
import './step-owner.js';
import './step-name.js';
import './step-model.js';
import './step-shares.js';
import './step-agents.js';
import './step-finish.js';

export interface StepNav {
  canGoBack: boolean;
  /** The web password chosen in this visit's owner step, or "" (a reload forgets it). */
  ownerPassword: string;
}

export interface WizardStep {
  /** The URL segment: /setup/<id>. */
  id: string;
  /** Shown in the step indicator. */
  label: string;
  /** The server position this step belongs to (GET /api/setup/state `step`). */
  position: WizardPosition;
  /** Whether this box needs the step at all (a password reset skips the welcome, say). */
  applies?: (state: SetupState) => boolean;
  /** May be opened again (Back) after the server has moved past it, while setup is pending. */
  revisitable?: boolean;
  /** Needs a wider card (a list of choices with details). */
  wide?: boolean;
  render: (state: SetupState, nav: StepNav) => TemplateResult;
}

const pending = (s: SetupState) => s.setup === 'pending';

/**
 * The first-run flow, in order. To add a step (Model, Folders, Agents), add an element and
 * an entry here before Finish, with the server position that owns it.
 */
export const WIZARD_STEPS: readonly WizardStep[] = [
  {
    id: 'welcome',
    label: 'Welcome',
    position: 'claim',
    applies: (s) => !s.recovery,
    render: () => html`<hearth-step-welcome></hearth-step-welcome>`,
  },
  {
    id: 'claim',
    label: 'Claim',
    position: 'claim',
    render: (s, nav) => html`<hearth-step-claim .state=${s} ?can-go-back=${nav.canGoBack}></hearth-step-claim>`,
  },
  {
    id: 'owner',
    label: 'Owner',
    position: 'owner',
    render: (s) => html`<hearth-step-owner .state=${s}></hearth-step-owner>`,
  },
  {
    id: 'name',
    label: 'Name',
    position: 'name',
    applies: pending,
    revisitable: true,
    render: (s) => html`<hearth-step-name .state=${s}></hearth-step-name>`,
  },
  {
    // UI-side only for now: the server's own step list is claim/owner/name/finish, so this step
    // shares Finish's position. It never blocks finishing (the owner may skip), and a reload on it
    // lands back on it (the first step of that position).
    id: 'model',
    label: 'Model',
    position: 'finish',
    applies: pending,
    wide: true,
    render: (s) => html`<hearth-step-model .state=${s}></hearth-step-model>`,
  },
  {
    // Like the model step: UI-side, at Finish's position, never blocks finishing.
    id: 'shares',
    label: 'Folders',
    position: 'finish',
    applies: pending,
    wide: true,
    render: (s, nav) => html`<hearth-step-shares .state=${s} .ownerPassword=${nav.ownerPassword}></hearth-step-shares>`,
  },
  {
    // Like the model step: UI-side, at Finish's position, never blocks finishing.
    id: 'agents',
    label: 'Agents',
    position: 'finish',
    applies: pending,
    wide: true,
    render: (s) => html`<hearth-step-agents .state=${s}></hearth-step-agents>`,
  },
  {
    id: 'finish',
    label: 'Finish',
    position: 'finish',
    applies: pending,
    render: (s) => html`<hearth-step-finish .state=${s}></hearth-step-finish>`,
  },
];

export const stepsFor = (state: SetupState): WizardStep[] => WIZARD_STEPS.filter((s) => s.applies?.(state) ?? true);

/** May `step` be shown when the server is at `state.step`? */
function allowed(step: WizardStep, steps: WizardStep[], state: SetupState): boolean {
  if (step.position === state.step) return true;
  const here = steps.findIndex((s) => s.position === state.step);
  return Boolean(step.revisitable) && state.setup === 'pending' && here >= 0 && steps.indexOf(step) < here;
}

/**
 * The step to show: the one asked for (by URL) if the server's position allows it; else,
 * when the server sent us back (an expired claim), the position's last step; else its first.
 */
export function stepToShow(state: SetupState, requested: string | undefined): WizardStep | undefined {
  const steps = stepsFor(state);
  const wanted = steps.find((s) => s.id === requested);
  if (wanted && allowed(wanted, steps, state)) return wanted;
  const here = steps.filter((s) => s.position === state.step);
  const last = here[here.length - 1];
  if (wanted && last && steps.indexOf(wanted) > steps.indexOf(last)) return last;
  return here[0];
}

/** Where to go after `from` is done, given the server's new state. */
export function stepAfter(from: WizardStep, state: SetupState): WizardStep | undefined {
  const steps = stepsFor(state);
  const next = steps[steps.indexOf(from) + 1];
  return next && allowed(next, steps, state) ? next : stepToShow(state, undefined);
}

/** Where Back goes from `from`, if anywhere. */
export function stepBefore(from: WizardStep, state: SetupState): WizardStep | undefined {
  const steps = stepsFor(state);
  const previous = steps[steps.indexOf(from) - 1];
  return previous && allowed(previous, steps, state) ? previous : undefined;
}

export const isWizardPosition = (p: WizardPosition): boolean => WIZARD_STEPS.some((s) => s.position === p);
