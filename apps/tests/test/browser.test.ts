import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { Stack } from '../src/stack.js';

/** Debian's Chromium; playwright-core never downloads a browser. */
const CHROMIUM = process.env['CHROMIUM_PATH'] || '/usr/bin/chromium';
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

describe('in a browser', () => {
  it('the result page updates its counts without a reload when a vote is cast', async () => {
    const stack = await Stack.create({ labels: { a: 'Tea', b: 'Coffee' } });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
    try {
      const { vote, result } = await stack.all();
      const page = await browser.newPage();
      await page.goto(result.url);
      assert.equal(await page.textContent('#count-a'), '0 votes');
      assert.equal(await page.textContent('#status'), 'Live');
      // Marks this document: a reload would lose the mark.
      await page.evaluate(() => document.body.setAttribute('data-loaded-once', 'yes'));

      const voter = await browser.newPage();
      await voter.goto(vote.url);
      assert.equal(await voter.textContent('h1'), 'Tea vs Coffee!');
      await voter.click('button[value="a"]');
      await voter.waitForSelector('text=Your vote: Tea');

      await page.waitForFunction(() => document.getElementById('count-a')?.textContent === '1 vote', undefined, { timeout: 15000 });
      assert.equal(await page.textContent('#percent-a'), '100%');
      assert.equal(await page.textContent('#total'), '1 vote in total');
      assert.equal(await page.getAttribute('body', 'data-loaded-once'), 'yes');

      const shots = process.env['TEST_SCREENSHOT_DIR'];
      if (shots) {
        await page.screenshot({ path: join(shots, 'result.png') });
        await voter.screenshot({ path: join(shots, 'vote.png') });
      }
    } finally {
      await browser.close();
      await stack.close();
    }
  });
});
