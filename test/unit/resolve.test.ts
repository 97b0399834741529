import { resolveApp } from "../../stacks/resolve";
import { votingModel } from "../../stacks/votingApp";
import { AppModel } from "../../stacks/model";
const edits: Array<(app: AppModel) => void> = [
  (app) => (app.services.worker.dependsOn = { queue: "started" }),
  (app) => (app.services.redis.dependsOn = { worker: "started" }),
  (app) => (app.services.vote.dependsOn = { vote: "started" }),
  (app) => (app.services.vote.dependsOn = { redis: "ready" as never }),
  (app) => (app.services.vote.networks = ["frontend", "public"]),
  (app) => (app.services.vote.networks = ["frontend", "frontend"]),
  (app) => (app.services.worker.networks = []),
  (app) => (app.services.db.volumes = [{ volume: "pgdata", mountPath: "/var/lib/postgresql/data" }]),
  (app) => (app.services.db.replicas = 2),
  (app) => (app.services.vote.replicas = -1),
  (app) => (app.services.redis.health = undefined),
  (app) => (app.services.worker.secretEnv = { DB_PASSWORD: "db-pass" }),
  (app) => (app.services.worker.env = { ...app.services.worker.env, DB_PASSWORD: "x" }),
  (app) => (app.services.vote.volumes = [{ hostPath: "opt/data", mountPath: "/data" }]),
  (app) => (app.services.vote.volumes = [{ volume: "db-data", hostPath: "/opt", mountPath: "/data" }]),
  (app) => (app.services.vote.volumes = [{ hostPath: "/opt", mountPath: "data" }]),
  (app) => (app.services.redis.autoscaling = { minReplicas: 1, maxReplicas: 2, targetCpuPercent: 50 }),
  (app) => (app.services.vote.autoscaling = { minReplicas: 0, maxReplicas: 2, targetCpuPercent: 50 }),
  (app) => (app.services.vote.autoscaling = { minReplicas: 1, maxReplicas: 2, targetCpuPercent: 101 }),
  (app) => (app.services.redis.limits.memory = "1024"),
  (app) => (app.services.redis.limits.cpus = 0),
  (app) => (app.services["Vote_2"] = app.services.vote),
  (app) => (app.name = "Voting"),
  (app) => (app.services = {}),
  (app) => (app.services.vote.env = { ...app.services.vote.env, "1BAD": "x" }),
  (app) => (app.services.db.volumes = [...(app.services.db.volumes ?? []), { volume: "redis-data", mountPath: "/redis" }]),
  (app) => (app.services.vote.health = { command: ["healthcheck"], http: { path: "/healthz", port: 8081 } }),
  (app) => (app.services.worker.ports = undefined),
  (app) => (app.services.worker.ports = [{ name: "health", containerPort: 8082, healthOnly: true, publishedPort: 5002 }]),
  (app) => (app.services.vote.ports = [{ name: "http", containerPort: 8080, publishedPort: 5000 }, { name: "http", containerPort: 8081 }]),
  (app) => (app.services.vote.ports = [{ name: "http", containerPort: 0 }]),
  (app) => (app.services.vote.ports = [{ name: "http", containerPort: 8080, publishedPort: 70000 }]),
  (app) => (app.services.result.ports = [{ name: "http", containerPort: 8081, publishedPort: 5000 }]),
  (app) => (app.services.vote.health = { command: [] }),
  (app) => (app.services.vote.health = { command: ["x"], retries: 0 }),
  (app) => (app.services.vote.health = { command: ["x"], startPeriodSeconds: -1 }),
  (app) => (app.services.vote.image = { kind: "pull", ref: "my image" }),
  (app) => (app.services.vote.image = { kind: "build", context: "apps/vote", args: { PYTHON_IMAGE: "My Python" } }),
  (app) => (app.networks.frontend.subnet = "10.123.1.5/24"),
  (app) => (app.networks.frontend.subnet = "nope"),
  (app) => (app.networks.backend.subnet = "10.123.0.0/16"),
  (app) => (app.networks.backend.gateway = "10.9.9.9"),
  (app) => (app.networks.backend.ipRange = "10.9.9.0/24"),
  (app) => (app.networks["Front_2"] = { subnet: "10.99.0.0/24" }),
  (app) => (app.volumes["db-data"].size = "0"),
  (app) => (app.services.vote.secretEnv = { DB_PASSWORD: "db-password" }),
];
test("explore", () => {
  const out = edits.map((edit) => {
    const app = votingModel({ optionA: "Cats", optionB: "Dogs" });
    edit(app);
    try { resolveApp(app); return `OK ${edit.toString()}`; } catch (e) { return `${edit.toString()}\n   ${(e as Error).message}`; }
  });
  require("fs").writeFileSync("/tmp/dy/resolve.txt", out.join("\n"));
  const r = resolveApp(votingModel({ optionA: "Cats", optionB: "Dogs" }));
  require("fs").writeFileSync("/tmp/dy/resolved.json", JSON.stringify(r, null, 1));
});
