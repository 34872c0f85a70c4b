import type { IconName } from '../components/icons.js';

export interface Section {
  path: string;
  label: string;
  icon: IconName;
  /** Not built yet: what it will do, shown on its placeholder page and the dashboard. */
  coming?: string;
}

/** The main navigation, in order. A section with `coming` shows a placeholder until its issue lands. */
export const SECTIONS: readonly Section[] = [
  { path: '/', label: 'Dashboard', icon: 'home' },
  { path: '/models', label: 'Models', icon: 'model' },
  { path: '/shares', label: 'Shares', icon: 'folder' },
  { path: '/agents', label: 'Agents', icon: 'agent' },
  { path: '/library', label: 'Library', icon: 'library' },
  { path: '/activity', label: 'Activity', icon: 'activity' },
  { path: '/settings', label: 'Settings', icon: 'settings' },
];
