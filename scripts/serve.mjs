// The page's server for scripts and tests: starts `latent-lab-serve` (serve/, a static server
// on hyper and tower-http) for the repository on a port (0 picks a free one) and resolves to an
// object with `address().port` and `close()`, like node's http.Server.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export function serve(port = 8080) {
  // `cargo run` builds the server if needed and then becomes it (exec), so killing the child
  // stops the server.
  const child = spawn('cargo', ['run', '--quiet', '-p', 'latent-lab-serve', '--', '--port', String(port)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.on('exit', () => child.kill());
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) resolve({ address: () => ({ port: Number(m[1]) }), close: () => child.kill() });
    });
    child.on('exit', (code) => reject(new Error(`latent-lab-serve exited (${code}) before serving`)));
  });
}
