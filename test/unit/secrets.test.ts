/**
 * stacks/secrets.ts: which plain values look like credentials (by the variable's name, by the value's
 * format, by its entropy), what is no credential, and the registry password outside dev through the
 * whole program. The refusals of env and build arguments are in resolve.test.ts (the app model, the
 * stack config) and compose.test.ts (a compose file).
 */
import * as pulumi from "@pulumi/pulumi";
import {
  commandSecret,
  isSecretName,
  literalSecrets,
  redacted,
  secretLooking,
  secretLookingValue,
  shannonEntropy,
} from "../../stacks/secrets";
import { byType, recorded, secretValue, settle, setupMocks } from "./mocks";
import { CLUSTER, Config, SECRET_CONFIG } from "./program";

describe("a name that says its value is a credential", () => {
  test.each([
    "POSTGRES_PASSWORD",
    "MYSQL_ROOT_PASSWD",
    "DB_PASS",
    "MYSQL_PWD",
    "JWT_SECRET",
    "CLIENT_SECRET",
    "GITHUB_TOKEN",
    "NPM_TOKEN",
    "API_KEY",
    "APIKEY",
    "AWS_SECRET_ACCESS_KEY",
    "SSH_PRIVATE_KEY",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "SECRET_KEY_BASE",
    "DB_PASSWORD_PROD",
    "API_TOKEN_2",
    "dbPassword",
    "stripe.secretKey",
  ])("%s", (name) => {
    expect(isSecretName(name)).toBe(true);
  });

  test.each([
    "PASSWORD_FILE",
    "POSTGRES_PASSWORD_FILE",
    "TOKEN_URL",
    "TOKEN_ENDPOINT",
    "PASSWORD_MIN_LENGTH",
    "TOKEN_TTL",
    "AWS_ACCESS_KEY_ID",
    "SECRETS_DIR",
    "PWD",
    "PASS",
    "KEY",
    "SORT_KEY",
    "REDIS_KEY_PREFIX",
    "PASSWORD_RESET_ENABLED",
    "LOG_LEVEL",
  ])("not %s", (name) => {
    expect(isSecretName(name)).toBe(false);
  });
});

describe("a value that looks like a credential whatever its name", () => {
  test.each([
    ["AKIAIOSFODNN7EXAMPLE", "an AWS access key ID"],
    [`ghp_${"aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6"}`, "a GitHub token"],
    [`glpat-${"aB3dE6gH9jK2mN5pQ8sT"}`, "a GitLab token"],
    [`npm_${"a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"}`, "an npm token"],
    ["xoxb-1234567890-abcdefghij", "a Slack token"],
    [`sk_live_${"aB3dE6gH9jK2mN5p"}`, "a Stripe key"],
    [`AIza${"Sy".repeat(17)}A`, "a Google API key"],
    [`pul-${"0123456789abcdef".repeat(2)}01234567`, "a Pulumi access token"],
    ["-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n-----END OPENSSH PRIVATE KEY-----", "a private key"],
    ["Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "a JSON Web Token"],
    ["postgres://app:hunter2@db:5432/app", "a URL with a password in it"],
    ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "a random token (long, high-entropy text)"],
    ["token=Zk3Lm9Qp2Rs7Tv4Wx8Yz1Ab6", "a random token (long, high-entropy text)"],
  ])("%s: %s", (value, what) => {
    expect(secretLookingValue(value)).toBe(what);
  });

  test.each([
    "postgres://app:${DB_PASSWORD}@db:5432/app",
    "https://example.com/oauth/callback?state=Abc123",
    "registry.example.com/team/app:1.2.3",
    "3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39",
    "sha256:3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a393f2a9c1d8e7b6a5f4e3d2c1b",
    "123e4567-e89b-12d3-a456-426614174000",
    "HelloWorldFromDocker2024",
    "org.example.MyApplication2",
    "/opt/App/lib/Main2024Runtime",
    "-Xmx512m -XX:+UseG1GC",
    "Europe/Amsterdam",
  ])("not %s", (value) => {
    expect(secretLookingValue(value)).toBeUndefined();
  });

  test("entropy in bits per character: none for one repeated character, log2 of the count for distinct ones", () => {
    expect([shannonEntropy("aaaa"), shannonEntropy("abcd"), shannonEntropy("0123456789abcdef")]).toEqual([0, 2, 4]);
  });
});

describe("a variable's literal value", () => {
  test.each([
    ["API_TOKEN", "abc123", "named like one"],
    ["GREETING", "AKIAIOSFODNN7EXAMPLE", "it looks like an AWS access key ID"],
    ["DB_PASSWORD", "", undefined],
    ["DB_PASSWORD", "   ", undefined],
    ["DB_PASSWORD", "${DB_PASSWORD}", undefined],
    ["DB_PASSWORD", "$DB_PASSWORD", undefined],
    ["DB_PASSWORD", "/run/secrets/db-password", undefined],
    ["DB_PASSWORD", "${DB_PASSWORD:-hunter2}", "named like one"],
    ["PASSWORD_MIN_LENGTH", "8", undefined],
    // A publishable or public key is random text by design, given to clients: only a secret format in it counts.
    ["STRIPE_PUBLISHABLE_KEY", "pk_live_51ProbeAbCdEfGh", undefined],
    ["VAPID_PUBLIC_KEY", "BEl62iUYgUivxIkv69yViEuiBIa40HI80NM9rQx", undefined],
    ["STRIPE_SECRET_KEY", "sk_live_51ProbeAbCdEfGhIjKlMn", "named like one"],
    ["STRIPE_PUBLISHABLE_KEY", "sk_live_51ProbeAbCdEfGhIjKlMn", "it looks like a Stripe key"],
    ["GREETING", "pk_live_51ProbeAbCdEfGhIjKl", "it looks like a random token (long, high-entropy text)"],
  ])("%s=%j: %s", (name, value, why) => {
    expect(secretLooking(name, value)).toBe(why);
  });

  test("is shown by its length only", () => {
    expect(redacted("s3cret-pass")).toBe("11 characters, not shown");
  });
});

describe("a command's literal credential", () => {
  test.each<[string[], { name: string; why: string; value: string } | undefined]>([
    [["redis-server", "--requirepass", "S3cr3t"], { name: "--requirepass", why: "the value of --requirepass", value: "S3cr3t" }],
    [["app", "--db-password=hunter2"], { name: "--db-password", why: "the value of --db-password", value: "hunter2" }],
    [["app", "-token", "abc"], { name: "-token", why: "the value of -token", value: "abc" }],
    [
      ["sh", "-c", "DATABASE_URL=postgres://u:pass@db/x ./migrate"],
      { name: "DATABASE_URL=", why: "it looks like a URL with a password in it", value: "postgres://u:pass@db/x" },
    ],
    [["sh", "-c", "API_TOKEN=abc123 ./run"], { name: "API_TOKEN=", why: "named like one", value: "abc123" }],
    [
      ["curl", "https://ci:s3cret@example.com/hook"],
      { name: "word 2", why: "it looks like a URL with a password in it", value: "https://ci:s3cret@example.com/hook" },
    ],
    [["mysqladmin", "ping", "-h", "localhost", "-uroot", "-pS3cret"], { name: "-p", why: "the value of -p", value: "S3cret" }],
    [["CMD-SHELL", "redis-cli -a hunter2 ping"], { name: "-a", why: "the value of -a", value: "hunter2" }],
    [["curl", "-fsu", "x", "-u", "admin:hunter2", "http://localhost/"], { name: "-u", why: "the value of -u", value: "admin:hunter2" }],
    [["mysqladmin", "ping", "-p$MYSQL_ROOT_PASSWORD"], undefined],
    [["redis-cli", "-a", "$REDIS_PASSWORD", "ping"], undefined],
    [["curl", "-u", "admin", "http://localhost/"], undefined],
    [["ssh", "-p2222", "host"], undefined],
    [["redis-server", "--requirepass", "$REDIS_PASSWORD"], undefined],
    [["sh", "-c", 'redis-server --requirepass "${REDIS_PASSWORD}"'], undefined],
    [["app", "--password-file", "/run/secrets/db"], undefined],
    [["app", "--password", "--verbose"], undefined],
    [["app", "--token"], undefined],
    [["python3", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000')"], undefined],
  ])("%j", (command, found) => {
    expect(commandSecret(command)).toEqual(found);
  });

  test("is found in a command, an entrypoint and a health check, each named by its model path", () => {
    const found = literalSecrets({
      cache: {
        image: { kind: "pull" },
        command: ["redis-server", "--requirepass", "S3cr3t"],
        entrypoint: ["env", "TOKEN=abc"],
        health: { command: ["redis-cli", "-a", "ok", "--pass", "x1"] },
      },
    });
    expect(found.map((secret) => [secret.path, secret.kind, secret.name, secret.shown])).toEqual([
      ["services.cache.command", "command", "--requirepass", "6 characters, not shown"],
      ["services.cache.entrypoint", "command", "TOKEN=", "3 characters, not shown"],
      ["services.cache.health.command", "command", "-a", "2 characters, not shown"],
    ]);
  });
});

describe("the registry password outside dev: a Pulumi secret only", () => {
  const LOGIN: Config = { ...CLUSTER, registryUsername: "ci", registryPassword: "hunter22-token" };

  /** The program (index.ts) under mocks, the keys in `secretKeys` marked as set with --secret: its refusal, or undefined. */
  async function run(config: Config, stack: string, secretKeys: string[]): Promise<string | undefined> {
    const all: Config = { ...SECRET_CONFIG, ...config };
    await setupMocks(all, stack);
    const raw = Object.fromEntries(
      Object.entries(all).map(([key, value]) => [`dockyard:${key}`, typeof value === "string" ? value : JSON.stringify(value)]),
    );
    pulumi.runtime.setAllConfig(raw, secretKeys);
    try {
      await jest.isolateModulesAsync(async () => {
        await import("../../index");
      });
      return undefined;
    } catch (error) {
      return (error as Error).message;
    } finally {
      await settle();
    }
  }

  test("set in plain text on staging: refused before any resource, the password not shown", async () => {
    expect(await run(LOGIN, "staging", ["dockyard:secrets"])).toBe(
      'dockyard:registryPassword is set in plain text (14 characters, not shown), so the stack\'s config file holds it as written; that is allowed only in the dev stack (stack is "staging"): pulumi config set --secret registryPassword <password>',
    );
    expect(recorded).toHaveLength(0);
  });

  test("set with --secret on staging: the images are pushed with it, as a secret", async () => {
    expect(await run(LOGIN, "staging", ["dockyard:secrets", "dockyard:registryPassword"])).toBeUndefined();
    const images = byType("docker:index/image:Image");
    expect(images.map((image) => (secretValue(image.inputs.registry) as { password: string }).password)).toEqual([
      "hunter22-token",
      "hunter22-token",
      "hunter22-token",
    ]);
  });

  test("set in plain text on dev: accepted (the dev stack stays lenient)", async () => {
    expect(await run({ ...LOGIN, target: "docker" }, "dev", ["dockyard:secrets"])).toBeUndefined();
  });

  test("the app's secrets set in plain text: refused in every stack, dev too, no value shown", async () => {
    const refusal =
      "dockyard:secrets is set in plain text, so the stack's config file holds the app's secrets as written: remove it (pulumi config rm secrets) and set each with pulumi config set --secret --path secrets.<name> <value>";
    expect(await run({ target: "docker" }, "dev", [])).toBe(refusal);
    expect(await run(LOGIN, "staging", ["dockyard:registryPassword"])).toBe(refusal);
    expect(recorded).toHaveLength(0);
  });
});
