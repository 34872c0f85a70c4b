import { css } from 'lit';
import type { AgentAccess, ShareView, SmbView } from '../data/shares.js';
import { formatBytes } from './model-view.js';

// How shares and Samba read to a person.

export const AGENT_ACCESS: readonly { value: AgentAccess; label: string; text: string }[] = [
  { value: 'none', label: 'No access', text: 'Agents cannot see it' },
  { value: 'read', label: 'Read', text: 'Agents may read it' },
  { value: 'read-write', label: 'Read and write', text: 'Agents may read and write it' },
];

export const agentsText = (a: AgentAccess): string => AGENT_ACCESS.find((x) => x.value === a)?.text ?? a;

export function networkText(s: { network: boolean; readOnly: boolean }): string {
  if (!s.network) return 'Not on the network';
  return s.readOnly ? 'On the network, read-only' : 'On the network, read and write';
}

/** "12 files, 3.4 MB", or null while not measured yet. */
export function usageText(s: ShareView): string | null {
  if (!s.usage) return null;
  const files = s.usage.files === 1 ? '1 file' : `${s.usage.files.toLocaleString('en')} files`;
  return `${files}, ${formatBytes(s.usage.bytes)}`;
}

/** Computers can connect: Samba runs (or the system's does). */
export const smbUsable = (smb: SmbView): boolean => smb.state !== 'not-installed' && smb.state !== 'off';

/** Samba's state in a few words, and how it should look. */
export function smbText(smb: SmbView): { label: string; tone: 'ok' | 'bad' | 'idle' } {
  switch (smb.state) {
    case 'running':
      return { label: 'Sharing on the network', tone: 'ok' };
    case 'stopped':
      return { label: 'Not running', tone: 'idle' };
    case 'not-installed':
      return { label: 'Samba is not installed', tone: 'bad' };
    case 'off':
      return { label: 'Network sharing is off', tone: 'idle' };
    case 'error':
      return { label: 'Not working', tone: 'bad' };
  }
}

/** Why computers cannot connect, in plain words, for a box where Samba is missing or sharing is off. */
export function noSmbText(smb: SmbView): string {
  if (smb.state === 'not-installed') return NOT_INSTALLED_TEXT;
  return smb.problem ?? 'Network sharing is turned off on this box, so computers cannot connect. Agents and this web page can still use the folders.';
}

/** The plain words for a box without Samba. */
export const NOT_INSTALLED_TEXT =
  'Samba, the program that shares folders with computers, is not installed on this box, so computers cannot connect yet. You can still create the folders: agents can use them, and they go on the network once Samba is there.';

export const shareViewStyles = css`
  .tag.bad {
    background: var(--hearth-error-soft);
    border-color: #fecdca;
    color: var(--hearth-error);
  }
  .tag.warn {
    background: #fffaeb;
    border-color: #fedf89;
    color: #93370d;
  }
`;
