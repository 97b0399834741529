/**
 * A port's transport protocol. An object of constants with a type of the same name (rather than an
 * inline union) so Pulumi's schema inference gives Python and YAML programs a named enum, while a
 * TypeScript program still writes the plain string `"udp"`.
 */
export const Protocol = {
  /** TCP (the default everywhere). */
  Tcp: "tcp",
  /** UDP. */
  Udp: "udp",
} as const;
export type Protocol = (typeof Protocol)[keyof typeof Protocol];
