import { join } from 'node:path';

/** Where Samba keeps its state for a private smbd: everything under <data>/samba. */
export interface SambaPaths {
  root: string;
  conf: string;
  usernameMap: string;
  state: string;
  cache: string;
  lock: string;
  pid: string;
  private: string;
  ncalrpc: string;
  log: string;
  passdb: string;
}

export function sambaPaths(dataDir: string): SambaPaths {
  const root = join(dataDir, 'samba');
  return {
    root,
    conf: join(root, 'smb.conf'),
    usernameMap: join(root, 'users.map'),
    state: join(root, 'state'),
    cache: join(root, 'cache'),
    lock: join(root, 'lock'),
    pid: join(root, 'pid'),
    private: join(root, 'private'),
    ncalrpc: join(root, 'ncalrpc'),
    log: join(root, 'log'),
    passdb: join(root, 'private', 'passdb.tdb'),
  };
}

export interface SambaShareEntry {
  name: string;
  description: string;
  path: string;
  readOnly: boolean;
}

export interface SambaConfigInput {
  mode: 'private' | 'system';
  paths: SambaPaths;
  /** NetBIOS name, e.g. HEARTH-AB12 (at most 15 characters). */
  netbiosName: string;
  serverString: string;
  port: number;
  /** Address to bind to, or null for every interface. */
  bindAddress: string | null;
  /** The SMB login (the owner's user name). */
  smbUser: string;
  /** The Unix user smbd acts as on disk: the daemon's own. */
  unixUser: string;
  /** VFS modules present on this system (catia, fruit, streams_xattr), in that order. */
  vfsObjects: string[];
  /** Samba's log level for the lines hearthd relays to its own log. */
  logLevel: number;
  shares: SambaShareEntry[];
}

/** The macOS interop modules, in the order Samba wants them stacked. */
export const MAC_VFS_MODULES = ['catia', 'fruit', 'streams_xattr'] as const;

/** One smb.conf value on one line: Samba has no quoting, so line breaks are refused upstream and dropped here. */
const value = (v: string | number): string => String(v).replace(/[\r\n]+/gu, ' ');

/**
 * smb.conf for Hearth's shares: SMB2/3 only, no guest, no printers, macOS-friendly where the
 * modules exist, the owner as the only user (mapped onto the daemon's Unix user), one section per
 * network share. In 'private' mode it also carries the port, binding and every state directory;
 * in 'system' mode the system's smbd includes it, so it holds the shares and nothing global.
 */
export function generateSambaConfig(c: SambaConfigInput): string {
  const lines: string[] = ['# Written by hearthd from config.json; edits here are overwritten.', ''];
  const validUser = c.unixUser; // the username map turns the SMB login into the daemon's user before this check
  if (c.mode === 'private') {
    const p = c.paths;
    lines.push(
      '[global]',
      '  server role = standalone server',
      `  netbios name = ${value(c.netbiosName)}`,
      '  workgroup = WORKGROUP',
      `  server string = ${value(c.serverString)}`,
      '  server min protocol = SMB2_02',
      `  smb ports = ${c.port}`,
      ...(c.bindAddress ? [`  interfaces = ${value(c.bindAddress)}`, '  bind interfaces only = yes'] : []),
      '  disable netbios = yes',
      '  map to guest = never',
      '  restrict anonymous = 2',
      '  guest ok = no',
      '  load printers = no',
      '  printing = bsd',
      '  printcap name = /dev/null',
      '  disable spoolss = yes',
      `  state directory = ${value(p.state)}`,
      `  cache directory = ${value(p.cache)}`,
      `  lock directory = ${value(p.lock)}`,
      `  pid directory = ${value(p.pid)}`,
      `  private dir = ${value(p.private)}`,
      `  ncalrpc dir = ${value(p.ncalrpc)}`,
      `  passdb backend = tdbsam:${value(p.passdb)}`,
      `  username map = ${value(p.usernameMap)}`,
      '  logging = stdout',
      // samba-dcerpcd and its rpcd_* helpers log to files (and keep cores) beside this, not in /var/log/samba, which is root's.
      `  log file = ${value(join(p.log, 'log.%m'))}`,
      '  max log size = 1000',
      `  log level = ${c.logLevel}`,
      // Without a range Samba logs a warning on every connection.
      '  idmap config * : backend = tdb',
      '  idmap config * : range = 3000-7999',
      ...(c.vfsObjects.includes('fruit') ? ['  fruit:metadata = stream', '  fruit:model = Xserve', '  fruit:veto_appledouble = no', '  fruit:wipe_intentionally_left_blank_rfork = yes', '  fruit:delete_empty_adfiles = yes'] : []),
      '',
    );
  } else {
    // Included at the end of [global] in /etc/samba/smb.conf: these lines still set globals, the sections follow.
    lines.push(
      '  server min protocol = SMB2_02',
      '  map to guest = never',
      '  restrict anonymous = 2',
      '  load printers = no',
      '  printing = bsd',
      '  printcap name = /dev/null',
      '  disable spoolss = yes',
      `  username map = ${value(c.paths.usernameMap)}`,
      '',
    );
  }
  for (const s of c.shares) {
    lines.push(
      `[${value(s.name)}]`,
      `  path = ${value(s.path)}`,
      ...(s.description ? [`  comment = ${value(s.description)}`] : []),
      '  browseable = yes',
      `  read only = ${s.readOnly ? 'yes' : 'no'}`,
      '  guest ok = no',
      `  valid users = ${value(validUser)}`,
      `  force user = ${value(c.unixUser)}`,
      '  hide dot files = yes',
      // Hearth's own folder inside a share (upload temp files, agent state) is never visible over SMB.
      '  veto files = /.hearth/',
      '  delete veto files = no',
      '  create mask = 0664',
      '  directory mask = 0775',
      ...(c.vfsObjects.length > 0 ? [`  vfs objects = ${c.vfsObjects.join(' ')}`] : []),
      '',
    );
  }
  return lines.join('\n');
}

/** users.map: the SMB login (the owner's name) is the daemon's Unix user, so no system account is needed. */
export function generateUsernameMap(unixUser: string, smbUser: string): string {
  return smbUser && smbUser !== unixUser ? `${unixUser} = ${smbUser}\n` : '';
}
