/**
 * A compose service that says nothing about confinement is hardened by default (NET_RAW dropped,
 * no-new-privileges), on each target, run through the whole program under mocks; what the file says
 * itself wins, and the conversion report names each default.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readCompose } from "../../stacks/compose/app";
import { resolveApp } from "../../stacks/resolve";
import { planSwarm } from "../../stacks/targets/swarm";
import { find } from "./mocks";
import { programError, runProgram } from "./program";
import { stackConfig } from "./stage";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockyard-hardening-"));
const file = path.join(dir, "compose.yaml");

/** A one-service file, "web" (nginx, port 8080), with `keys` added to the service. */
function write(keys = ""): void {
  fs.writeFileSync(file, `name: shop\nservices:\n  web:\n    image: nginx:1.27\n    ports: ["8080:80"]\n${keys}`);
}

const on = (target: string, extra: Record<string, string> = {}) => ({ target, compose: { file }, secrets: {}, ...extra });

const HARDENED_NOTE =
  "hardened by default: cap_drop: [NET_RAW] (Kubernetes' baseline capabilities: Docker's default set less raw sockets), security_opt: [no-new-privileges:true] (no process gains privileges through setuid binaries); write cap_add: [NET_RAW] or security_opt: [no-new-privileges:false] to keep the engine's default";

/** The provider inputs of the web container that confine it. */
async function dockerConfinement(): Promise<unknown> {
  await runProgram(on("docker"));
  const { capabilities, securityOpts, readOnly, tmpfs, user } = find("docker:index/container:Container", "web-1").inputs;
  return { capabilities, securityOpts, readOnly, tmpfs, user };
}

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("a compose service that says nothing about confinement", () => {
  beforeEach(() => write());

  test("the report says what it gets, in one line, and how to undo it", () => {
    const { model, report } = readCompose({ file }, "dev");
    expect(model.services.web.security).toEqual({ capDrop: ["NET_RAW"], noNewPrivileges: true });
    expect(report.filter((line) => line.path === "services.web")).toEqual([
      { path: "services.web", disposition: "changed", note: HARDENED_NOTE },
    ]);
  });

  test("docker: NET_RAW dropped, no-new-privileges; the root filesystem and user stay the image's", async () => {
    expect(await dockerConfinement()).toEqual({
      capabilities: { drops: ["CAP_NET_RAW"], adds: [] },
      securityOpts: ["no-new-privileges:true"],
      readOnly: undefined,
      tmpfs: undefined,
      user: undefined,
    });
  });

  test("kubernetes, baseline namespace: allowPrivilegeEscalation false, NET_RAW dropped, seccomp RuntimeDefault", async () => {
    await runProgram(on("kubernetes", { podSecurity: "baseline" }));
    const pod = find("kubernetes:apps/v1:Deployment", "web").inputs.spec.template.spec;
    expect([pod.securityContext, pod.containers[0].securityContext]).toEqual([
      { seccompProfile: { type: "RuntimeDefault" } },
      { allowPrivilegeEscalation: false, capabilities: { drop: ["NET_RAW"] } },
    ]);
  });

  test("kubernetes, restricted namespace (the default): refused before anything is created, with the fix", async () => {
    const { message, registered } = await programError(on("kubernetes"));
    expect(message).toBe(
      `${file}: services.web.user is not set, services.web.cap_drop (not set: NET_RAW dropped by default) ["NET_RAW"]: Pod Security level "restricted" (dockyard:podSecurity) refuses every pod that may run as root (runAsNonRoot needs a numeric user other than 0), or that keeps Linux capabilities (capabilities.drop needs ALL), so no pod of "web" could start; set services.web.user to a numeric uid:gid other than 0, like "10001:10001", add "ALL" to services.web.cap_drop, or set dockyard:podSecurity to "baseline"`,
    );
    expect(registered).toBe(0);
  });

  test("kubernetes, restricted namespace: every service it refuses is named at once, a line each", async () => {
    write('  api:\n    image: nginx:1.27\n    user: "101:101"\n    ports: ["8081:80"]\n');
    const { message, registered } = await programError(on("kubernetes"));
    const refusal = (service: string, lacks: string, refuses: string, fixes: string) =>
      `${file}: services.${service}.${lacks}: Pod Security level "restricted" (dockyard:podSecurity) refuses every pod ${refuses}, so no pod of "${service}" could start; ${fixes}, or set dockyard:podSecurity to "baseline"`;
    const capabilities = "that keeps Linux capabilities (capabilities.drop needs ALL)";
    expect(message).toBe(
      [
        "2 services of the app cannot be deployed:",
        refusal("api", 'cap_drop (not set: NET_RAW dropped by default) ["NET_RAW"]', capabilities, 'add "ALL" to services.api.cap_drop'),
        refusal(
          "web",
          'user is not set, services.web.cap_drop (not set: NET_RAW dropped by default) ["NET_RAW"]',
          `that may run as root (runAsNonRoot needs a numeric user other than 0), or ${capabilities}`,
          'set services.web.user to a numeric uid:gid other than 0, like "10001:10001", add "ALL" to services.web.cap_drop',
        ),
      ].join("\n  "),
    );
    expect(registered).toBe(0);
  });

  test("kubernetes, restricted namespace: with user and cap_drop: [ALL] the pod is admitted, hardened", async () => {
    write('    user: "101:101"\n    cap_drop: [ALL]\n    cap_add: [NET_BIND_SERVICE]\n');
    await runProgram(on("kubernetes"));
    const pod = find("kubernetes:apps/v1:Deployment", "web").inputs.spec.template.spec;
    expect([pod.securityContext, pod.containers[0].securityContext]).toEqual([
      { runAsUser: 101, runAsGroup: 101, fsGroup: 101, seccompProfile: { type: "RuntimeDefault" } },
      { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] }, runAsNonRoot: true },
    ]);
  });

  test("swarm: NET_RAW dropped; no-new-privileges cannot be said there, which is warned about by its compose key", async () => {
    await runProgram(on("swarm"));
    const spec = find("docker:index/service:Service", "web").inputs.taskSpec.containerSpec;
    expect([spec.capDrops, spec.capAdds]).toEqual([["NET_RAW"], undefined]);
    const { model, where } = readCompose({ file }, "dev");
    const config = stackConfig({ target: "swarm", compose: { file }, secrets: {} }, "dev");
    expect(planSwarm(resolveApp(model, where), config, where).warnings).toContain(
      `${file}: services.web.security_opt (not set: no-new-privileges by default) is ignored on target swarm: a swarm service's spec, as the Docker provider writes it, has no such field, so the tasks' processes may still gain privileges through setuid binaries; to deny it there, run the Docker engine of every swarm node with no-new-privileges (dockerd --no-new-privileges, or "no-new-privileges": true in /etc/docker/daemon.json and the engine restarted): every container it creates then has it, swarm tasks included`,
    );
  });
});

describe("what the file says wins over the defaults, and only the rest is reported", () => {
  test.each([
    [
      "cap_add: [NET_RAW] keeps NET_RAW",
      "    cap_add: [NET_RAW]\n",
      { capabilities: { drops: [], adds: ["CAP_NET_RAW"] }, securityOpts: ["no-new-privileges:true"] },
      "hardened by default: security_opt: [no-new-privileges:true] (no process gains privileges through setuid binaries); write security_opt: [no-new-privileges:false] to keep the engine's default",
    ],
    [
      "cap_add of another capability: NET_RAW still dropped",
      "    cap_add: [CHOWN]\n",
      { capabilities: { drops: ["CAP_NET_RAW"], adds: ["CAP_CHOWN"] }, securityOpts: ["no-new-privileges:true"] },
      HARDENED_NOTE,
    ],
    [
      "security_opt: [no-new-privileges:false] allows escalation",
      '    security_opt: ["no-new-privileges:false"]\n',
      { capabilities: { drops: ["CAP_NET_RAW"], adds: [] }, securityOpts: undefined },
      "hardened by default: cap_drop: [NET_RAW] (Kubernetes' baseline capabilities: Docker's default set less raw sockets); write cap_add: [NET_RAW] to keep the engine's default",
    ],
    [
      "cap_drop: [ALL] and security_opt given: nothing added, nothing reported",
      '    cap_drop: [ALL]\n    security_opt: ["no-new-privileges:true"]\n',
      { capabilities: { drops: ["ALL"], adds: [] }, securityOpts: ["no-new-privileges:true"] },
      undefined,
    ],
    [
      "cap_drop: [] keeps Docker's default set",
      "    cap_drop: []\n",
      { capabilities: undefined, securityOpts: ["no-new-privileges:true"] },
      "hardened by default: security_opt: [no-new-privileges:true] (no process gains privileges through setuid binaries); write security_opt: [no-new-privileges:false] to keep the engine's default",
    ],
  ])("%s", async (_, keys, expected, note) => {
    write(keys);
    const { report } = readCompose({ file }, "dev");
    expect(report.filter((line) => line.path === "services.web").map((line) => line.note)).toEqual(note === undefined ? [] : [note]);
    expect(await dockerConfinement()).toEqual({ ...expected, readOnly: undefined, tmpfs: undefined, user: undefined });
  });

  test("no-new-privileges turned off is honoured, and the report says so on its key", () => {
    write('    security_opt: ["no-new-privileges:false"]\n');
    const { report } = readCompose({ file }, "dev");
    expect(report.filter((line) => line.path === "services.web.security_opt")).toEqual([
      {
        path: "services.web.security_opt",
        disposition: "mapped",
        note: "no-new-privileges:false: processes may gain privileges through setuid binaries (the no-new-privileges default turned off, as written)",
      },
    ]);
  });
});
