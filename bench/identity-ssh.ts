// ssh credential endpoint: complete logins per second (key exchange, public-key authentication
// against the keys policy returns, ES256 credential + etcd event, session closed), with the ssh2
// client keeping 8 logins in flight. Identity and policy run as their own processes; the client
// runs here (its half of the key exchange shares the same 2 cores). Last stdout line: JSON summary.
import { fetchSshCredential } from '@am/plugin-sdk';
import { PLUGIN, startIdentityBenchStack } from './identity-vouch';
import { closedLoop, percentile } from './support/load';

const IN_FLIGHT = 8;
const SECONDS = 8;
const WARM_UP_SECONDS = 2;

async function main() {
  const stack = await startIdentityBenchStack();
  try {
    const login = () => fetchSshCredential({ host: '127.0.0.1', port: stack.sshPort, principal: PLUGIN, privateKey: stack.pluginKey });
    await closedLoop(login, IN_FLIGHT, WARM_UP_SECONDS);
    const { perSecond, latencies } = await closedLoop(login, IN_FLIGHT, SECONDS);
    const p50 = percentile(latencies, 0.5);
    const p99 = percentile(latencies, 0.99);
    console.log(`ssh: ${perSecond.toFixed(1)} credentials/s with ${IN_FLIGHT} in flight; p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`);
    console.log(
      JSON.stringify({
        title: `ssh credential endpoint, ${IN_FLIGHT} logins in flight (ssh2 client, ed25519 key)`,
        metrics: [
          { name: 'ssh credentials', value: perSecond, unit: 'logins/s' },
          { name: 'login p50', value: p50, unit: 'ms' },
          { name: 'login p99', value: p99, unit: 'ms' },
        ],
        notes: `each login is a new connection: key exchange, publickey auth (policy: ssh login keys), credential signed and recorded in etcd; ${SECONDS} s after ${WARM_UP_SECONDS} s warm-up; client in the bench process`,
      }),
    );
  } finally {
    await stack.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
