/**
 * The port an official image listens on by default, for hints that suggest a compose `expose:` (a
 * service others reach by name must declare its port on Kubernetes). Only images whose default port
 * is fixed by the image itself; anything else gets a placeholder, never a guess.
 */
import { ImageSource } from "../model";

/** Docker Official Images by repository name → the port their server listens on. */
const WELL_KNOWN_PORTS: Record<string, number> = {
  cassandra: 9042,
  couchdb: 5984,
  elasticsearch: 9200,
  httpd: 80,
  mariadb: 3306,
  memcached: 11211,
  mongo: 27017,
  mysql: 3306,
  nats: 4222,
  nginx: 80,
  postgres: 5432,
  rabbitmq: 5672,
  redis: 6379,
  valkey: 6379,
};

/**
 * The image's well-known port by its repository's last name (postgres:16 → 5432,
 * mirror.example/library/redis@sha256:… → 6379), or undefined.
 */
export function wellKnownPort(image: ImageSource): number | undefined {
  if (image.kind !== "pull") return undefined;
  const lastPart = image.ref.split("@")[0].split("/").pop() ?? "";
  const repository = lastPart.split(":")[0].toLowerCase();
  return Object.prototype.hasOwnProperty.call(WELL_KNOWN_PORTS, repository) ? WELL_KNOWN_PORTS[repository] : undefined;
}

/** What to write for a service that declares no port: its image's well-known one, or a placeholder. */
export function exposeHint(image: ImageSource): string {
  const port = wellKnownPort(image);
  return `declare the port it listens on (compose: expose: ["${port ?? "<port>"}"])`;
}
