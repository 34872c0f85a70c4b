// The loopback ModelServer in a process of its own, so the download figures do not share an event
// loop with the server (on a real box the server is far away). Prints {url, size} as one JSON line;
// exits when its stdin closes.
import { readFile } from 'node:fs/promises';
import { ModelServer } from '../helpers/model-server.js';

const [path, urlPath] = process.argv.slice(2);
if (!path || !urlPath) throw new Error('usage: model-server-process.ts <file> <url path>');
const body = await readFile(path);
const server = await ModelServer.start();
const url = server.serve(urlPath, { body });
process.stdout.write(JSON.stringify({ url, size: body.length }) + '\n');
process.stdin.resume();
process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
