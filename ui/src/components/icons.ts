import { svg, html, type SVGTemplateResult, type TemplateResult } from 'lit';

// Small stroke icons drawn for Hearth (24x24, currentColor): no icon font, no requests.
const paths = {
  home: svg`<path d="M3 11l9-7 9 7"/><path d="M5 10v10h5v-6h4v6h5V10"/>`,
  settings: svg`<path d="M4 6h9M18 6h2M4 12h3M12 12h8M4 18h11M20 18h0"/><circle cx="15.5" cy="6" r="2.5"/><circle cx="9.5" cy="12" r="2.5"/><circle cx="17.5" cy="18" r="2.5"/>`,
  model: svg`<rect x="6" y="6" width="12" height="12" rx="2"/><rect x="9.5" y="9.5" width="5" height="5" rx="1"/><path d="M9 2.5V6M15 2.5V6M9 18v3.5M15 18v3.5M2.5 9H6M2.5 15H6M18 9h3.5M18 15h3.5"/>`,
  folder: svg`<path d="M3 7.5A2.5 2.5 0 0 1 5.5 5H9l2 2.5h7.5A2.5 2.5 0 0 1 21 10v7.5a2.5 2.5 0 0 1-2.5 2.5h-13A2.5 2.5 0 0 1 3 17.5z"/>`,
  agent: svg`<rect x="4" y="8" width="16" height="12" rx="3.5"/><path d="M12 4.5V8M9 13.5v.5M15 13.5v.5M9.5 17h5"/><circle cx="12" cy="3.5" r="1"/>`,
  energy: svg`<path d="M13 2.5L4.5 13.5H11l-1 8 8.5-11H12z"/>`,
  lock: svg`<rect x="5" y="10.5" width="14" height="10" rx="2.5"/><path d="M8 10.5V7.5a4 4 0 0 1 8 0v3"/>`,
  clock: svg`<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3.5 2"/>`,
  key: svg`<circle cx="7.5" cy="15.5" r="4"/><path d="M10.5 12.5L20 3M16.5 6.5l3 3M14 9l2 2"/>`,
  menu: svg`<path d="M4 7h16M4 12h16M4 17h16"/>`,
  close: svg`<path d="M6 6l12 12M18 6L6 18"/>`,
  check: svg`<path d="M5 12.5l4.5 4.5L19 7.5"/>`,
  alert: svg`<circle cx="12" cy="12" r="9"/><path d="M12 7.5v5.5M12 16.5v.01"/>`,
  info: svg`<circle cx="12" cy="12" r="9"/><path d="M12 11v5.5M12 7.5v.01"/>`,
  signOut: svg`<path d="M14.5 4H18a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-3.5M9.5 16.5L5 12l4.5-4.5M5 12h10.5"/>`,
  globe: svg`<circle cx="12" cy="12" r="9"/><path d="M3 12h18M12 3c2.5 2.6 3.8 5.6 3.8 9s-1.3 6.4-3.8 9M12 3c-2.5 2.6-3.8 5.6-3.8 9s1.3 6.4 3.8 9"/>`,
  arrow: svg`<path d="M5 12h14M13 6l6 6-6 6"/>`,
  back: svg`<path d="M19 12H5M11 6l-6 6 6 6"/>`,
  file: svg`<path d="M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8z"/><path d="M14 3v5h5"/>`,
  download: svg`<path d="M12 4v11M7 10.5l5 5 5-5M5 20h14"/>`,
  upload: svg`<path d="M12 16V5M7 9.5l5-5 5 5M5 20h14"/>`,
  trash: svg`<path d="M4 7h16M10 11v6M14 11v6M6 7l1 12a2 2 0 0 0 2 2h6a2 2 0 0 0 2-2l1-12M9 7V4.5h6V7"/>`,
  folderPlus: svg`<path d="M3 7.5A2.5 2.5 0 0 1 5.5 5H9l2 2.5h7.5A2.5 2.5 0 0 1 21 10v7.5a2.5 2.5 0 0 1-2.5 2.5h-13A2.5 2.5 0 0 1 3 17.5z"/><path d="M12 11v6M9 14h6"/>`,
  library: svg`<path d="M5 4h3v16H5zM10 4h3v16h-3z"/><path d="M15.2 5.2l2.9-.8 3.4 15.5-2.9.8z"/>`,
  activity: svg`<path d="M3 12h4l2.5-6 5 12 2.5-6h4"/>`,
  play: svg`<path d="M7 5l12 7-12 7z"/>`,
  pause: svg`<path d="M8 5v14M16 5v14"/>`,
  search: svg`<circle cx="10.5" cy="10.5" r="6"/><path d="M15 15l5.5 5.5"/>`,
  spark: svg`<path d="M12 3l1.8 5.4L19 10l-5.2 1.6L12 17l-1.8-5.4L5 10l5.2-1.6zM18.5 16l.8 2.2 2.2.8-2.2.8-.8 2.2-.8-2.2-2.2-.8 2.2-.8z"/>`,
  sun: svg`<circle cx="12" cy="12" r="4"/><path d="M12 2.5v2M12 19.5v2M2.5 12h2M19.5 12h2M5.3 5.3l1.4 1.4M17.3 17.3l1.4 1.4M5.3 18.7l1.4-1.4M17.3 6.7l1.4-1.4"/>`,
  list: svg`<path d="M9 6.5h11M9 12h11M9 17.5h11"/><path d="M4 6.5h.01M4 12h.01M4 17.5h.01"/>`,
  brain: svg`<path d="M12 5.5a3 3 0 0 0-5.5-1.2A3 3 0 0 0 4 9a3 3 0 0 0 .5 5A3 3 0 0 0 8 19a3 3 0 0 0 4 .5z"/><path d="M12 5.5a3 3 0 0 1 5.5-1.2A3 3 0 0 1 20 9a3 3 0 0 1-.5 5A3 3 0 0 1 16 19a3 3 0 0 1-4 .5z"/>`,
  bell: svg`<path d="M6 16.5V11a6 6 0 0 1 12 0v5.5l1.5 2h-15z"/><path d="M10 20.5a2 2 0 0 0 4 0"/>`,
  thermometer: svg`<path d="M14 14.8V5a2 2 0 0 0-4 0v9.8a4 4 0 1 0 4 0z"/><path d="M12 9v7.5"/>`,
  gauge: svg`<path d="M4.5 17a8.5 8.5 0 1 1 15 0"/><path d="M12 13.5l4-4.5"/><circle cx="12" cy="14" r="1"/>`,
  memory: svg`<rect x="3" y="7" width="18" height="10" rx="1.5"/><path d="M7 10.5v3M11 10.5v3M15 10.5v3M6 17v2.5M18 17v2.5M12 17v2.5"/>`,
  disk: svg`<ellipse cx="12" cy="6" rx="7.5" ry="2.5"/><path d="M4.5 6v12c0 1.4 3.4 2.5 7.5 2.5s7.5-1.1 7.5-2.5V6M4.5 12c0 1.4 3.4 2.5 7.5 2.5s7.5-1.1 7.5-2.5"/>`,
  chart: svg`<path d="M4 4v16h16"/><path d="M7.5 14.5l3.5-4 3 2.5 4.5-6"/>`,
} satisfies Record<string, SVGTemplateResult>;

export type IconName = keyof typeof paths;

export function icon(name: IconName, size = 20): TemplateResult {
  return html`<svg class="icon" width=${size} height=${size} viewBox="0 0 24 24" fill="none" stroke="currentColor"
    stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">${paths[name]}</svg>`;
}

/** The Hearth mark: a flame on an ember-coloured tile. */
export function logo(size = 36): TemplateResult {
  return html`<svg class="logo" width=${size} height=${size} viewBox="0 0 64 64" aria-hidden="true" focusable="false">
    <rect width="64" height="64" rx="16" fill="#c2410c" />
    <path d="M32 11c2 9 13 14 13 27a13 13 0 0 1-26 0c0-7 4-11 7-14 0 5 2 8 5 9-1-9-1-15 1-22z" fill="#fff7ed" />
    <path d="M32 34c3 3 6 5 6 9a6 6 0 0 1-12 0c0-4 3-6 6-9z" fill="#fb923c" />
  </svg>`;
}
