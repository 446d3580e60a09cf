#!/usr/bin/env node
// The local stack, step zero: make a fresh clone runnable, then hand over to tools/stack.
//   1. npm dependencies installed (npm install when node_modules is missing or stale);
//   2. etcd and nats-server present (installed from Debian packages when running as root);
//   3. everything built into dist/.
// Only Node built-ins are used here, because nothing else is installed yet.
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const [command = 'up', ...rest] = process.argv.slice(2);

function say(line) {
  process.stdout.write(`${line}\n`);
}
function fail(line) {
  process.stderr.write(`${line}\n`);
  process.exit(1);
}
function run(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} failed (status ${r.status ?? r.signal})`);
}
function which(name) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const d of dirs.filter(Boolean)) {
    try {
      accessSync(join(d, name), constants.X_OK);
      return join(d, name);
    } catch {}
  }
  return undefined;
}

if (command === 'up') {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const stale = !existsSync(marker) || statSync(join(root, 'package-lock.json')).mtimeMs > statSync(marker).mtimeMs;
  if (stale) {
    say('installing npm dependencies (npm install)...');
    run('npm', ['install', '--no-audit', '--no-fund']);
  }

  const missing = [['etcd', 'etcd-server'], ['nats-server', 'nats-server']].filter(([bin]) => !which(bin));
  if (missing.length) {
    const pkgs = missing.map(([, pkg]) => pkg);
    if (process.getuid?.() !== 0) {
      fail(`${missing.map(([b]) => b).join(' and ')} not found. Install them (as root): apt-get install -y ${pkgs.join(' ')}`);
    }
    say(`installing ${pkgs.join(' ')} from Debian packages...`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    run('apt-get', ['update', '-qq'], env);
    run('apt-get', ['install', '-y', '-qq', ...pkgs], env);
    // Debian starts the packaged services under systemd; they would hold our ports.
    if (which('systemctl') && existsSync('/run/systemd/system')) {
      for (const unit of ['etcd', 'nats-server']) spawnSync('systemctl', ['disable', '--now', unit], { stdio: 'ignore' });
      say('disabled the system-wide etcd and nats-server services that the packages started');
    }
  }

  say('building...');
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
} else if (!existsSync(join(root, 'dist/tools/stack/src/main.js'))) {
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
}

const r = spawnSync(process.execPath, [join(root, 'dist/tools/stack/src/main.js'), command, ...rest], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
