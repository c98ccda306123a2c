// An IPv4 address of this host that is not loopback (to show a service bound to 127.0.0.1 is not
// reachable through it), if the host has one.
import os from 'node:os';

export function nonLoopbackAddress(): string | undefined {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}
