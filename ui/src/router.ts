// A tiny History API router: the app listens for `hearth-location` and reads location.pathname.

export const LOCATION_EVENT = 'hearth-location';

/** `replace`: the app corrected the address itself; the person did not go anywhere. */
export interface LocationChange {
  replace: boolean;
}

export function currentPath(): string {
  const path = window.location.pathname.replace(/\/+$/, '');
  return path === '' ? '/' : path;
}

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (path === currentPath() && !options.replace) return;
  if (options.replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  window.dispatchEvent(new CustomEvent<LocationChange>(LOCATION_EVENT, { detail: { replace: Boolean(options.replace) } }));
}

/**
 * Turn clicks on same-origin links (inside any shadow root) into navigations, as long
 * as the person did not ask for a new tab or window.
 */
export function interceptLinks(root: EventTarget): void {
  root.addEventListener('click', (event) => {
    const e = event as MouseEvent;
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const anchor = e.composedPath().find((n): n is HTMLAnchorElement => n instanceof HTMLAnchorElement);
    if (!anchor || anchor.target || anchor.hasAttribute('download') || anchor.origin !== window.location.origin) return;
    if (anchor.pathname.startsWith('/api/')) return;
    e.preventDefault();
    navigate(anchor.pathname);
  });
}
