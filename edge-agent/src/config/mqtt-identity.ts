/**
 * Whether the MQTT user the gateway logs in as fits the gateway it publishes for. The broker
 * lets a gateway user publish only under its own `gz/v1/{district}/{gateway}/` prefix, and its
 * convention (broker/README.md, the root README) is one user per gateway, named after it:
 * `ganzhi-broker user add gw-haidian-01 --role gateway --district haidian --gateway gw-haidian-01`.
 * A user named otherwise is most often a config copied from another gateway — every publish
 * would be denied — so `validate` says so (a warning: a broker may map names differently).
 */
import type { Problem } from '@ganzhi/device-profiles';

type At = (path: (string | number)[], message: string) => Problem;

export function mqttIdentityWarnings(config: unknown, at: At): Problem[] {
  if (typeof config !== 'object' || config === null) return [];
  const c = config as { gateway?: unknown; district?: unknown; delivery?: { mqtt?: { username?: unknown } } };
  const user = c.delivery?.mqtt?.username;
  const gateway = c.gateway;
  const district = c.district;
  if (typeof user !== 'string' || user === '' || user.includes('${')) return [];
  if (typeof gateway !== 'string' || typeof district !== 'string' || user === gateway) return [];
  return [
    at(
      ['delivery', 'mqtt', 'username'],
      `user "${user}" is not this gateway's id "${gateway}": the broker lets a gateway user publish only under its own ` +
        `gz/v1/{district}/{gateway}/, and its convention is one user per gateway named after it ` +
        `(ganzhi-broker user add ${gateway} --role gateway --district ${district} --gateway ${gateway}); ` +
        `unless "${user}" was added with --district ${district} --gateway ${gateway}, every publish is denied`,
    ),
  ];
}
