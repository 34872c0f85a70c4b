// The naming rules are hearthd's own (one source of truth): the UI previews exactly what the server will store.
export { checkDeviceName, checkHostname, slugifyHostname, MAX_LABEL_BYTES } from '../../../appliance/src/device/names.js';

const SETUP_CODE_CHARS = /[^0-9A-Z]/g;

/** "k7qm 2xpd" -> "K7QM-2XPD" while typing; the server accepts any spacing and case anyway. */
export function formatSetupCode(input: string): string {
  const chars = input.toUpperCase().replace(SETUP_CODE_CHARS, '').slice(0, 8);
  return chars.length > 4 ? `${chars.slice(0, 4)}-${chars.slice(4)}` : chars;
}

/** The address people should type: the custom host name when set, else the factory one. */
export function primaryLocalName(device: { hostname: string; factoryHostname: string }): string {
  return `${device.hostname || device.factoryHostname}.local`;
}
