/**
 * The dockyard policy pack: `pulumi preview --policy-pack policy --policy-pack-config policy/config.<stage>.json`.
 * The policies are in policies.ts; the stage's enforcement levels and settings in config.<stage>.json.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("dockyard", {
  description:
    "Guardrails for containers on Docker, a Docker swarm and Kubernetes: pinned images from allowed registries, limits, no privilege, confinement (capabilities, no new privileges, non-root, read-only root, seccomp, host mounts, bounded restarts, Pod Security labels), ports, subnets, retained data, secrets, probes, network policies, replicas.",
  // Without a config file every policy is mandatory, prod's included: pass the stage's file.
  enforcementLevel: "mandatory",
  policies,
});
