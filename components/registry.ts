/**
 * A registry as the first part of an image reference: a host (any case), an optional port 1-65535
 * and an optional path in lowercase (Docker refuses uppercase repository names); no scheme, no
 * trailing slash. Examples: localhost:5000, 127.0.0.1:5000, registry.example.com/team.
 */
const REGISTRY =
  /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::(\d{1,5}))?((?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)$/i;

export function isRegistry(value: string): boolean {
  const match = REGISTRY.exec(value);
  if (!match || match[2] !== match[2].toLowerCase()) return false;
  return match[1] === undefined || (Number(match[1]) >= 1 && Number(match[1]) <= 65535);
}

/** What is allowed, for error messages. */
export const REGISTRY_RULE =
  "a registry host[:port][/path] without a scheme, like 127.0.0.1:5000 or registry.example.com/team (port 1-65535, path in lowercase)";
