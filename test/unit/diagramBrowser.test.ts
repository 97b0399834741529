/**
 * The diagram in a real browser: docs/diagram-dev.svg (the README's picture) and a fresh SVG of the
 * staging stack open in headless Chromium (Debian's, driven by playwright-core as apps/tests does; no
 * browser download), which lays out every service's name where it can be seen: inside the page and
 * not covered by anything else. A screenshot of each goes to TEST_SCREENSHOT_DIR when it is set.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Browser, chromium } from "playwright-core";
import { diagramOf, render } from "../../cli/diagram";
import { DIAGRAM_SVG } from "../../tools/docs/diagram";

/** Debian's Chromium; playwright-core never downloads a browser. */
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const SERVICES = ["db", "redis", "result", "vote", "worker"];

interface Seen {
  text: string;
  /** Its box's size and whether the page's topmost element at its centre is the text itself. */
  width: number;
  height: number;
  onTop: boolean;
  inPage: boolean;
}

/** Run in the page (as text: this project's TypeScript has no DOM types): every <text>, as laid out. */
const LAID_OUT = `Array.from(document.querySelectorAll("text")).map((element) => {
  const box = element.getBoundingClientRect();
  const top = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
  return {
    text: element.textContent ?? "",
    width: box.width,
    height: box.height,
    onTop: top === element,
    inPage: box.x >= 0 && box.y >= 0 && box.right <= window.innerWidth && box.bottom <= window.innerHeight,
  };
})`;

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}, 60000);
afterAll(async () => {
  await browser?.close();
});

/** Every <text> of the SVG at `file` as Chromium lays it out. */
async function textsOf(file: string, shot: string): Promise<Seen[]> {
  const page = await browser.newPage({ viewport: { width: 2400, height: 1200 } });
  try {
    await page.goto(`file://${file}`);
    const seen = (await page.evaluate(LAID_OUT)) as Seen[];
    const shots = process.env.TEST_SCREENSHOT_DIR;
    const png = await page.screenshot({ ...(shots ? { path: path.join(shots, shot) } : {}) });
    expect(png.length).toBeGreaterThan(10000);
    return seen;
  } finally {
    await page.close();
  }
}

/** Each name's first text element (a service's node title comes before its edges' labels). */
function named(seen: Seen[], names: string[]): Record<string, Omit<Seen, "text"> | undefined> {
  return Object.fromEntries(
    names.map((name) => {
      const found = seen.find((item) => item.text === name);
      return [name, found && { width: found.width, height: found.height, onTop: found.onTop, inPage: found.inPage }];
    }),
  );
}

const visible = (seen: Omit<Seen, "text"> | undefined) =>
  seen !== undefined && seen.width > 0 && seen.height > 0 && seen.onTop && seen.inPage;

describe("the diagram's SVG in headless Chromium", () => {
  it("docs/diagram-dev.svg shows every service's name, network and published address", async () => {
    const seen = await textsOf(DIAGRAM_SVG, "diagram-dev.png");
    const wanted = [...SERVICES, "network backend · 10.123.2.0/24", "network frontend · 10.123.1.0/24", "127.0.0.1:5000", "127.0.0.1:5001"];
    const shown = named(seen, wanted);
    expect(wanted.filter((name) => !visible(shown[name]))).toEqual([]);
  }, 60000);

  it("a fresh SVG of the staging stack on Kubernetes shows every service's name and Service", async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-svg-")), "staging.svg");
    fs.writeFileSync(file, render(diagramOf({ stack: "staging", dir: path.resolve(__dirname, "../..") }).picture, "svg"));
    const seen = await textsOf(file, "diagram-staging.png");
    const wanted = [...SERVICES, "Service vote (ClusterIP) 5000 → 8080/tcp", "vote.staging.svc.cluster.local:5000"];
    const shown = named(seen, wanted);
    expect(wanted.filter((name) => !visible(shown[name]))).toEqual([]);
  }, 60000);
});
