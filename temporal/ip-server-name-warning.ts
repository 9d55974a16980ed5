let installed = false;

/**
 * The SDK's TypeScript client sends the host of TEMPORAL_ADDRESS as the TLS
 * server name even when it is an IP address, and Node then prints a
 * DEP0123 deprecation warning on stderr at every connection: noise an
 * operator can do nothing about (the certificate check itself is right,
 * against the IP's subjectAltName). Drops that one warning, nothing else.
 */
export function dropIpServerNameWarning(): void {
  if (installed) return;
  installed = true;
  const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const code = typeof rest[0] === 'object' && rest[0] !== null ? (rest[0] as { code?: string }).code : rest[1];
    if (code === 'DEP0123') return;
    emitWarning(warning, ...rest);
  }) as typeof process.emitWarning;
}
