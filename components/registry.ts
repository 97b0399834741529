/** A path component of a repository name: lowercase letters and digits, separated by . _ __ or dashes. */
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
/** A host name (any case), as the first component of a reference. */
const HOST = "[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*";

/**
 * A registry as the first part of an image reference: a host (any case), an optional port 1-65535
 * and an optional path in lowercase (Docker refuses uppercase repository names); no scheme, no
 * trailing slash. Examples: localhost:5000, 127.0.0.1:5000, registry.example.com/team.
 */
const REGISTRY = new RegExp(`^${HOST}(?::(\\d{1,5}))?(?:/${PATH_COMPONENT})*$`);

export function isRegistry(value: string): boolean {
  const match = REGISTRY.exec(value);
  if (!match) return false;
  return match[1] === undefined || (Number(match[1]) >= 1 && Number(match[1]) <= 65535);
}

/** What is allowed, for error messages. */
export const REGISTRY_RULE =
  "a registry host[:port][/path] without a scheme, like 127.0.0.1:5000 or registry.example.com/team (port 1-65535, path in lowercase)";

/** A registry host (any case, or a bracketed IPv6 address) with an optional port. */
const DOMAIN = `(?:${HOST}|\\[[0-9a-fA-F:]+\\])(?::\\d{1,5})?`;
/**
 * An image reference as the Docker engine parses it (distribution's reference grammar):
 * [host[:port]/]path[:tag][@digest], the repository path in lowercase.
 */
const IMAGE_REFERENCE = new RegExp(
  `^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$`,
);

export function isImageReference(value: string): boolean {
  return IMAGE_REFERENCE.test(value);
}

/** What is allowed, for error messages. */
export const IMAGE_REFERENCE_RULE =
  "an image reference like python:3.12-slim or mirror.example:5000/python:3.12-slim (the repository in lowercase)";

/**
 * Text for a message with the password of a `user:password@` part (a URL's, or a registry's written
 * without a scheme) replaced by "(password not shown)": a message never echoes a credential.
 */
export function withoutPassword(text: string): string {
  const userinfo = text.includes("://") ? /^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@\s]*@/i : /^([^:/@\s]*):[^@\s]*@/;
  return text.replace(userinfo, "$1:(password not shown)@");
}
