// The baseline for gateway benchmarks: a bare Fastify server answering the same route with the
// same body, with nothing else in the process.
import Fastify from 'fastify';

const port = Number(process.argv[2] ?? 0);
const app = Fastify({ logger: false });
app.get('/healthz', async () => ({ status: 'ok' }));
app.listen({ port, host: '127.0.0.1' }).then(() => process.send?.('ready'));
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
