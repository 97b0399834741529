import * as pulumi from "@pulumi/pulumi";
import { ComposeApp } from "dockyard/compose";
import { Container, Image, Network, Volume } from "dockyard/docker";

const config = new pulumi.Config();
const network = new Network("backend", { name: "pkge2e-ts-backend", subnet: "10.237.1.0/24" });
const data = new Volume("data", { name: "pkge2e-ts-data" });
const image = new Image("web", { context: "web", imageName: "pkge2e-web:v1", args: { BASE_IMAGE: config.require("pythonImage") } });
const web = new Container("web", {
  name: "pkge2e-ts-web",
  image: image.ref,
  cpus: 0.5,
  memory: "128m",
  networks: [{ name: network.networkName, aliases: ["web"] }],
  mounts: [{ volumeName: data.volumeName, containerPath: "/data" }],
  ports: [{ containerPort: 8000, hostPort: 18401 }],
  health: { command: ["python3", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000')"], intervalSeconds: 2 },
});
const cache = new ComposeApp("cache", {
  file: "compose.yaml",
  services: { cache: { image: config.require("redisImage"), replicas: config.getNumber("cacheReplicas") } },
});

export const webContainer = web.containerName;
export const cacheUrls = cache.urls;
export const cacheServices = cache.serviceNames;
export const cacheReport = cache.report;
