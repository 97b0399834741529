/**
 * The shapes of the compose keys dockyard maps (the mapped paths of stacks/compose/table.ts KEYS), in
 * zod: a value of the wrong type is refused here, with its path, before conversion reads it. Keys
 * that are ignored or refused are not described: their disposition is the table's. Objects are
 * loose: their unknown keys are refused by the key table's walk (table.ts walkKeys), which names each
 * and the keys allowed there; x-dockyard, which is ours, is strict.
 */
import { z } from "zod";

const text = z.string({ error: "must be text" });
const scalar = z.union([z.string(), z.number()], { error: "must be text or a number" });
const whole = z.number({ error: "must be a whole number" }).int("must be a whole number").min(0, "must be 0 or more");
const keyValues = z.union([z.array(scalar), z.record(z.string(), z.union([scalar, z.boolean(), z.null()]))], {
  error: "must be a list of KEY=value or a mapping",
});
const words = z.union([z.string(), z.array(scalar)], { error: "must be a string or a list of strings" });
const list = <T extends z.ZodType>(item: T, what: string) => z.array(item, { error: `must be a list of ${what}` });

const port = z.union(
  [
    z.string(),
    z.number(),
    z.looseObject({
      target: scalar,
      published: scalar.optional(),
      host_ip: text.optional(),
      protocol: text.optional(),
      mode: text.optional(),
      name: text.optional(),
    }),
  ],
  { error: 'must be "HOST:CONTAINER", a port number, or a mapping with target' },
);

const mount = z.union(
  [z.string(), z.looseObject({ type: text.optional(), source: text.optional(), target: text, read_only: z.boolean().optional() })],
  { error: 'must be "SOURCE:TARGET[:ro]" or a mapping with target' },
);

const duration = scalar;
const number = z.number({ error: "must be a number" });
/** deploy.update_config and deploy.rollback_config; their rules (whole numbers, allowed words) are resolveApp's. */
const strategy = z.looseObject({
  parallelism: number.optional(),
  delay: duration.optional(),
  order: text.optional(),
  monitor: duration.optional(),
  max_failure_ratio: number.optional(),
  failure_action: text.optional(),
});

export const composeServiceShape = z.looseObject({
  image: text.optional(),
  build: z
    .union(
      [text, z.looseObject({ context: text.optional(), dockerfile: text.optional(), args: keyValues.optional(), target: text.optional() })],
      { error: "must be a context path or a mapping with context" },
    )
    .optional(),
  command: words.optional(),
  entrypoint: words.optional(),
  environment: keyValues.optional(),
  env_file: z
    .union([text, list(z.union([text, z.looseObject({ path: text, required: z.boolean().optional() })]), "paths")], {
      error: "must be a path or a list of paths",
    })
    .optional(),
  ports: list(port, "ports").optional(),
  expose: list(scalar, "ports").optional(),
  volumes: list(mount, "mounts").optional(),
  networks: z
    .union([list(text, "network names"), z.record(z.string(), z.union([z.null(), z.looseObject({})]))], {
      error: "must be a list or a mapping of network names",
    })
    .optional(),
  depends_on: z
    .union(
      [
        list(text, "service names"),
        z.record(
          z.string(),
          z.looseObject({ condition: text.optional(), restart: z.boolean().optional(), required: z.boolean().optional() }),
        ),
      ],
      {
        error: "must be a list or a mapping of service names",
      },
    )
    .optional(),
  healthcheck: z
    .looseObject({
      test: z.union([text, list(text, "strings")], { error: 'must be ["CMD", ...], ["CMD-SHELL", "..."] or a string' }).optional(),
      interval: duration.optional(),
      timeout: duration.optional(),
      retries: whole.optional(),
      start_period: duration.optional(),
      disable: z.boolean({ error: "must be true or false" }).optional(),
    })
    .optional(),
  deploy: z
    .looseObject({
      mode: text.optional(),
      replicas: whole.optional(),
      endpoint_mode: text.optional(),
      resources: z
        .looseObject({
          limits: z.looseObject({ cpus: scalar.optional(), memory: scalar.optional(), pids: scalar.optional() }).optional(),
          reservations: z.looseObject({ cpus: scalar.optional(), memory: scalar.optional() }).optional(),
        })
        .optional(),
      update_config: strategy.optional(),
      rollback_config: strategy.optional(),
      restart_policy: z
        .looseObject({
          condition: text.optional(),
          delay: duration.optional(),
          max_attempts: number.optional(),
          window: duration.optional(),
        })
        .optional(),
      placement: z.looseObject({ constraints: list(text, "constraints").optional(), max_replicas_per_node: number.optional() }).optional(),
    })
    .optional(),
  cpus: scalar.optional(),
  mem_limit: scalar.optional(),
  scale: whole.optional(),
  user: scalar.optional(),
  stop_grace_period: duration.optional(),
  links: list(text, "service names").optional(),
  secrets: list(
    z.union([text, z.looseObject({ source: text })], { error: "must be a secret name or a mapping with source" }),
    "secrets",
  ).optional(),
  "x-dockyard": z
    .strictObject({
      portNames: z.record(z.string(), text, { error: 'must map container ports to names, like { "6379": redis }' }).optional(),
      healthOnlyPorts: list(z.number().int(), "container port numbers").optional(),
      healthHttp: z.strictObject({ path: text, port: z.number({ error: "must be a port number" }).int() }).optional(),
      singleWriter: z.boolean({ error: "must be true or false" }).optional(),
      autoscaling: z
        .strictObject({
          minReplicas: whole,
          maxReplicas: whole,
          targetCpuPercent: whole,
          scaleUpStabilizationSeconds: whole.optional(),
          scaleDownStabilizationSeconds: whole.optional(),
          scaleUpPods: whole.optional(),
          scaleUpPercent: whole.optional(),
          scaleUpPeriodSeconds: whole.optional(),
          scaleDownPods: whole.optional(),
          scaleDownPercent: whole.optional(),
          scaleDownPeriodSeconds: whole.optional(),
          targetMemoryPercent: whole.optional(),
        })
        .optional(),
    })
    .optional(),
});

export const composeVolumeShape = z.union([
  z.null(),
  z.looseObject({
    "x-dockyard": z.strictObject({ size: text.optional(), retain: z.boolean({ error: "must be true or false" }).optional() }).optional(),
  }),
]);

export const composeSecretShape = z.union([
  z.null(),
  z.looseObject({
    "x-dockyard": z.strictObject({ description: text.optional(), minLength: whole.optional() }).optional(),
  }),
]);

export const composeNetworkShape = z.union([
  z.null(),
  z.looseObject({
    driver: text.optional(),
    internal: z.boolean({ error: "must be true or false" }).optional(),
    ipam: z
      .looseObject({
        config: list(
          z.looseObject({ subnet: text.optional(), gateway: text.optional(), ip_range: text.optional() }),
          "address pools",
        ).optional(),
      })
      .optional(),
  }),
]);

/** "services.web.ports[0].target" from a base path and a zod issue path. */
export function issuePath(base: string, path: PropertyKey[]): string {
  return path.reduce<string>((at, part) => (typeof part === "number" ? `${at}[${part}]` : `${at}.${String(part)}`), base);
}
