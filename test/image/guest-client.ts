// HTTP to the booted image, run inside the test's network namespace (the guest is reachable
// only there):  node --import tsx test/image/guest-client.ts <command> <base URL> [args]
//   health                         GET /api/health
//   claim <code> <owner> <pass>    claim with the setup code, make the owner, finish setup
//   login <owner> <pass>           sign in; prints the status
//   device                         GET /api/device (open to anyone before setup)
//   reset <owner> <pass>           sign in and ask for a factory reset, typing the factory name
//   share <owner> <pass> <smbpass> sign in, set the SMB password, make the share "Inbox"
// Prints one JSON line; exits 1 with the error on failure.

import { HttpClient } from '../helpers/http-client.js';

const [command, base, ...args] = process.argv.slice(2);
if (!command || !base) {
  process.stderr.write('usage: guest-client.ts health|claim|login <base URL> [args]\n');
  process.exit(2);
}
const client = new HttpClient(base, { origin: base });

async function main(): Promise<unknown> {
  switch (command) {
    case 'health': {
      const r = await client.get('/api/health');
      return { status: r.status, body: r.body };
    }
    case 'claim': {
      const [code, owner, password] = args;
      const claim = await client.post('/api/setup/claim', { code });
      if (claim.status !== 200) throw new Error(`claim answered ${claim.status}: ${claim.text}`);
      const made = await client.post('/api/setup/owner', { username: owner, password });
      if (made.status !== 200) throw new Error(`owner answered ${made.status}: ${made.text}`);
      const named = await client.put('/api/setup/name', { name: 'Den' });
      if (named.status !== 200) throw new Error(`naming answered ${named.status}: ${named.text}`);
      const finish = await client.post('/api/setup/finish');
      if (finish.status !== 200) throw new Error(`finish answered ${finish.status}: ${finish.text}`);
      const health = await client.get('/api/health');
      return { setup: health.body?.setup };
    }
    case 'login': {
      const [owner, password] = args;
      const r = await client.post('/api/auth/login', { username: owner, password });
      return { status: r.status };
    }
    case 'share': {
      const [owner, password, smbPassword] = args;
      const login = await client.post('/api/auth/login', { username: owner, password });
      if (login.status !== 200) throw new Error(`login answered ${login.status}: ${login.text}`);
      const pass = await client.post('/api/shares/smb-password', { password: smbPassword });
      if (pass.status !== 204) throw new Error(`smb-password answered ${pass.status}: ${pass.text}`);
      const share = await client.post('/api/shares', { name: 'Inbox' });
      if (share.status !== 201) throw new Error(`making the share answered ${share.status}: ${share.text}`);
      return { status: share.status };
    }
    case 'device': {
      const r = await client.get('/api/device');
      return { status: r.status, body: r.body };
    }
    case 'reset': {
      const [owner, password] = args;
      const login = await client.post('/api/auth/login', { username: owner, password });
      if (login.status !== 200) throw new Error(`login answered ${login.status}: ${login.text}`);
      const device = await client.get('/api/device');
      const r = await client.post('/api/device/factory-reset', { confirm: device.body.factoryHostname });
      return { status: r.status, id: device.body.id, body: r.body };
    }
    default:
      throw new Error(`unknown command ${command}`);
  }
}

main().then(
  (out) => process.stdout.write(JSON.stringify(out) + '\n'),
  (err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  },
);
