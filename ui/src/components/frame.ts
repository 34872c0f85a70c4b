import { css, html, nothing, type TemplateResult } from 'lit';
import { icon } from './icons.js';

/**
 * The full-page frame of the views shown before signing in (the wizard and the sign-in page):
 * a warm glow at the top of the page and one centred column. Each view sets the column's width.
 */
export const frameStyles = css`
  :host {
    min-height: 100vh;
    min-height: 100dvh;
    display: flex;
    flex-direction: column;
    align-items: center;
    padding: 1.25rem 1rem 2rem;
    background: radial-gradient(1200px 500px at 50% -180px, #fde6d3 0%, rgba(250, 246, 241, 0) 70%), var(--hearth-bg);
  }
  .frame {
    width: 100%;
    display: grid;
    gap: 1.25rem;
  }
`;

/** The shell's notice (a session that ended, a claim that ran out), read out when it appears. */
export function noticeBanner(notice: string): TemplateResult | typeof nothing {
  if (!notice) return nothing;
  return html`<p class="banner info" role="status">${icon('info', 18)}<span>${notice}</span></p>`;
}
