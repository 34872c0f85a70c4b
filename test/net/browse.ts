// A bonjour-service browser for the mDNS test, run inside a test namespace:
//   node --import tsx test/net/browse.ts <service type, e.g. hearth> <local IPv4 address> <listen ms>
// Prints one JSON line: the services seen (latest SRV/TXT of each), then exits.

import { Bonjour, type Service } from 'bonjour-service';

const [type = 'hearth', address, msText = '2500'] = process.argv.slice(2);
if (!address) {
  process.stderr.write('usage: browse.ts <type> <local IPv4 address> <listen ms>\n');
  process.exit(2);
}

const errors: string[] = [];
// Send on this address's interface; bind 0.0.0.0, since a socket bound to a unicast address never sees multicast.
const socketOptions: Record<string, unknown> = { interface: address, bind: '0.0.0.0' };
const bonjour = new Bonjour(socketOptions, (err: Error) => errors.push(err.message));
const seen = new Map<string, Service>();
const browser = bonjour.find({ type });
const keep = (s: Service) => seen.set(s.fqdn, s);
browser.on('up', keep);
browser.on('txt-update', keep);
browser.on('srv-update', keep);
browser.on('down', (s: Service) => seen.delete(s.fqdn));
// Ask again a few times: a single query can be lost while the other side is still probing.
const ask = setInterval(() => browser.update(), 700);

setTimeout(() => {
  clearInterval(ask);
  browser.stop();
  const services = [...seen.values()].map((s) => ({
    name: s.name,
    fqdn: s.fqdn,
    host: s.host,
    port: s.port,
    txt: s.txt as Record<string, string>,
    addresses: s.addresses ?? [],
  }));
  process.stdout.write(JSON.stringify({ services, errors }) + '\n');
  bonjour.destroy(() => process.exit(0));
  setTimeout(() => process.exit(0), 500).unref();
}, Number(msText));
