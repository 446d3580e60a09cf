// The baseline for gateway benchmarks: a bare Fastify server answering the same routes with bodies
// of the same shape, with nothing else in the process (no NATS hop, no decision).
import Fastify from 'fastify';

const port = Number(process.argv[2] ?? 0);
const app = Fastify({ logger: false });
app.get('/healthz', async () => ({ status: 'ok' }));
app.post('/v1/check', async () => ({ revision: 1, allowed: true, agent: 'am://user/hpe/bu1/alice' }));
app.get('/v1/nodes/*', async () => ({ path: 'am://user/hpe/bu1/alice', roles: [], inheritedRoles: [], aces: [], inheritedAces: [], annotations: [], isDirectory: false, children: [], revision: 1 }));
app.listen({ port, host: '127.0.0.1' }).then(() => process.send?.('ready'));
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
