/**
 * The dashboard in a real browser (issue 14): Debian's Chromium, headless, driven by
 * playwright-core, kept off the network (every host name but 127.0.0.1 fails to resolve;
 * background services off). A hardhat node, the indexer on PGlite, the built dashboard; the test
 * creates a task and sees it appear while Seating, drives it to Finalized with a silent verifier,
 * and sees the Finalized phase and the liquidation listed. It saves a screenshot of the task page
 * to $DASHBOARD_SCREENSHOT_DIR (default .omnitensor/dashboard/), which docs/dashboard.md shows.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import {
  buildDashboard,
  CHROMIUM,
  OFFLINE_ARGS,
  serveDashboard,
  type ServedDashboard,
} from "../support/dashboard.ts";
import { deployOmniTensor, ROOT, rpc, startHardhatNode, type LocalChain } from "../support/devnet.ts";
import { startIndexer, type RunningIndexer } from "../support/indexer.ts";
import { finishTask, setupNetwork, startTask, type Network } from "../support/scenario.ts";

const SHOTS = resolve(ROOT, process.env.DASHBOARD_SCREENSHOT_DIR || ".omnitensor/dashboard");

describe(
  "dashboard in headless Chromium",
  // Skipped (and counted as skipped in the summary) only outside CI: CI must run it (.ci/run installs chromium).
  {
    timeout: 600_000,
    skip: !process.env.CI && !existsSync(CHROMIUM) && `no ${CHROMIUM} (apt-get install chromium)`,
  },
  () => {
    let chain: LocalChain;
    let net: Network;
    let indexer: RunningIndexer;
    let web: ServedDashboard;
    let browser: Browser;
    let page: Page;
    let dir: string;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "omnit-dash-"));
      chain = await startHardhatNode();
      const d = await deployOmniTensor(chain.rpcUrl);
      const file = join(dir, "deployment.json");
      writeFileSync(file, JSON.stringify(d));
      const [n, built] = await Promise.all([
        setupNetwork(chain.rpcUrl, d, [1, 2, 3, 4, 5, 6]),
        buildDashboard(join(dir, "web")),
      ]);
      net = n;
      indexer = await startIndexer({ deploymentFile: file, rpcUrl: chain.rpcUrl, pollingMs: 200 });
      web = await serveDashboard({ dir: built, indexerUrl: indexer.url });
      browser = await chromium.launch({ executablePath: CHROMIUM, args: OFFLINE_ARGS });
      page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    });

    after(async () => {
      await browser?.close();
      await web?.close();
      await indexer?.stop();
      await chain?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("shows the empty network, then a new task while it is Seating", async () => {
      await page.goto(`${web.url}/#/`);
      await page.getByText("No task yet").waitFor({ timeout: 30_000 });
      const t = await startTask(net);
      const row = page.locator("tr", { has: page.locator(`a[href="#/task/${t.taskId}"]`) });
      await row.waitFor({ timeout: 30_000 });
      await row.getByText("Seating").waitFor({ timeout: 30_000 });
      await finishTask(net, t, { silent: true });
      await row.getByText("Finalized").waitFor({ timeout: 60_000 });
    });

    it("shows the task Finalized with its commits, n and m, and the liquidation", async () => {
      await page.goto(`${web.url}/#/task/1`);
      await page.locator(".badge", { hasText: "Finalized" }).waitFor({ timeout: 30_000 });
      assert.equal(await page.locator("b.n").textContent(), "5", "n = 5 reveals of the accepted hash");
      assert.equal(await page.getByText("not revealed").count(), 1, "the silent verifier");
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, "task.png"), fullPage: true });
      await page.goto(`${web.url}/#/liquidations`);
      const liq = page.locator("tr", { has: page.locator(".liq-reason", { hasText: "silent" }) });
      await liq.waitFor({ timeout: 30_000 });
      assert.match((await liq.textContent()) ?? "", /#1/);
      await page.goto(`${web.url}/#/`);
      await page
        .locator(".stat", { hasText: "liquidations" })
        .getByText("1", { exact: true })
        .waitFor({ timeout: 30_000 });
      await page.screenshot({ path: join(SHOTS, "home.png"), fullPage: true });
      const head = BigInt((await rpc(chain.rpcUrl, "eth_blockNumber")) as string);
      assert.ok((await indexer.indexedBlock()) <= Number(head));
    });
  },
);
