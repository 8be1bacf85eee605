// Playwright for the web task list: Debian's chromium (no browser download), one worker, the
// daemon that tests/web/e2e_test.sh started (OG_URL).
import {defineConfig} from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.mjs',
  outputDir: process.env.OG_PW_OUT || '/tmp/overgang-playwright',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 30000,
  expect: {timeout: 5000},
  reporter: [['list']],
  use: {
    baseURL: process.env.OG_URL,
    locale: 'da-DK',
    timezoneId: 'Europe/Copenhagen',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      // as root (CI) chromium's sandbox cannot start
      args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [],
    },
  },
});
