// The page's server and the browser a test file shares: started before its first test and
// closed after its last (node's runner gives each test file a process of its own).
import { before, after } from 'node:test';
import { launchLab } from '../../scripts/chromium.mjs';

/** `{ base, browser }` once the file's first test runs. */
export const lab = {};

before(async () => Object.assign(lab, await launchLab()));
after(() => lab.close?.());
