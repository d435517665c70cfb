// The native command line, as the end-to-end tests run it: `latent-lab` built by cargo (the
// debug build the native tests made), its output returned, its errors thrown with stderr.
import { execFileSync } from 'node:child_process';

export const cli = (...args) => execFileSync('cargo', ['run', '--quiet', '--bin', 'latent-lab', '--', ...args], { encoding: 'utf8', stdio: 'pipe' });
