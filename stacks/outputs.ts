import * as pulumi from "@pulumi/pulumi";

/** What every back end exports, so a stage's outputs look the same on Docker and Kubernetes. */
export interface AppOutputs {
  /** Where users reach the published services ("http://127.0.0.1:5000" on Docker). */
  urls: Record<string, pulumi.Output<string> | string>;
  /** Network name → subnet (Docker) or NetworkPolicy name → what it allows (Kubernetes). */
  networks: Record<string, pulumi.Output<string> | string>;
  /** App volume → the Docker volume or PersistentVolumeClaim holding it. */
  volumes: Record<string, pulumi.Output<string>>;
  /** Built service → the image it runs (id or digest reference). */
  images: Record<string, pulumi.Output<string>>;
}
