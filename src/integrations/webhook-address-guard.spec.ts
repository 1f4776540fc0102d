import {
  isPublicAddress,
  pinnedLookup,
  UnsafeWebhookUrlError,
  WebhookAddressGuard,
} from './webhook-address-guard';
import { AppConfig } from '../config/app-config';

describe('isPublicAddress', () => {
  it.each([
    '127.0.0.1',
    '127.8.9.10',
    '10.0.0.1',
    '172.16.5.4',
    '192.168.0.1',
    '169.254.169.254',
    '100.64.1.1',
    '0.0.0.0',
    '255.255.255.255',
    '224.0.0.1',
    '::1',
    '::',
    'fe80::1',
    'fd00:ec2::254',
    'fc00::5',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '2002:7f00:1::1',
    '::7f00:1',
    '::a00:1',
    '::169.254.169.254',
    '::a9fe:a9fe',
    'not-an-address',
  ])('refuses %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8', '::808:808', '::8.8.8.8'])(
    'allows %s',
    (address) => {
      expect(isPublicAddress(address)).toBe(true);
    },
  );
});

describe('WebhookAddressGuard', () => {
  const guardWith = (allowPrivate: boolean, answers: { address: string; family: number }[]) => {
    const guard = new WebhookAddressGuard({ get: () => allowPrivate } as unknown as AppConfig);
    guard.resolveAll = () => Promise.resolve(answers);
    return guard;
  };

  it('refuses a name when any of its addresses is private, unless private URLs are allowed', async () => {
    const answers = [
      { address: '8.8.8.8', family: 4 },
      { address: '10.0.0.7', family: 4 },
    ];
    const url = new URL('https://hooks.example.test/x');
    await expect(guardWith(false, answers).checkedAddress(url)).rejects.toThrow(UnsafeWebhookUrlError);
    await expect(guardWith(true, answers).checkedAddress(url)).resolves.toEqual(answers[0]);
  });

  it('parses only http(s) URLs without credentials', () => {
    const guard = guardWith(false, []);
    expect(() => guard.parse('gopher://x.example.test')).toThrow(UnsafeWebhookUrlError);
    expect(() => guard.parse('http://a:b@x.example.test')).toThrow(UnsafeWebhookUrlError);
    expect(() => guard.parse('no url')).toThrow(UnsafeWebhookUrlError);
    expect(guard.parse('https://x.example.test/a?b=1').hostname).toBe('x.example.test');
  });

  it('answers every lookup with the pinned address, in both callback forms', () => {
    const lookup = pinnedLookup({ address: '8.8.4.4', family: 4 });
    const single = jest.fn();
    const all = jest.fn();
    lookup('other.example.test', {}, single);
    lookup('other.example.test', { all: true }, all);
    expect(single).toHaveBeenCalledWith(null, '8.8.4.4', 4);
    expect(all).toHaveBeenCalledWith(null, [{ address: '8.8.4.4', family: 4 }]);
  });
});
