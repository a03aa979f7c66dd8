// Finds Toxiproxy (Shopify's TCP fault proxy, used by `npm run chaos`), building it once if need be.
// Order: TOXIPROXY_SERVER, `toxiproxy-server` on PATH, the cache, else `go install` into the cache.
import { ensureGoTool, type GoTool } from '../local/go-tools';

/** Pinned: `@latest` resolves to the old v2.5.0 through the module proxy. */
export const TOXIPROXY_VERSION = 'v2.12.0';

export const TOXIPROXY: GoTool = {
  title: 'Toxiproxy',
  pkg: 'github.com/Shopify/toxiproxy/v2/cmd/server',
  version: TOXIPROXY_VERSION,
  binary: 'server',
  cacheName: 'toxiproxy',
  envVar: 'TOXIPROXY_SERVER',
  onPath: 'toxiproxy-server',
  installHint:
    'Download toxiproxy-server from https://github.com/Shopify/toxiproxy/releases and put it on PATH, ' +
    'or set TOXIPROXY_SERVER=/path/to/toxiproxy-server.',
};

export const ensureToxiproxy = (log?: (line: string) => void): Promise<string> =>
  ensureGoTool(TOXIPROXY, log);

if (require.main === module) {
  ensureToxiproxy()
    .then((server) => console.log(`Toxiproxy: ${server}`))
    .catch((err) => {
      console.error((err as Error).message);
      process.exit(1);
    });
}
