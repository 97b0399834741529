import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ComposeError, loadCompose, parseEnvFile, type ComposeSource, type LoadedCompose } from "../../stacks/compose/load";
import { interpolate, InterpolationError, typed } from "../../stacks/compose/interpolate";

/** Writes the files into a new temporary project directory and returns the directory. */
function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "compose-load-"));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

/** Loads `compose.yaml` with the given text, an empty environment unless given. */
function load(yaml: string, options: Partial<ComposeSource> = {}, files: Record<string, string> = {}): LoadedCompose {
  const dir = project({ "compose.yaml": yaml, ...files });
  return loadCompose({ file: path.join(dir, "compose.yaml"), environment: {}, ...options });
}

/** The error message of loading, with the temporary directory replaced by "<dir>". */
function loadError(yaml: string, options: Partial<ComposeSource> = {}, files: Record<string, string> = {}): string {
  const dir = project({ "compose.yaml": yaml, ...files });
  try {
    loadCompose({ file: path.join(dir, "compose.yaml"), environment: {}, ...options });
  } catch (error) {
    expect(error).toBeInstanceOf(ComposeError);
    return (error as Error).message.split(dir).join("<dir>");
  }
  throw new Error("loadCompose did not fail");
}

const services = (loaded: LoadedCompose): Record<string, unknown> => loaded.document.services as Record<string, unknown>;

describe("interpolate", () => {
  const variables = { SET: "value", EMPTY: "", OTHER: "other", UNSET: undefined };

  test.each([
    ["plain text", "plain text"],
    ["$SET", "value"],
    ["${SET}", "value"],
    ["pre-${SET}-post", "pre-value-post"],
    ["$SET.conf", "value.conf"],
    ["${SET}${OTHER}", "valueother"],
    ["${UNSET:-def}", "def"],
    ["${EMPTY:-def}", "def"],
    ["${SET:-def}", "value"],
    ["${UNSET-def}", "def"],
    ["${EMPTY-def}", ""],
    ["${SET-def}", "value"],
    ["${UNSET:+alt}", ""],
    ["${EMPTY:+alt}", ""],
    ["${SET:+alt}", "alt"],
    ["${UNSET+alt}", ""],
    ["${EMPTY+alt}", "alt"],
    ["${SET:?needed}", "value"],
    ["${EMPTY?needed}", ""],
    ["$$SET", "$SET"],
    ["$${SET}", "${SET}"],
    ["cost: 5$$", "cost: 5$"],
    ["${UNSET:-${SET}}", "value"],
    ["${UNSET:-${EMPTY:-deep}}", "deep"],
    ["${UNSET:-a $OTHER b}", "a other b"],
    ["${SET:+[${OTHER}]}", "[other]"],
    ["${UNSET:-{x}}", "{x}"],
    // A default that is not used is not evaluated, as in docker compose.
    ["${SET:-${UNSET:?not evaluated}}", "value"],
  ])("%s → %j", (text, expected) => {
    const warnings: string[] = [];
    expect(interpolate(text, variables, "services.web.image", (message) => warnings.push(message))).toBe(expected);
    expect(warnings).toEqual([]);
  });

  test("an unset variable without a default becomes empty, with compose's warning", () => {
    const warnings: string[] = [];
    expect(interpolate("a${UNSET}b$UNSET", variables, "x", (message) => warnings.push(message))).toBe("ab");
    expect(warnings).toEqual([
      'The "UNSET" variable is not set. Defaulting to a blank string.',
      'The "UNSET" variable is not set. Defaulting to a blank string.',
    ]);
  });

  const invalid = (text: string): string =>
    `services.web.image: invalid interpolation format in ${JSON.stringify(text)}: ` +
    "write ${VAR}, ${VAR:-default} or similar, and escape a literal $ as $$";

  test.each([
    ["${UNSET:?set it in .env}", "services.web.image: required variable UNSET is missing a value: set it in .env"],
    ["${EMPTY:?must not be empty}", "services.web.image: required variable EMPTY is missing a value: must not be empty"],
    ["${UNSET?}", "services.web.image: required variable UNSET is missing a value"],
    ["${UNSET:?need ${SET}}", "services.web.image: required variable UNSET is missing a value: need value"],
    ["${UNSET:-${UNSET:?inner}}", "services.web.image: required variable UNSET is missing a value: inner"],
    ["${", invalid("${")],
    ["${VAR", invalid("${VAR")],
    ["${VAR:-default", invalid("${VAR:-default")],
    ["${}", invalid("${}")],
    ["${VAR/x}", invalid("${VAR/x}")],
    ["awk '{print $1}'", invalid("awk '{print $1}'")],
    ["ends with $", invalid("ends with $")],
    // A syntax error in a branch that is not taken is still an error.
    ["${SET:-${}", invalid("${SET:-${}")],
  ])("%s fails: %s", (text, message) => {
    expect(() => interpolate(text, variables, "services.web.image")).toThrow(new InterpolationError(message));
  });
});

describe("loadCompose: variables", () => {
  const yaml = "services:\n  web:\n    image: app:${TAG}\n    environment:\n      MODE: ${MODE:-dev}\n";

  test("values come from .env, the environment wins, keys are not interpolated", () => {
    const loaded = load(
      "services:\n  web:\n    image: app:${TAG}\n    labels:\n      ${KEY}: ${MODE}\n    ports: [8080]\n",
      { environment: { TAG: "from-env" } },
      { ".env": "TAG=from-file\nMODE=prod # comment\nKEY=k\n" },
    );
    expect(services(loaded)).toEqual({
      web: { image: "app:from-env", labels: { "${KEY}": "prod" }, ports: [8080] },
    });
    expect(loaded.warnings).toEqual([]);
  });

  test("an explicit env file replaces .env; the environment defaults to process.env", () => {
    process.env.COMPOSE_LOAD_TEST_TAG = "process";
    try {
      const dir = project({
        "compose.yaml": "services:\n  web:\n    image: ${COMPOSE_LOAD_TEST_TAG}-${MODE}\n",
        ".env": "MODE=default-file\n",
        "prod.env": "MODE=prod-file\nCOMPOSE_LOAD_TEST_TAG=file\n",
      });
      const loaded = loadCompose({ file: path.join(dir, "compose.yaml"), envFile: "prod.env" });
      expect(services(loaded)).toEqual({ web: { image: "process-prod-file" } });
    } finally {
      delete process.env.COMPOSE_LOAD_TEST_TAG;
    }
  });

  test("no .env is fine; unset variables warn once each", () => {
    const loaded = load(
      "services:\n  web:\n    image: app:1${SUFFIX}\n    environment:\n      MODE: ${MODE:-dev}\n  worker:\n    image: app:1${SUFFIX}\n",
    );
    expect(services(loaded)).toEqual({
      web: { image: "app:1", environment: { MODE: "dev" } },
      worker: { image: "app:1" },
    });
    expect(loaded.warnings).toEqual(['The "SUFFIX" variable is not set. Defaulting to a blank string.']);
  });

  test("an image that an unset variable turns into no image is refused as written, naming the variable", () => {
    expect(loadError(yaml)).toBe(
      '<dir>/compose.yaml: services.web.image "app:${TAG}": variable TAG is not set, so the image would be "app:", which is no image reference: set TAG, or give it a default in the file (${TAG:-default})',
    );
    expect(loadError("services:\n  web:\n    image: ${REGISTRY}/${NAME}:1\n")).toBe(
      '<dir>/compose.yaml: services.web.image "${REGISTRY}/${NAME}:1": variables REGISTRY, NAME are not set, so the image would be "/:1", which is no image reference: set REGISTRY and NAME, or give them defaults in the file (${REGISTRY:-default})',
    );
  });

  test("a missing explicit env file is an error", () => {
    expect(loadError(yaml, { envFile: "missing.env" })).toBe(
      '<dir>/compose.yaml: env file "missing.env" not found (looked for <dir>/missing.env)',
    );
  });

  test("interpolation errors name the file and the path in the document", () => {
    expect(loadError("services:\n  web:\n    command: [run, '${PORT:?set PORT}']\n")).toBe(
      "<dir>/compose.yaml: services.web.command[1]: required variable PORT is missing a value: set PORT",
    );
    expect(loadError("services:\n  web:\n    image: ${VAR\n")).toBe(
      '<dir>/compose.yaml: services.web.image: invalid interpolation format in "${VAR": ' +
        "write ${VAR}, ${VAR:-default} or similar, and escape a literal $ as $$",
    );
  });
});

describe("the .env file, as compose-go's dotenv reads it", () => {
  test.each<[string, string, Record<string, string>]>([
    ["KEY=value and KEY: value", "A=1\nB: 2\nC = 3 \n", { A: "1", B: "2", C: "3" }],
    ["export before the name", "export A=1\nexport   B=2\n", { A: "1", B: "2" }],
    ["comment lines, blank lines, and a comment after a space", "# note\n\nA=1 # note\nB=x#y\n", { A: "1", B: "x#y" }],
    ["an empty value, and = inside a value", "A=\nB=a=b\n", { A: "", B: "a=b" }],
    ["single quotes keep everything but an escaped quote", "A='$B \\n \\'q\\''\n", { A: "$B \\n 'q'" }],
    [
      "double quotes expand escapes, then variables",
      'B=b\nA="\\"q\\" \\n \\t \\\\ \\$B ${B} \\0101"\n',
      { B: "b", A: '"q" \n \t \\ $B b A' },
    ],
    ["a double-quoted value spans lines", 'A="one\ntwo"\nB=3\n', { A: "one\ntwo", B: "3" }],
    ["unquoted values are interpolated from the variables above", "A=a\nB=${A}-${C:-c}\nC=late\n", { A: "a", B: "a-c", C: "late" }],
    ["$$ is a literal $", "A=$${B}\n", { A: "${B}" }],
    ["a bare name comes from the environment, when it has one", "FROM_ENV\nMISSING\n", { FROM_ENV: "shell" }],
    [
      "the environment wins over the file's own variables when interpolating",
      "FROM_ENV=file\nA=${FROM_ENV}\n",
      { FROM_ENV: "file", A: "shell" },
    ],
    ["a byte order mark is skipped", "\uFEFFA=1\n", { A: "1" }],
  ])("%s", (_title, text, expected) => {
    expect(parseEnvFile(text, { FROM_ENV: "shell" }, ".env")).toEqual(expected);
  });

  test.each([
    ['A="open\n', '.env line 1: unterminated quoted value "open'],
    ["A=1\nB C=2\n", ".env line 2: a variable name cannot contain a space"],
    ["A=1\nB/C=2\n", '.env line 2: unexpected character "/" in variable name "B/C=2"'],
    [
      "A=1\nB=${C\n",
      '.env line 2: invalid interpolation format in "${C": write ${VAR}, ${VAR:-default} or similar, and escape a literal $ as $$',
    ],
  ])("%j fails: %s", (text, message) => {
    expect(() => parseEnvFile(text, {}, ".env")).toThrow(new InterpolationError(message));
  });

  test("a compose file reads the interpolated .env, the environment still winning; an error names the file", () => {
    const files = { ".env": 'NAME=web\nIMAGE="example/${NAME}:${TAG:-1}"\nTAG=2\n' };
    const yaml = 'services:\n  web:\n    image: ${IMAGE}\n    labels: ["tag=${TAG}"]\n';
    expect(services(load(yaml, {}, files))).toEqual({ web: { image: "example/web:1", labels: ["tag=2"] } });
    expect(services(load(yaml, { environment: { TAG: "3", NAME: "api" } }, files))).toEqual({
      web: { image: "example/api:3", labels: ["tag=3"] },
    });
    expect(loadError(yaml, {}, { ".env": "A='x\n" })).toBe("<dir>/compose.yaml: .env line 1: unterminated quoted value 'x");
  });
});

describe("loadCompose: values typed as docker compose types them", () => {
  test("an integer with a leading zero is octal, as go-yaml reads it; quoted text stays text", () => {
    const loaded = load(
      [
        "services:",
        "  web:",
        "    image: web",
        "    environment:",
        "      UMASK: 0022",
        "      QUOTED: '0022'",
        "      DECIMAL: 22",
        "      NOT_OCTAL: 08",
        "      NEGATIVE: -010",
        "      HEX: 0x1F",
        "      ZERO: 0",
        "    secrets:",
        "      - source: token",
        "        mode: 0440",
      ].join("\n"),
    );
    expect(services(loaded).web).toEqual({
      image: "web",
      environment: { UMASK: 18, QUOTED: "0022", DECIMAL: 22, NOT_OCTAL: 8, NEGATIVE: -8, HEX: 31, ZERO: 0 },
      secrets: [{ source: "token", mode: 288 }],
    });
  });

  test("text at a key compose types becomes a number or a boolean once interpolated; elsewhere it stays text", () => {
    const loaded = load(
      [
        "services:",
        "  web:",
        "    image: web",
        "    read_only: ${RO}",
        "    privileged: 'false'",
        "    ports: [{ target: '${PORT}', published: '${PORT}' }]",
        "    healthcheck: { test: [CMD, 'true'], retries: '${RETRIES:-3}' }",
        "    volumes: [{ type: volume, source: data, target: /data, read_only: '${RO}' }]",
        "    umask: '${UMASK:-022}'",
        "    deploy: { replicas: '${N}', update_config: { max_failure_ratio: '0.5' } }",
        "    environment: { N: '${N}', RO: '${RO}' }",
        "networks:",
        "  front: { external: '${EXTERNAL:-false}' }",
      ].join("\n"),
      { environment: { RO: "true", PORT: "8080", N: "2" } },
    );
    expect(loaded.document).toEqual({
      services: {
        web: {
          image: "web",
          read_only: true,
          privileged: false,
          ports: [{ target: 8080, published: "8080" }],
          healthcheck: { test: ["CMD", "true"], retries: 3 },
          volumes: [{ type: "volume", source: "data", target: "/data", read_only: true }],
          umask: 18,
          deploy: { replicas: 2, update_config: { max_failure_ratio: 0.5 } },
          environment: { N: "2", RO: "true" },
        },
      },
      networks: { front: { external: false } },
    });
    expect(loaded.warnings).toEqual([]);
  });

  test("YAML 1.1's yes and off are booleans there, with a note", () => {
    const loaded = load("services:\n  web:\n    image: web\n    read_only: ${RO}\n    tty: 'off'\n", { environment: { RO: "yes" } });
    expect(services(loaded).web).toEqual({ image: "web", read_only: true, tty: false });
    expect(loaded.warnings).toEqual([
      'services.web.read_only: "yes" for a boolean is YAML 1.1; write true',
      'services.web.tty: "off" for a boolean is YAML 1.1; write false',
    ]);
  });

  test.each([
    ["read_only: ${RO}", { RO: "maybe" }, 'services.web.read_only must be true or false, got "maybe"'],
    ["deploy: { replicas: '${N}' }", { N: "two" }, 'services.web.deploy.replicas must be a whole number, got "two"'],
    ["healthcheck: { retries: '1.5' }", {}, 'services.web.healthcheck.retries must be a whole number, got "1.5"'],
    ["cpus: '${CPUS}'", { CPUS: "half" }, 'services.web.cpus must be a number, got "half"'],
    ["umask: '${UMASK}'", { UMASK: "0999" }, 'services.web.umask must be an umask (a number; a leading 0 makes it octal), got "0999"'],
  ])("%s with %j fails", (line, environment, message) => {
    expect(loadError(`services:\n  web:\n    image: web\n    ${line}\n`, { environment })).toBe(`<dir>/compose.yaml: ${message}`);
  });

  test("typed() types a pre_start hook's keys as a service's, and leaves other keys' text alone", () => {
    expect(typed("true", ["services", "web", "pre_start", "0", "read_only"], "where")).toBe(true);
    expect(typed("true", ["services", "web", "environment", "RO"], "where")).toBe("true");
    expect(typed("80", ["services", "web", "ports", "0", "published"], "where")).toBe("80");
    expect(typed("80", ["services", "web", "ports", "0", "target"], "where")).toBe(80);
  });
});

describe("loadCompose: YAML", () => {
  test("anchors and merge keys, local keys winning", () => {
    const loaded = load(
      [
        "x-common: &common",
        "  restart: always",
        "  environment: &env",
        "    LOG: info",
        "services:",
        "  web:",
        "    <<: *common",
        "    image: web",
        "    restart: 'no'",
        "  worker:",
        "    <<: *common",
        "    image: worker",
        "    environment:",
        "      <<: *env",
        "      QUEUE: jobs",
      ].join("\n"),
    );
    expect(services(loaded)).toEqual({
      web: { restart: "no", environment: { LOG: "info" }, image: "web" },
      worker: { restart: "always", environment: { LOG: "info", QUEUE: "jobs" }, image: "worker" },
    });
  });

  test("!reset removes a key and !override keeps its value, in a file without extends", () => {
    const loaded = load("services:\n  web:\n    image: web\n    ports: !reset []\n    build: !reset null\n    dns: !override [1.1.1.1]\n");
    expect(services(loaded)).toEqual({ web: { image: "web", dns: ["1.1.1.1"] } });
  });

  test.each([
    [
      "services:\n  web:\n    image: a\n    image: b\n",
      'not valid YAML: Map keys must be unique at line 4, column 5 ("image" is written twice in one mapping; keep one)',
    ],
    [
      "services: [\n",
      "not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1",
    ],
    ["- web\n", "the top level must be a mapping (services:, networks:, ...), got a sequence"],
    ["", "the top level must be a mapping (services:, networks:, ...), got nothing (the file is empty)"],
    ["just text\n", "the top level must be a mapping (services:, networks:, ...), got text of 9 characters (not shown)"],
    ["services: [web]\n", "services must be a mapping of service names to services, got a sequence"],
  ])("%j fails", (yaml, message) => {
    expect(loadError(yaml)).toBe(`<dir>/compose.yaml: ${message}`);
  });

  test("a file that does not exist", () => {
    expect(() => loadCompose({ file: "no/such/compose.yaml", environment: {} })).toThrow(
      new ComposeError("no/such/compose.yaml: file not found"),
    );
  });
});

describe("loadCompose: version and version 1 files", () => {
  test("version is removed with a warning", () => {
    const loaded = load('version: "3.8"\nservices:\n  web:\n    image: web\n');
    expect(loaded.document).toEqual({ services: { web: { image: "web" } } });
    expect(loaded.warnings).toEqual(['version "3.8" is obsolete and ignored, as docker compose does']);
    expect(loaded.legacyV1).toBe(false);
  });

  test("top-level services are wrapped into services:", () => {
    const loaded = load("web:\n  image: web:${TAG:-1}\ndb:\n  build: ./db\n");
    expect(loaded.document).toEqual({ services: { web: { image: "web:1" }, db: { build: "./db" } } });
    expect(loaded.legacyV1).toBe(true);
    expect(loaded.warnings).toEqual(["no services: key: read as a version 1 file (each top-level key a service)"]);
  });

  test("a file with only networks is not a version 1 file", () => {
    const loaded = load("networks:\n  front: {}\n");
    expect(loaded.legacyV1).toBe(false);
    expect(loaded.document).toEqual({ networks: { front: {} } });
  });
});

describe("loadCompose: extends", () => {
  const base = [
    "services:",
    "  base:",
    "    image: base:1",
    "    command: [serve, --base]",
    "    entrypoint: /base.sh",
    "    ports: ['80:80', '443:443']",
    "    expose: [3000]",
    "    dns: 1.1.1.1",
    "    environment:",
    "      A: 1",
    "      B: base",
    "    labels: [tier=base]",
    "    depends_on: [db]",
    "    networks: [front]",
    "    healthcheck:",
    "      test: [CMD, base]",
    "      interval: 10s",
    "    build: ./base",
    "    volumes: ['data:/data', './conf:/etc/app']",
    "  db:",
    "    image: db",
  ];

  test("merges as compose does: mappings merged, sequences appended, commands replaced, sets kept unique", () => {
    const loaded = load(
      [
        ...base,
        "  web:",
        "    extends: { service: base }",
        "    image: web:2",
        "    command: [serve, --web]",
        "    ports: ['443:443', '8080:8080']",
        "    expose: [3000, 3001]",
        "    dns: [8.8.8.8]",
        "    environment: [B=web, C=3]",
        "    labels: { tier: web }",
        "    depends_on: { cache: { condition: service_healthy } }",
        "    networks: { back: { aliases: [api] } }",
        "    healthcheck: { test: [CMD, web] }",
        "    build: { dockerfile: Web.Dockerfile }",
        "    volumes: ['other:/data']",
        "  cache:",
        "    image: cache",
      ].join("\n"),
    );
    expect(services(loaded).web).toEqual({
      image: "web:2",
      command: ["serve", "--web"],
      entrypoint: "/base.sh",
      ports: ["80:80", "443:443", "8080:8080"],
      expose: [3000, 3001],
      dns: ["1.1.1.1", "8.8.8.8"],
      environment: ["A=1", "B=web", "C=3"],
      labels: ["tier=web"],
      depends_on: {
        db: { condition: "service_started", required: true },
        cache: { condition: "service_healthy" },
      },
      networks: { front: null, back: { aliases: ["api"] } },
      healthcheck: { test: ["CMD", "web"], interval: "10s" },
      build: { context: "./base", dockerfile: "Web.Dockerfile" },
      volumes: ["other:/data", "./conf:/etc/app"],
    });
    // The base is unchanged.
    expect((services(loaded).base as Record<string, unknown>).ports).toEqual(["80:80", "443:443"]);
  });

  test("!reset removes what the base brings, !override replaces it", () => {
    const loaded = load(
      [
        ...base,
        "  web:",
        "    extends: base",
        "    command: !reset null",
        "    ports: !override ['8080:80']",
        "    environment: !override { ONLY: here }",
        "    healthcheck:",
        "      interval: !reset",
        "    dns: !reset []",
      ].join("\n"),
    );
    const web = services(loaded).web as Record<string, unknown>;
    expect(web.command).toBeUndefined();
    expect(web.dns).toBeUndefined();
    expect(web.ports).toEqual(["8080:80"]);
    expect(web.environment).toEqual({ ONLY: "here" });
    expect(web.healthcheck).toEqual({ test: ["CMD", "base"] });
    expect(web.entrypoint).toBe("/base.sh");
  });

  test("extends chains resolve bases first, in any order in the file", () => {
    const loaded = load(
      [
        "services:",
        "  c:",
        "    extends: b",
        "    environment: [C=3]",
        "  b:",
        "    extends: { service: a }",
        "    environment: [B=2]",
        "  a:",
        "    image: a",
        "    environment: [A=1]",
      ].join("\n"),
    );
    expect(services(loaded).c).toEqual({ image: "a", environment: ["A=1", "B=2", "C=3"] });
    expect(services(loaded).b).toEqual({ image: "a", environment: ["A=1", "B=2"] });
  });

  test.each([
    [
      "services:\n  a:\n    extends: b\n  b:\n    extends: { service: c }\n  c:\n    extends: a\n",
      "services.a: extends forms a cycle: a -> b -> c -> a",
    ],
    ["services:\n  a:\n    image: a\n    extends: a\n", "services.a: extends forms a cycle: a -> a"],
    [
      "services:\n  web:\n    extends: { file: common.yaml, service: base }\n",
      'services.web.extends.file "common.yaml" is not a file (looked for common.yaml)',
    ],
    [
      "services:\n  web:\n    extends: nothing\n",
      'services.web extends service "nothing", which is not defined in this file (its services: web)',
    ],
    [
      "services:\n  web:\n    extends: { file: x.yaml }\n",
      'services.web.extends must be a service name or { service: name, file: other file }, got {"file":"x.yaml"}',
    ],
    [
      "services:\n  web:\n    extends: [a]\n",
      'services.web.extends must be a service name or { service: name, file: other file }, got ["a"]',
    ],
    [
      "services:\n  web:\n    extends: { file: https://example.com/base.yaml, service: base }\n",
      'services.web.extends.file "https://example.com/base.yaml" is a remote file, which dockyard does not fetch: download it and name the local copy',
    ],
  ])("%j fails", (yaml, message) => {
    expect(loadError(yaml)).toBe(`<dir>/compose.yaml: ${message}`);
  });
});

/** Writes files (paths may have folders) into a new temporary directory and returns it. */
function tree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "compose-load-"));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** Loads `file` of a tree, or returns its error with the directory replaced by "<dir>". */
function loadTree(files: Record<string, string>, file = "compose.yaml"): LoadedCompose | string {
  const dir = tree(files);
  try {
    return loadCompose({ file: path.join(dir, file), name: file, environment: {} });
  } catch (error) {
    expect(error).toBeInstanceOf(ComposeError);
    return (error as Error).message.split(dir).join("<dir>");
  }
}

describe("loadCompose: extends.file", () => {
  const base = [
    "services:",
    "  base:",
    "    build: ./app",
    "    env_file: [./base.env, { path: ../shared.env, required: false }]",
    "    volumes: ['./data:/data:ro', 'cache:/cache', { type: bind, source: conf, target: /etc/app }, '/abs:/abs']",
    "    environment: { A: '${TAG:-1}', B: base }",
    "  middle:",
    "    extends: base",
    "    labels: [tier=middle]",
  ].join("\n");

  test("the base service of another file, its relative paths rebased to this file's folder, merged as extends merges", () => {
    const loaded = loadTree({
      "compose.yaml": "services:\n  web:\n    extends: { file: lib/base.yaml, service: middle }\n    environment: [B=web]\n",
      "lib/base.yaml": base,
    }) as LoadedCompose;
    expect(services(loaded)).toEqual({
      web: {
        build: "lib/app",
        env_file: ["lib/base.env", { path: "shared.env", required: false }],
        volumes: ["./lib/data:/data:ro", "cache:/cache", { type: "bind", source: "lib/conf", target: "/etc/app" }, "/abs:/abs"],
        environment: ["A=1", "B=web"],
        labels: ["tier=middle"],
      },
    });
  });

  test("a chain through files resolves each file's extends.file from that file's folder", () => {
    const loaded = loadTree({
      "compose.yaml": "services:\n  web:\n    extends: { file: a/one.yaml, service: one }\n",
      "a/one.yaml": "services:\n  one:\n    extends: { file: b/two.yaml, service: two }\n    command: [one]\n",
      "a/b/two.yaml": "services:\n  two:\n    build: .\n    image: two\n",
    }) as LoadedCompose;
    expect(services(loaded)).toEqual({ web: { build: "a/b", image: "two", command: ["one"] } });
  });

  test.each([
    [
      "a cycle across files, naming the chain",
      {
        "compose.yaml": "services:\n  web:\n    extends: { file: base.yaml, service: base }\n",
        "base.yaml": "services:\n  base:\n    extends: { file: compose.yaml, service: web }\n",
      },
      "compose.yaml: services.web: extends forms a cycle: web (compose.yaml) -> base (base.yaml) -> web (compose.yaml)",
    ],
    [
      "a service the other file does not define",
      {
        "compose.yaml": "services:\n  web:\n    extends: { file: base.yaml, service: api }\n",
        "base.yaml": "services:\n  base:\n    image: b\n",
      },
      'compose.yaml: services.web extends service "api", which is not defined in base.yaml (its services: base)',
    ],
    [
      "another file without services",
      { "compose.yaml": "services:\n  web:\n    extends: { file: base.yaml, service: api }\n", "base.yaml": "volumes: {}\n" },
      "compose.yaml: services.web: base.yaml has no services",
    ],
    [
      "another file that is not YAML",
      { "compose.yaml": "services:\n  web:\n    extends: { file: base.yaml, service: api }\n", "base.yaml": "services: [\n" },
      "compose.yaml: base.yaml: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1",
    ],
  ])("%s is refused", (_name, files, message) => {
    expect(loadTree(files)).toBe(message);
  });
});

describe("loadCompose: include", () => {
  test("an included file's services, networks, volumes and secrets, its paths from its folder and its variables from its .env", () => {
    const loaded = loadTree({
      "compose.yaml": ["include:", "  - sub/compose.yaml", "services:", "  web:", "    image: web", "    depends_on: [db]"].join("\n"),
      "sub/compose.yaml": [
        "services:",
        "  db:",
        "    image: postgres:${PG}",
        "    build: { dockerfile: Db.Dockerfile }",
        "    env_file: db.env",
        "    volumes: ['./init:/docker-entrypoint-initdb.d', 'data:/var/lib/postgresql/data']",
        "    secrets: [pw]",
        "volumes:",
        "  data: {}",
        "networks:",
        "  back: {}",
        "secrets:",
        "  pw: { file: ./pw.txt }",
      ].join("\n"),
      "sub/.env": "PG=16\n",
    }) as LoadedCompose;
    expect(loaded.document).toEqual({
      services: {
        web: { image: "web", depends_on: ["db"] },
        db: {
          image: "postgres:16",
          build: { context: "sub", dockerfile: "Db.Dockerfile" },
          env_file: "sub/db.env",
          volumes: ["./sub/init:/docker-entrypoint-initdb.d", "data:/var/lib/postgresql/data"],
          secrets: ["pw"],
        },
      },
      volumes: { data: {} },
      networks: { back: {} },
      secrets: { pw: { file: "sub/pw.txt" } },
    });
  });

  test("project_directory and env_file: paths from the project directory, variables from the env file, the including file's first", () => {
    const dir = tree({
      "compose.yaml": "include:\n  - { path: parts/api.yaml, project_directory: src, env_file: [vars.env] }\n",
      "parts/api.yaml": "services:\n  api:\n    build: ./api\n    image: api:${TAG}\n    environment:\n      - REGION=${REGION}\n",
      "vars.env": "TAG=2\nREGION=eu\n",
    });
    const loaded = loadCompose({ file: path.join(dir, "compose.yaml"), environment: { REGION: "us" } });
    expect(services(loaded)).toEqual({ api: { build: "src/api", image: "api:2", environment: ["REGION=us"] } });
  });

  test("a service two included files define alike (a diamond) is taken once", () => {
    const loaded = loadTree({
      "compose.yaml": "include: [left.yaml, right.yaml]\n",
      "left.yaml": "include: [base.yaml]\nservices:\n  left:\n    image: l\n",
      "right.yaml": "include: [base.yaml]\nservices:\n  right:\n    image: r\n",
      "base.yaml": "services:\n  base:\n    image: b\n",
    }) as LoadedCompose;
    expect(Object.keys(services(loaded)).sort()).toEqual(["base", "left", "right"]);
  });

  test.each([
    [
      "the same service defined differently by the file and an included one",
      {
        "compose.yaml": "include: [sub/other.yaml]\nservices:\n  web:\n    image: a\n",
        "sub/other.yaml": "services:\n  web:\n    image: b\n",
      },
      "compose.yaml: services.web is defined in both compose.yaml and sub/other.yaml: an included file's services must not be defined again; rename one, or remove one of them",
    ],
    [
      "the same volume defined differently by two included files",
      {
        "compose.yaml": "include: [a.yaml, b.yaml]\n",
        "a.yaml": "services:\n  a:\n    image: a\nvolumes:\n  data: { labels: [a] }\n",
        "b.yaml": "services:\n  b:\n    image: b\nvolumes:\n  data: {}\n",
      },
      "compose.yaml: volumes.data is defined in both a.yaml and b.yaml: an included file's volumes must not be defined again; rename one, or remove one of them",
    ],
    [
      "a cycle",
      {
        "compose.yaml": "include: [a/one.yaml]\nservices:\n  web:\n    image: w\n",
        "a/one.yaml": "include: [../b/two.yaml]\n",
        "b/two.yaml": "include: [../a/one.yaml]\n",
      },
      "compose.yaml: b/two.yaml: include[0]: include forms a cycle: a/one.yaml -> b/two.yaml -> a/one.yaml",
    ],
    [
      "a file that is not there",
      { "compose.yaml": "include: [missing.yaml]\n" },
      'compose.yaml: include[0]: "missing.yaml" is not a file (looked for missing.yaml)',
    ],
    [
      "a remote file",
      { "compose.yaml": "include: [oci://registry.example/app:1]\n" },
      'compose.yaml: include[0]: "oci://registry.example/app:1" is a remote file, which dockyard does not fetch: download it and include the local copy',
    ],
    [
      "an env_file that is not there",
      { "compose.yaml": "include: [{ path: a.yaml, env_file: nope.env }]\n", "a.yaml": "services: {}\n" },
      'compose.yaml: include[0].env_file: "nope.env" is not a file',
    ],
    [
      "an entry with an unknown key",
      { "compose.yaml": "include: [{ path: a.yaml, paths: b.yaml }]\n" },
      'compose.yaml: include[0] has unknown key "paths" (allowed: env_file, path, project_directory)',
    ],
    [
      "an included file whose services are not a mapping",
      { "compose.yaml": "include: [a.yaml]\n", "a.yaml": "services: [web]\n" },
      "compose.yaml: a.yaml: services must be a mapping of services by name, got a sequence",
    ],
    [
      "include that is not a list",
      { "compose.yaml": "include: a.yaml\n" },
      "compose.yaml: include must be a list of files, or of { path, project_directory, env_file }, got text of 6 characters (not shown)",
    ],
  ])("%s is refused", (_name, files, message) => {
    expect(loadTree(files)).toBe(message);
  });

  test("a file outside the main file's folder is named by its whole path, not by ../ from wherever one stands", () => {
    const files = { "app/compose.yaml": "include: [../missing.yaml]\n", "shared.yaml": "services: [web]\n" };
    expect(loadTree(files, "app/compose.yaml")).toBe(
      'app/compose.yaml: include[0]: "../missing.yaml" is not a file (looked for <dir>/missing.yaml)',
    );
    expect(loadTree({ ...files, "app/compose.yaml": "include: [../shared.yaml]\n" }, "app/compose.yaml")).toBe(
      "app/compose.yaml: <dir>/shared.yaml: services must be a mapping of services by name, got a sequence",
    );
  });
});

describe("loadCompose: uniqueness without extends", () => {
  test("repeated ports, volumes by target and environment by name keep the last at the first's place", () => {
    const loaded = load(
      "services:\n  web:\n    ports: ['80:80', '81:81', '80:80']\n    volumes: [a:/data, b:/logs, c:/data]\n    environment: [A=1, B=2, A=3]\n",
    );
    expect(services(loaded).web).toEqual({
      ports: ["80:80", "81:81"],
      volumes: ["c:/data", "b:/logs"],
      environment: ["A=3", "B=2"],
    });
  });
});

describe("loadCompose: profiles", () => {
  const yaml = [
    "services:",
    "  web:",
    "    image: web",
    "  debug:",
    "    image: debug",
    "    profiles: [debug]",
    "  admin:",
    "    image: admin",
    "    profiles: [ops, debug]",
    "  metrics:",
    "    image: metrics",
    "    profiles: [ops]",
  ].join("\n");

  test.each<[Partial<ComposeSource>, Record<string, string>, string[], string[]]>([
    [{}, {}, ["web"], ["admin", "debug", "metrics"]],
    [{ profiles: ["debug"] }, {}, ["admin", "debug", "web"], ["metrics"]],
    [{ environment: { COMPOSE_PROFILES: "ops" } }, {}, ["admin", "metrics", "web"], ["debug"]],
    [{}, { ".env": "COMPOSE_PROFILES= debug , ops\n" }, ["admin", "debug", "metrics", "web"], []],
    [{ profiles: ["debug"], environment: { COMPOSE_PROFILES: "ops" } }, {}, ["admin", "debug", "web"], ["metrics"]],
    [{ profiles: ["*"] }, {}, ["admin", "debug", "metrics", "web"], []],
  ])("%j %j → active %j, inactive %j", (options, files, active, inactive) => {
    const loaded = load(yaml, options, files);
    expect(Object.keys(services(loaded)).sort()).toEqual(active);
    expect(loaded.inactive).toEqual(inactive);
  });

  test("an active service that depends on an inactive one is an error naming both", () => {
    const message = loadError(yaml + "\n  app:\n    image: app\n    depends_on: [web, metrics]\n", {
      profiles: ["debug"],
    });
    expect(message).toBe(
      '<dir>/compose.yaml: service "app" depends on service "metrics", which is not active: ' +
        "its profiles (ops) are not enabled (enabled: debug); " +
        "enable one with profiles or COMPOSE_PROFILES, or give the dependency the same profiles",
    );
  });

  test("an optional dependency on an inactive service is dropped with a warning", () => {
    const loaded = load(
      yaml + "\n  app:\n    image: app\n    depends_on:\n      metrics: { condition: service_started, required: false }\n",
    );
    expect(services(loaded).app).toEqual({ image: "app", depends_on: {} });
    expect(loaded.warnings).toEqual(['service "app": optional dependency "metrics" dropped: its profiles are not enabled']);
  });

  test("an inactive service may depend on another inactive one", () => {
    const loaded = load(yaml + "\n  tracer:\n    image: t\n    profiles: [ops]\n    depends_on: [metrics]\n");
    expect(loaded.inactive).toEqual(["admin", "debug", "metrics", "tracer"]);
  });
});
