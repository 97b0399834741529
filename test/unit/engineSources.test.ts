/**
 * tools/engine/build.sh checks the source archives it builds from before it builds anything.
 * Each case runs a copy of tools/engine in a scratch folder (its own checkout root and cache), so
 * nothing is built or reused; a wrong archive must stop the run within seconds, naming the file,
 * the expected and the actual sum.
 */
import { execFileSync, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const root = path.join(__dirname, "..", "..");
const LANGHOST = "pulumi-language-nodejs-1b5949891b3c.tar.gz";
const PROVIDER = "pulumi-docker-provider-e944612c4c97.tar.gz";
const UPSTREAM = "terraform-provider-docker-5074970c71ce.tar.gz";
const PINS: Record<string, string> = {
  [LANGHOST]: "10f7a5a178d7ce35f6e7e34ec15666f7ccd71f4087f1d14e774dfc8019eeccd0",
  [PROVIDER]: "da7f250fe79ade4586d10cedf5de47bff8b3e11976a2d7109989f3ce0158324a",
  [UPSTREAM]: "287dfbb60846838ad269f9949ad8e6fe2fc2f14df6c173b0130c68828d57a7a3",
};

let scratch: string;
beforeEach(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-engine-"));
  fs.cpSync(path.join(root, "tools", "engine"), path.join(scratch, "checkout", "tools", "engine"), { recursive: true });
  fs.mkdirSync(path.join(scratch, "sources"));
});
afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

function build(sources: string | undefined, ...targets: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKYARD_CACHE: path.join(scratch, "cache"), DOCKYARD_ENGINE_BUILD: "1" };
  delete env.DOCKYARD_ENGINE_SOURCES;
  if (sources !== undefined) env.DOCKYARD_ENGINE_SOURCES = sources;
  const run = spawnSync("bash", [path.join(scratch, "checkout", "tools", "engine", "build.sh"), ...targets], {
    env,
    encoding: "utf8",
    timeout: 60000,
  });
  return {
    status: run.status,
    output: `${run.stdout}${run.stderr}`,
    built: fs.existsSync(path.join(scratch, "checkout", ".tools", "pulumi", "bin", "pulumi")),
  };
}

/** A gzipped `git archive` of a one-file repository; returns the commit it records. */
function gitArchive(file: string): string {
  const repo = path.join(scratch, "repo");
  fs.mkdirSync(repo);
  fs.writeFileSync(path.join(repo, "LICENSE"), "not the right source\n");
  const git = (...args: string[]) => execFileSync("git", ["-C", repo, ...args], { encoding: "utf8" }).trim();
  git("init", "-q");
  git("add", "LICENSE");
  git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x");
  git("archive", "--format=tar.gz", "--prefix=x/", "-o", file, "HEAD");
  return git("rev-parse", "HEAD");
}
const sha256 = (file: string) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");

describe("engine build: source archives are checked before anything is built", () => {
  test("no DOCKYARD_ENGINE_SOURCES: says which archives to provide, builds nothing", () => {
    const run = build(undefined);
    expect(run.status).toBe(1);
    expect(run.output).toContain(
      `error: the Node.js language host is built from a source archive: set DOCKYARD_ENGINE_SOURCES to a directory holding ${LANGHOST} (github.com/pulumi/pulumi at 1b5949891b3cefcb9974752b24a5ecef0acc86c8, sha256 ${PINS[LANGHOST]})`,
    );
    expect(run.output).toContain(
      `error: the Docker provider is built from a source archive: set DOCKYARD_ENGINE_SOURCES to a directory holding ${PROVIDER} (github.com/pulumi/pulumi-docker at e944612c4c970123d9a16a48c40d37dc84c89a70, tag v5.1.0, sha256 ${PINS[PROVIDER]})`,
    );
    expect(run.output).toContain("error: nothing was built: the source archives above are missing or differ from their pins");
    expect(run.built).toBe(false);
  });

  test("a missing archive is named with its upstream commit and sum", () => {
    const sources = path.join(scratch, "sources");
    const run = build(sources, "cli");
    expect(run.status).toBe(1);
    expect(run.output).toContain(
      `error: DOCKYARD_ENGINE_SOURCES=${sources} has no ${LANGHOST} (github.com/pulumi/pulumi at 1b5949891b3cefcb9974752b24a5ecef0acc86c8, sha256 ${PINS[LANGHOST]})`,
    );
    // The cli target needs no Docker provider, so its archives are not asked for.
    expect(run.output).not.toContain(PROVIDER);
    expect(run.built).toBe(false);
  });

  test("an archive with other bytes: the file, the actual and expected sums, and the commit it records", () => {
    const sources = path.join(scratch, "sources");
    const wrong = path.join(sources, UPSTREAM);
    const commit = gitArchive(wrong);
    const run = build(sources, "docker");
    expect(run.status).toBe(1);
    expect(run.output).toContain(
      `error: ${wrong}: sha256 ${sha256(wrong)}, expected ${PINS[UPSTREAM]} (github.com/kreuzwerker/terraform-provider-docker at 5074970c71ce6cc393c74942d5d628943834beb9); the archive says it is commit ${commit}`,
    );
    expect(run.output).toContain(`has no ${LANGHOST}`);
    expect(run.output).toContain(`has no ${PROVIDER}`);
    expect(run.built).toBe(false);
  });
});
