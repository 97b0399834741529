/**
 * Refusals of a compose file in the user's words, for what a probe found misnamed or let through
 * (issue 24): a key `extends` or `include` brings from another file is named where it is written;
 * `uts: host` is a host namespace, not an unknown key; a port published on internal networks only is
 * refused on Docker; a publishable key is not the credential a message leads with.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readCompose } from "../../stacks/compose/app";
import { InputError } from "../../stacks/errors";
import { resolveApp } from "../../stacks/resolve";
import { planDocker } from "../../stacks/targets/docker";
import { planSwarm } from "../../stacks/targets/swarm";
import { stackConfig } from "./stage";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-written-"));

const SERVICE = '    user: "10001:10001"\n    cap_drop: [ALL]\n    deploy: { resources: { limits: { cpus: "0.5", memory: 128m } } }\n';

/** Writes the files (relative path → text) into a folder of their own; compose.yaml is the one read. */
function folder(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(root, "case-"));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** compose.yaml of the files read and resolved as `stack` reads it. */
function resolved(files: Record<string, string>, stack = "dev") {
  const dir = folder(files);
  const { model, where } = readCompose({ file: "compose.yaml" }, stack, dir);
  return { app: resolveApp(model, where), where };
}

describe("a key written in another file is named where it is written", () => {
  test("pid: host that extends brings from another file: that file and its service", () => {
    const files = {
      "compose.yaml": `name: shop\nservices:\n  agent:\n    extends: { file: base.yaml, service: monitored }\n${SERVICE}`,
      "base.yaml": "services:\n  monitored:\n    image: ghcr.io/acme/agent:5.0.0\n    pid: host\n",
    };
    expect(() => resolved(files)).toThrow(
      new InputError(
        "compose.yaml: services.agent.pid (written in base.yaml as services.monitored.pid) cannot be deployed: services do not share a PID namespace with the host or each other; remove pid",
      ),
    );
  });

  test("a key the service writes itself, over its base, is named in its own file", () => {
    const files = {
      "compose.yaml": `name: shop\nservices:\n  agent:\n    extends: { file: base.yaml, service: monitored }\n    ipc: host\n${SERVICE}`,
      "base.yaml": "services:\n  monitored:\n    image: ghcr.io/acme/agent:5.0.0\n    ipc: private\n",
    };
    expect(() => resolved(files)).toThrow(
      new InputError("compose.yaml: services.agent.ipc cannot be deployed: services do not share an IPC namespace; remove ipc"),
    );
  });

  test("a literal credential in an included file, its value from the include's env_file: the included file", () => {
    const files = {
      "compose.yaml": `name: shop\ninclude:\n  - path: inc/compose.yaml\n    env_file: inc/mail.env\nservices:\n  web:\n    image: nginx:1.27\n${SERVICE}`,
      "inc/compose.yaml": `services:\n  mail:\n    image: ghcr.io/acme/mailer:2.0.0\n    environment:\n      SMTP_HOST: smtp.example.com\n      SMTP_PASSWORD: \${SMTP_PASSWORD}\n${SERVICE}`,
      "inc/mail.env": "SMTP_PASSWORD=Mail-Pa55word-Live\n",
    };
    expect(() => resolved(files, "staging")).toThrow(
      new InputError(
        'compose.yaml: services.mail.environment.SMTP_PASSWORD (written in inc/compose.yaml) holds a literal credential (named like one; 18 characters, not shown), allowed only in the dev stack (stack is "staging"): declare a top-level secret, list it under the service\'s secrets:, set SMTP_PASSWORD_FILE: /run/secrets/<secret>, and give its value with pulumi config set --secret --path secrets.<secret> <value>',
      ),
    );
  });
});

describe("uts: host is a host namespace, refused naming the value", () => {
  test.each([["host"], ["private"]])("uts: %s", (value) => {
    expect(() =>
      resolved({ "compose.yaml": `name: shop\nservices:\n  web:\n    image: nginx:1.27\n    uts: ${value}\n${SERVICE}` }),
    ).toThrow(
      new InputError(
        `compose.yaml: services.web.uts "${value}" cannot be deployed: services do not share the host's UTS namespace (its hostname and domain name); remove uts`,
      ),
    );
  });
});

describe("a port published by a service on internal networks only", () => {
  const files = (networks: string) => ({
    "compose.yaml": `name: shop\nservices:\n  web:\n    image: nginx:1.27\n    networks: [${networks}]\n    ports: ["8080:80"]\n${SERVICE}networks:\n  private:\n    internal: true\n  back:\n    internal: true\n  front: {}\n`,
  });

  test("is refused on Docker, which publishes nothing for it, naming the port and the networks", () => {
    const { app, where } = resolved(files("private, back"));
    expect(() => planDocker(app, stackConfig({ target: "docker", secrets: {} }, "dev"), where)).toThrow(
      new InputError(
        'compose.yaml: services.web.ports[0] publishes host port 8080, but service "web" is only on internal networks private, back (internal: true), and Docker publishes no port of a container without a network that is not internal: add such a network to the service, or remove the port',
      ),
    );
  });

  test("is planned on Docker when the service is on a network that is not internal too", () => {
    const { app, where } = resolved(files("private, front"));
    const plan = planDocker(app, stackConfig({ target: "docker", secrets: {} }, "dev"), where);
    expect(plan.containers.find((container) => container.service === "web")?.args.ports).toEqual([
      { containerPort: 80, hostPort: 8080, hostIp: "127.0.0.1", protocol: "tcp" },
    ]);
  });

  test("is planned on swarm, whose ingress network publishes it", () => {
    const { app, where } = resolved(files("private"));
    const plan = planSwarm(app, stackConfig({ target: "swarm", secrets: {} }, "dev"), where);
    expect(plan.services.find((service) => service.name === "web")?.args.ports).toEqual([
      { containerPort: 80, publishedPort: 8080, protocol: "tcp" },
    ]);
  });
});

describe("a publishable key is not the credential a message leads with", () => {
  test("with STRIPE_PUBLISHABLE_KEY and STRIPE_SECRET_KEY in an env_file, the secret key is refused, alone", () => {
    const files = {
      "compose.yaml": `name: shop\nservices:\n  payments:\n    image: nginx:1.27\n    env_file: [payments.env]\n${SERVICE}`,
      "payments.env": "STRIPE_PUBLISHABLE_KEY=pk_live_51ProbeAbCdEfGh\nSTRIPE_SECRET_KEY=sk_live_51ProbeAbCdEfGhIjKlMn\n",
    };
    expect(() => resolved(files, "staging")).toThrow(
      new InputError(
        'compose.yaml: services.payments.env_file[0] (payments.env, line 2: STRIPE_SECRET_KEY) holds a literal credential (named like one; 29 characters, not shown), allowed only in the dev stack (stack is "staging"): declare a top-level secret, list it under the service\'s secrets:, set STRIPE_SECRET_KEY_FILE: /run/secrets/<secret>, and give its value with pulumi config set --secret --path secrets.<secret> <value>',
      ),
    );
  });
});
