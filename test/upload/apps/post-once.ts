// One upload POST through the real transport (proxy from the environment), printing the answer or the error.
import { UploadTransport } from '../../../exporters/upload/transport.js';

const t = new UploadTransport(process.env.URL!);
// The transport unrefs its sockets and timers (a background upload never holds a host open): hold this one open.
const keepAlive = setInterval(() => {}, 1000);
try {
  const r = await t.post(Buffer.from('[{"event":"via_proxy"}]'), false, { format: 'json', token: 'tok-123', gzip: false, timeoutMs: 5000 });
  console.log(JSON.stringify({ proxied: t.proxy !== undefined, status: r.status, body: r.body }));
} catch (err) {
  console.log(JSON.stringify({ proxied: t.proxy !== undefined, error: (err as Error).message }));
}
t.close();
clearInterval(keepAlive);
