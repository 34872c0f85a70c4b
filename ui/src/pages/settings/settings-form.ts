import { css } from 'lit';
import { FormElement } from '../../components/form.js';
import { shared } from '../../components/styles.js';
import { cardTitleStyles } from '../page.js';

/**
 * Base for a settings card with a form: a signed-in request, a "saved" message that
 * editing any field clears, and no focus moved on show (the page heading has it).
 */
export class SettingsForm extends FormElement {
  static override properties = {
    ...FormElement.properties,
    saved: { state: true },
  };
  declare saved: string;

  static override styles = [
    shared,
    cardTitleStyles,
    css`
      :host {
        display: block;
      }
      .card > p {
        color: var(--hearth-muted);
      }
    `,
  ];

  constructor() {
    super();
    this.focusOnShow = false;
    this.sessionRequired = true;
    this.saved = '';
  }

  protected override edited(id: string): void {
    this.saved = '';
    super.edited(id);
  }
}
