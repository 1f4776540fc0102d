import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { Injectable } from '@nestjs/common';
import ipaddr from 'ipaddr.js';
import { AppConfig } from '../config/app-config';

/** A webhook URL that may not be called: bad scheme, unresolvable, or a non-public address. */
export class UnsafeWebhookUrlError extends Error {}

/** ::/96, the deprecated IPv4-compatible IPv6 addresses. */
const IPV4_COMPATIBLE = ipaddr.IPv6.parseCIDR('::/96');

/**
 * True for an address on the public internet. ipaddr.js classifies the address (IPv4-mapped IPv6
 * addresses as their IPv4 address); anything but `unicast` is refused: loopback, private (10/8,
 * 172.16/12, 192.168/16), link-local (169.254/16 with the cloud metadata address 169.254.169.254,
 * fe80::/10), carrier-grade NAT (100.64/10), unique-local (fc00::/7, with fd00:ec2::254),
 * unspecified, multicast, broadcast, reserved, and the IPv6 forms that embed an IPv4 address
 * (6to4, Teredo, NAT64). ipaddr.js calls the deprecated IPv4-compatible addresses (::/96, e.g.
 * ::7f00:1 for 127.0.0.1) `unicast`, but a stack may route them to the IPv4 address in their low 32
 * bits: they are judged by that address, like the IPv4-mapped ones.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address);
  if (parsed instanceof ipaddr.IPv6 && parsed.match(IPV4_COMPATIBLE)) {
    return new ipaddr.IPv4(parsed.toByteArray().slice(12)).range() === 'unicast';
  }
  return parsed.range() === 'unicast';
}

type LookupAll = (hostname: string) => Promise<LookupAddress[]>;

const systemLookup: LookupAll = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    ),
  );

/** The host of a URL as the resolver and the address checks want it (IPv6 without brackets). */
function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * Server-side request forgery guard for webhook URLs. A URL must be http(s); unless
 * WEBHOOK_ALLOW_PRIVATE_URLS is true, every address its host resolves to must be public. The check
 * runs when a subscription is saved and again for every delivery, where the connection is then
 * made to exactly the address that was checked (pinnedLookup): a DNS answer that changes between
 * the check and the connection (rebinding) cannot redirect the request.
 */
@Injectable()
export class WebhookAddressGuard {
  /** Resolves a host name to all its addresses (replaceable in tests). */
  resolveAll: LookupAll = systemLookup;

  constructor(private readonly config: AppConfig) {}

  get allowsPrivate(): boolean {
    return this.config.get('WEBHOOK_ALLOW_PRIVATE_URLS');
  }

  /** Parses and checks the scheme; throws UnsafeWebhookUrlError. */
  parse(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new UnsafeWebhookUrlError('must be an absolute http(s) URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new UnsafeWebhookUrlError('must use http or https');
    }
    if (url.username || url.password) {
      throw new UnsafeWebhookUrlError('must not contain credentials');
    }
    return url;
  }

  /**
   * The address to connect to for `url`, after checking it (every address of the host, so that no
   * answer of a round-robin name is private). Throws UnsafeWebhookUrlError.
   */
  async checkedAddress(url: URL): Promise<LookupAddress> {
    const host = hostOf(url);
    const family = isIP(host);
    let addresses: LookupAddress[];
    if (family !== 0) {
      addresses = [{ address: host, family }];
    } else {
      try {
        addresses = await this.resolveAll(host);
      } catch (error) {
        throw new UnsafeWebhookUrlError(
          `host ${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        );
      }
      if (addresses.length === 0) throw new UnsafeWebhookUrlError(`host ${host} does not resolve`);
    }
    if (!this.allowsPrivate) {
      const refused = addresses.find((a) => !isPublicAddress(a.address));
      if (refused) {
        throw new UnsafeWebhookUrlError(
          `host ${host} resolves to ${refused.address}, a loopback, private, link-local or otherwise non-public address`,
        );
      }
    }
    return addresses[0];
  }
}

/**
 * A `lookup` for http(s).request that answers every query with the address already checked, so the
 * socket connects to it and nothing else (the Host header and TLS server name stay the URL's host).
 */
export function pinnedLookup(pinned: LookupAddress) {
  return (
    _hostname: string,
    options: { all?: boolean },
    callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    if (options?.all) callback(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
}
